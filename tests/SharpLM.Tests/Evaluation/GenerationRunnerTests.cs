using System.Text.Json;
using SharpLM.Evaluation.Data;
using SharpLM.Evaluation.Runs;
using SharpLM.Evaluation.Tasks;

namespace SharpLM.Tests.Evaluation;

public class GenerationRunnerTests
{
    static readonly IReadOnlyList<Gsm8kProblem> Test = EvalDataLoader.LoadGsm8k(TestPaths.Shared("gsm8k/test.jsonl"));
    static readonly string DataPath = TestPaths.Shared("gsm8k/test.jsonl");

    /// <summary>A "model" that answers correctly on even data lines and says 7 otherwise.</summary>
    static string HalfRight(string prompt)
    {
        var q = prompt[(prompt.LastIndexOf("Question: ", StringComparison.Ordinal) + 10)..^"\nAnswer:".Length];
        var p = Test.First(t => t.Question == q);
        return p.Index % 2 == 0 ? $" Reasoning.\n#### {p.FinalAnswer}\n\nQuestion: more text 99" : " I think 7.";
    }

    static Gsm8kTask Task(int limit) => Gsm8kTask.Create(Test, null, new TaskOptions(Shots: 0, Limit: limit));

    [Fact]
    public void WritesRecordsAndSummaryAndScores()
    {
        var dir = TestPaths.NewTempDir("eval-run");
        var task = Task(12);
        var gen = new FakeGenerator(HalfRight);
        var r = GenerationRunner.Run(task, gen, new GenerationRunSettings(Path.Combine(dir, "r.json"), DataPath, 64, 5, 42, 12));
        int expected = task.Samples.Count(s => s.Index % 2 == 0);
        Assert.Equal(expected, r.Score.Correct);
        Assert.Equal(12, r.Score.Total);
        Assert.True(r.Complete);
        var lines = File.ReadAllLines(Path.Combine(dir, "r.samples.jsonl"));
        Assert.Equal(12, lines.Length);
        var first = JsonDocument.Parse(lines[0]).RootElement;
        foreach (var key in new[] { "index", "prompt", "output", "extracted", "gold", "correct", "metrics", "method", "run" })
            Assert.True(first.TryGetProperty(key, out _), key);
        Assert.DoesNotContain("Question:", first.GetProperty("output").GetString()); // cut at the stop sequence
        var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "r.json"))).RootElement;
        Assert.Equal(expected, summary.GetProperty("correct").GetInt32());
        Assert.Equal(12, summary.GetProperty("total").GetInt32());
        Assert.Equal((double)expected / 12, summary.GetProperty("accuracy").GetDouble(), 12);
        Assert.True(summary.GetProperty("stderr").GetDouble() > 0);
        Assert.Equal("lighteval", summary.GetProperty("prompt_format").GetString());
        Assert.True(summary.GetProperty("complete").GetBoolean());
        Assert.True(summary.GetProperty("metrics").TryGetProperty("strict_match", out _));
    }

    [Fact]
    public void AnInterruptedRunResumesWithoutRedoingFinishedSamples()
    {
        var dir = TestPaths.NewTempDir("eval-resume");
        var outPath = Path.Combine(dir, "r.json");
        var task = Task(10);
        var settings = new GenerationRunSettings(outPath, DataPath, 64, 3, 42, 10);
        var first = new FakeGenerator(HalfRight, failAfter: 7);
        Assert.ThrowsAny<OperationCanceledException>(() => GenerationRunner.Run(task, first, settings));
        Assert.Equal(6, File.ReadAllLines(SampleLog.PathFor(outPath)).Length);        // two full batches of 3 were written
        var partial = JsonDocument.Parse(File.ReadAllText(outPath)).RootElement;
        Assert.False(partial.GetProperty("complete").GetBoolean());
        Assert.Equal(6, partial.GetProperty("total").GetInt32());

        var second = new FakeGenerator(HalfRight);
        var r = GenerationRunner.Run(task, second, settings);
        Assert.Equal(4, second.Prompts.Count);                                         // only the unfinished ones
        Assert.Equal(6, r.Resumed);
        Assert.True(r.Complete);
        Assert.Equal(10, File.ReadAllLines(SampleLog.PathFor(outPath)).Length);

        var full = GenerationRunner.Run(task, new FakeGenerator(HalfRight), settings with { SummaryPath = Path.Combine(dir, "fresh.json") });
        Assert.Equal(full.Score.Correct, r.Score.Correct);                               // same result as one uninterrupted run
        var third = new FakeGenerator(HalfRight);
        GenerationRunner.Run(task, third, settings);                                    // everything done: nothing generated
        Assert.Empty(third.Prompts);
    }

    [Fact]
    public void ATornLastLineFromAKillIsDroppedAndRedone()
    {
        var dir = TestPaths.NewTempDir("eval-torn");
        var outPath = Path.Combine(dir, "r.json");
        var task = Task(4);
        var settings = new GenerationRunSettings(outPath, DataPath, 64, 1, 42, 4);
        Assert.ThrowsAny<OperationCanceledException>(() => GenerationRunner.Run(task, new FakeGenerator(HalfRight, failAfter: 3), settings));
        var samples = SampleLog.PathFor(outPath);
        var lines = File.ReadAllLines(samples);
        Assert.Equal(3, lines.Length);
        // what a kill in the middle of the third write leaves: the line without its end
        File.WriteAllText(samples, lines[0] + "\n" + lines[1] + "\n" + lines[2][..(lines[2].Length / 2)]);
        var gen = new FakeGenerator(HalfRight);
        var r = GenerationRunner.Run(task, gen, settings);
        Assert.Equal(2, gen.Prompts.Count);
        Assert.Equal(4, r.Score.Total);
        Assert.Equal(4, File.ReadAllLines(samples).Length);
        Assert.All(File.ReadAllLines(samples), l => JsonDocument.Parse(l));
    }

    [Fact]
    public void RecordsFromOtherSettingsAreRefused()
    {
        var dir = TestPaths.NewTempDir("eval-mismatch");
        var outPath = Path.Combine(dir, "r.json");
        GenerationRunner.Run(Task(3), new FakeGenerator(HalfRight), new GenerationRunSettings(outPath, DataPath, 64, 1, 42, 3));
        var e = Assert.Throws<SharpLMDataException>(() =>
            GenerationRunner.Run(Task(3), new FakeGenerator(HalfRight), new GenerationRunSettings(outPath, DataPath, 128, 1, 42, 3)));
        Assert.Contains("other settings", e.Message);
        Assert.Contains("r.samples.jsonl:1", e.Message);
        var other = Assert.Throws<SharpLMDataException>(() =>
            GenerationRunner.Run(Task(3), new FakeGenerator(HalfRight, description: "another model"), new GenerationRunSettings(outPath, DataPath, 64, 1, 42, 3)));
        Assert.Contains("other settings", other.Message);
    }

    [Fact]
    public void ALargerLimitReusesTheSmallerRun()
    {
        var dir = TestPaths.NewTempDir("eval-grow");
        var outPath = Path.Combine(dir, "r.json");
        GenerationRunner.Run(Task(5), new FakeGenerator(HalfRight), new GenerationRunSettings(outPath, DataPath, 64, 2, 42, 5));
        var gen = new FakeGenerator(HalfRight);
        var r = GenerationRunner.Run(Task(8), gen, new GenerationRunSettings(outPath, DataPath, 64, 2, 42, 8));
        Assert.Equal(3, gen.Prompts.Count);
        Assert.Equal(8, r.Score.Total);
    }
}
