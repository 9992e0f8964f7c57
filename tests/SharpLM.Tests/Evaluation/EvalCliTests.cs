using System.Diagnostics;
using System.Text.Json;
using System.Xml.Linq;
using SharpLM.Evaluation.Data;

namespace SharpLM.Tests.Evaluation;

/// <summary><c>sharplm eval run|score|compare</c> end to end, against a local stub server.</summary>
public class EvalCliTests
{
    static readonly IReadOnlyList<Gsm8kProblem> Test = EvalDataLoader.LoadGsm8k(TestPaths.Shared("gsm8k/test.jsonl"));

    /// <summary>A stub "model": right on even data lines, "7" on odd ones; answers from the question in the prompt.</summary>
    static StubReply HalfRight(JsonElement req, int n)
    {
        var prompt = req.GetProperty("prompt").GetString()!;
        var q = prompt[(prompt.LastIndexOf("Question: ", StringComparison.Ordinal) + 10)..^"\nAnswer:".Length];
        var p = Test.First(t => t.Question == q);
        return StubCompletionsServer.Completion(p.Index % 2 == 0 ? $" Some reasoning.\n#### {p.FinalAnswer}" : " It is 7.");
    }

    [Fact]
    public void RunAgainstAnEndpointWritesSummaryRecordsAndTable()
    {
        using var server = new StubCompletionsServer(HalfRight);
        var dir = TestPaths.NewTempDir("eval-cli");
        var outPath = Path.Combine(dir, "gsm8k.json");
        var r = CliProcess.Run("eval", "run", "--task", "gsm8k", "--endpoint", server.Url, "--model-name", "stub", "--limit", "6", "--batch", "3", "--out", outPath);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("accuracy", r.Stdout);
        Assert.Contains("strict_match", r.Stdout);
        Assert.Equal(6, server.RequestCount);
        var summary = JsonDocument.Parse(File.ReadAllText(outPath)).RootElement;
        int expected = File.ReadAllLines(Path.Combine(dir, "gsm8k.samples.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("index").GetInt32()).Count(i => i % 2 == 0);
        Assert.Equal(expected, summary.GetProperty("correct").GetInt32());
        Assert.Equal(6, summary.GetProperty("total").GetInt32());
        Assert.Equal(5, summary.GetProperty("shots").GetInt32());
        Assert.Contains("stub", summary.GetProperty("model").GetString());
        var firstPrompt = server.Requests.Select(q => q.GetProperty("prompt").GetString()!).First();
        Assert.Equal(6, firstPrompt.Split("Question: ").Length - 1); // 5 shots + the query
    }

    [Fact]
    public void AKilledRunResumesFromItsRecords()
    {
        var dir = TestPaths.NewTempDir("eval-kill");
        var outPath = Path.Combine(dir, "r.json");
        var samples = Path.Combine(dir, "r.samples.jsonl");
        string[] args(string url) => ["eval", "run", "--task", "gsm8k", "--endpoint", url, "--model-name", "stub", "--limit", "8", "--shots", "0", "--out", outPath];

        // first server: answers 3 requests, then hangs; the process is killed once 3 records are on disk
        using (var slow = new StubCompletionsServer((q, n) => n <= 3 ? HalfRight(q, n) : new StubReply(200, "{}", Delay: TimeSpan.FromMinutes(5))))
        {
            using var p = Process.Start(CliProcess.StartInfo(args(slow.Url)))!;
            var sw = Stopwatch.StartNew();
            while ((!File.Exists(samples) || File.ReadAllLines(samples).Length < 3) && sw.Elapsed < TimeSpan.FromMinutes(2)) Thread.Sleep(50);
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
        Assert.Equal(3, File.ReadAllLines(samples).Length);

        using var server = new StubCompletionsServer(HalfRight);
        var r = CliProcess.Run(args(server.Url));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(5, server.RequestCount);                 // 8 − 3 already finished
        Assert.Contains("3 resumed, 5 generated", r.Stdout);
        Assert.Equal(8, JsonDocument.Parse(File.ReadAllText(outPath)).RootElement.GetProperty("total").GetInt32());
    }

    [Fact]
    public void ServerErrorsAndUsageErrorsExitWith2()
    {
        using var server = new StubCompletionsServer((q, n) => new StubReply(500, "{\"error\":{\"message\":\"model crashed\"}}"));
        var dir = TestPaths.NewTempDir("eval-err");
        var r = CliProcess.Run("eval", "run", "--task", "gsm8k", "--endpoint", server.Url, "--model-name", "m", "--limit", "2", "--retries", "0", "--out", Path.Combine(dir, "r.json"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("sharplm: " + server.Url + "v1/completions: server answered 500", r.Stderr);
        Assert.Contains("model crashed", r.Stderr);

        Assert.Equal(2, CliProcess.Run("eval", "run", "--task", "gsm8k", "--endpoint", server.Url).ExitCode);        // no --model-name
        Assert.Equal(2, CliProcess.Run("eval", "run", "--task", "mmlu", "--model", "x").ExitCode);
        Assert.Equal(2, CliProcess.Run("eval", "run", "--task", "gsm8k", "--model", "x", "--endpoint", server.Url).ExitCode);
        var ppl = CliProcess.Run("eval", "run", "--task", "ppl", "--endpoint", server.Url, "--model-name", "m", "--data", "x.txt");
        Assert.Equal(2, ppl.ExitCode);
        Assert.Contains("--task ppl needs --model", ppl.Stderr);
        var missing = CliProcess.Run("eval", "run", "--task", "gsm8k", "--model", Path.Combine(dir, "nope.gguf"), "--limit", "1");
        Assert.Equal(2, missing.ExitCode);
    }

    [Fact]
    public void ScoreCommand()
    {
        var dir = TestPaths.NewTempDir("eval-score");
        var pred = Path.Combine(dir, "p.jsonl");
        File.WriteAllLines(pred, Test.Take(4).Select(p => JsonSerializer.Serialize(new Dictionary<string, object>
            { ["index"] = p.Index, ["prediction"] = p.Index == 3 ? "no idea" : "#### " + p.FinalAnswer })));
        var r = CliProcess.Run("eval", "score", "--task", "gsm8k", "--predictions", pred, "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var j = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.Equal(0.75, j.GetProperty("accuracy").GetDouble());
        Assert.Equal(3, j.GetProperty("correct").GetInt32());
        Assert.Equal(4, j.GetProperty("total").GetInt32());

        File.AppendAllText(pred, "{\"index\": 99999, \"prediction\": \"1\"}\n");
        var bad = CliProcess.Run("eval", "score", "--task", "gsm8k", "--predictions", pred);
        Assert.Equal(2, bad.ExitCode);
        Assert.Equal($"sharplm: {pred}:5: index 99999 is out of range: test.jsonl has 1319 lines (indices 0..1318)", bad.Stderr.Trim());
    }

    [Fact]
    public void CompareTableAndPlot()
    {
        var dir = TestPaths.NewTempDir("eval-compare");
        string Summary(string name, long step, double acc) {
            var p = Path.Combine(dir, name);
            var inv = System.Globalization.CultureInfo.InvariantCulture;
            File.WriteAllText(p, "{\"task\": \"gsm8k\", \"accuracy\": " + acc.ToString(inv) + ", \"correct\": 1, \"total\": 100, \"stderr\": 0.01, \"step\": " + step
                + ", \"metrics\": {\"accuracy\": {\"value\": " + acc.ToString(inv) + ", \"stderr\": 0.01}, \"strict_match\": {\"value\": 0.01, \"stderr\": 0.001}}}");
            return p;
        }
        var a = Summary("ckpt-a.json", 500, 0.02);
        var b = Summary("ckpt-b.json", 1000, 0.05);
        var svg = Path.Combine(dir, "plot.svg");
        var r = CliProcess.Run("eval", "compare", a, b, "--plot", svg);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("2.00 ±1.00", r.Stdout);
        Assert.Contains("5.00 ±1.00", r.Stdout);
        var doc = XDocument.Load(svg);
        Assert.Equal("svg", doc.Root!.Name.LocalName);
        Assert.Equal(2, doc.Descendants().Count(e => e.Name.LocalName == "circle"));

        var notJson = Path.Combine(dir, "bad.json");
        File.WriteAllText(notJson, "{ nope");
        var bad = CliProcess.Run("eval", "compare", a, notJson);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("bad.json: malformed JSON", bad.Stderr);
    }
}
