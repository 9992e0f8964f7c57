using SharpLM.Data.Pipeline;

namespace SharpLM.Data.Tests.Pipeline;

public class PipelineConfigTests
{
    [Fact]
    public void PartialConfigKeepsDefaultsAndResolvesPathsAgainstItsFolder()
    {
        var dir = TestPaths.NewTempDir();
        var path = Path.Combine(dir, "pipeline.json");
        File.WriteAllText(path, """
            // comments and trailing commas are allowed
            {
              "inputs": ["crawl/"],
              "output": "out",
              "tasks": 8,
              "dedup": { "bands": 14, "rows": 8 },
              "decontam": { "benchmarks": [ { "name": "gsm8k", "path": "bench/test.jsonl" } ] },
            }
            """);
        var c = PipelineConfig.Load(path);
        Assert.Equal(Path.Combine(dir, "crawl"), c.Inputs[0].TrimEnd('/'));
        Assert.Equal(Path.Combine(dir, "out"), c.Output);
        Assert.Equal((8, 14, 8, 5), (c.Tasks, c.Dedup.Bands, c.Dedup.Rows, c.Dedup.ShingleWords));
        Assert.True(c.Dedup.Enabled);
        Assert.Equal(["en"], c.Language.Keep);
        Assert.Equal(0.5, c.Language.MinScore);
        Assert.Equal(100, c.Quality.MinChars);
        Assert.Equal([3, 4], c.Thresholds);
        Assert.Equal("count", c.DomainRecall.Rule);
        Assert.Equal(0.6, c.Decontam.LcsRatio);
        Assert.Equal(Path.Combine(dir, "bench", "test.jsonl"), c.Decontam.Benchmarks[0].Path);
        // What executor.json holds reads back to the same config.
        var again = Path.Combine(dir, "again.json");
        File.WriteAllText(again, c.ToJson());
        Assert.Equal(c.ToJson(), PipelineConfig.Load(again).ToJson());
    }
}
