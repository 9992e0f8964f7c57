using System.Diagnostics;
using System.Text.Json;
using SharpLM.Data.Decontam;
using SharpLM.Data.Pipeline;
using SharpLM.Data.Pipeline.Executors;

namespace SharpLM.Data.Tests.Pipeline;

/// <summary>A real <c>kill -9</c> of <c>sharplm data pipeline</c> mid-run, then a rerun: the output must be identical to an uninterrupted run.</summary>
public class KillResumeTests
{
    [Fact]
    public void KilledPipelineRerunGivesIdenticalOutput()
    {
        var root = TestPaths.NewTempDir();
        // Six JSONL shards of real math text (GSM8K train problems with solutions), one rank each.
        var input = Path.Combine(root, "in");
        Directory.CreateDirectory(input);
        var lines = File.ReadLines(TestPaths.Shared("gsm8k/train.jsonl")).Take(1200).ToArray();
        for (int f = 0; f < 6; f++)
            File.WriteAllLines(Path.Combine(input, $"part-{f}.jsonl"), lines.Where((_, i) => i % 6 == f).Select((l, i) =>
            {
                var o = JsonDocument.Parse(l).RootElement;
                return JsonSerializer.Serialize(new Dictionary<string, string>
                {
                    ["url"] = $"https://gsm.example.org/{f}/{i}",
                    ["text"] = o.GetProperty("question").GetString() + "\n" + o.GetProperty("answer").GetString(),
                });
            }));

        var config = new PipelineConfig
        {
            Inputs = [input], Output = Path.Combine(root, "killed"), Tasks = 6, Prefilter = "none",
            Classifier = PipelineTests.Classifier.Value, Thresholds = [1, 3],
            Decontam = new DecontamOptions { Benchmarks = [new BenchmarkSource { Name = "gsm8k", Path = TestPaths.Shared("gsm8k/test.jsonl") }] },
        };
        var configPath = Path.Combine(root, "pipeline.json");
        File.WriteAllText(configPath, config.ToJson());

        // Uninterrupted reference run (in this process: the same code and the same bytes as the CLI).
        var reference = config with { Output = Path.Combine(root, "reference") };
        new LocalExecutor(new PipelineJob(reference), null, null).Run();

        // Start the CLI, kill -9 it as soon as the first rank of the first stage is complete.
        var layout = new JobLayout(config.Output);
        using (var p = Start(configPath))
        {
            var clock = Stopwatch.StartNew();
            while (!layout.IsComplete(JobLayout.Extract, 0) && !p.HasExited && clock.Elapsed < TimeSpan.FromMinutes(2)) Thread.Sleep(5);
            if (p.HasExited) Assert.Fail("the pipeline finished before it could be killed: " + p.StandardError.ReadToEnd());
            p.Kill(); // SIGKILL on Linux: no cleanup, no finally blocks
            p.WaitForExit();
            Assert.Equal(137, p.ExitCode); // 128 + SIGKILL
        }
        Assert.False(layout.IsComplete(JobLayout.Merge, 0), "killed run must not be complete: " + string.Join(", ",
            JobLayout.Stages.SelectMany(s => Enumerable.Range(0, 6).Where(r => layout.IsComplete(s, r)).Select(r => $"{s}:{r}"))));
        int completeBefore = Enumerable.Range(0, 6).Count(r => layout.IsComplete(JobLayout.Extract, r));
        Assert.InRange(completeBefore, 1, 5);

        // Rerun the same command to the end.
        using (var p = Start(configPath))
        {
            var err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, err);
        }
        Assert.Equal(PipelineTests.Snapshot(reference.Output), PipelineTests.Snapshot(config.Output));
        Assert.Empty(Directory.GetFiles(config.Output, "*.tmp-*", SearchOption.AllDirectories));
    }

    static Process Start(string configPath)
    {
        var w = PipelineTests.Worker;
        var psi = new ProcessStartInfo(w.FileName) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in w.PrefixArgs) psi.ArgumentList.Add(a);
        foreach (var a in new[] { "data", "pipeline", "--config", configPath }) psi.ArgumentList.Add(a);
        var p = Process.Start(psi.ConfineTemp())!;
        p.StandardOutput.ReadToEndAsync(); // drain
        return p;
    }
}
