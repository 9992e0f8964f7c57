using System.Text.Json;
using SharpLM.Data.Tests.Annotation;
using SharpLM.Data.Tests.Classifier;

namespace SharpLM.Data.Tests.Cli;

/// <summary>The data verbs through the CLI entry point: exit codes, files written, errors as exit 2.</summary>
public class DataCommandsTests
{
    static int Sharplm(params string[] args) => SharpLM.Cli.Program.Main(args);

    [Fact]
    public void AnnotateThenTrainClassifier()
    {
        var dir = TestPaths.NewTempDir();
        // Annotate real pages through a stub endpoint that echoes the score planted in each page.
        var pages = ClassifierTests.RealPages(15);
        var input = Path.Combine(dir, "pages.jsonl");
        File.WriteAllLines(input, pages.Select((p, i) => JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["id"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture), ["text"] = p.Text + $" [score={(int)Math.Round(p.Score)}]",
        })));
        var annotations = Path.Combine(dir, "annotations.jsonl");
        using (var server = new StubChatServer())
            Assert.Equal(0, Sharplm("data", "annotate", "--endpoint", server.Url, "--rubric", "finemath-5", "--input", input, "--out", annotations, "--concurrency", "4"));
        Assert.Equal(pages.Count, File.ReadLines(annotations).Count());

        var model = Path.Combine(dir, "classifier");
        Assert.Equal(0, Sharplm("data", "train-classifier", "--annotations", annotations, "--out", model, "--hash-bits", "14", "--epochs", "3"));
        Assert.True(File.Exists(Path.Combine(model, "classifier.json")));
        Assert.True(File.Exists(Path.Combine(model, "weights.bin")));
    }

    [Fact]
    public void BadInputExitsWithTwo()
    {
        var dir = TestPaths.NewTempDir();
        var config = Path.Combine(dir, "pipeline.json");
        File.WriteAllText(config, "{\"inptus\": [\"x.warc.gz\"], \"output\": \"out\"}");
        Assert.Equal(2, Sharplm("data", "pipeline", "--config", config));
        File.WriteAllText(config, "{\"inputs\": [\"missing.warc.gz\"], \"output\": \"out\"}");
        Assert.Equal(2, Sharplm("data", "pipeline", "--config", config));
        Assert.Equal(2, Sharplm("data", "pipeline", "--input", dir, "--output", Path.Combine(dir, "o"), "--bands", "0"));
        Assert.Equal(2, Sharplm("data", "annotate", "--model", Path.Combine(dir, "nope.gguf"), "--input", config, "--out", Path.Combine(dir, "a.jsonl")));
        Assert.Equal(2, Sharplm("data", "annotate", "--endpoint", "http://127.0.0.1:9", "--model", "x", "--input", config, "--out", "y"));
        Assert.Equal(2, Sharplm("data", "train-classifier", "--annotations", Path.Combine(dir, "none.jsonl"), "--out", dir));
    }
}
