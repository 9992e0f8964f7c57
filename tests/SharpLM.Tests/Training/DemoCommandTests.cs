using System.Text.Json;
using SharpLM.Models.Gemma3;
using SharpLM.Tests.Cli;
using SharpLM.Cli.Commands;
using SharpLM.Training;
using Xunit.Abstractions;

namespace SharpLM.Tests.Training;

/// <summary>
/// <c>sharplm demo</c>'s plumbing on a slice of the shipped corpus (150 problems, 4 steps of 4 × 64 tokens):
/// every stage runs as in the full demo and leaves its real outputs. The full run is timed by hand (README).
/// </summary>
public class DemoCommandTests(ITestOutputHelper output)
{
    /// <summary>A finished demo's metrics.jsonl: train loss per step and eval loss per evaluation.</summary>
    static (List<(long Step, double Loss)> Train, List<(long Step, double Loss)> Eval) Metrics(string dir)
    {
        var records = File.ReadLines(Path.Combine(dir, "run", TrainingMetrics.FileName)).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        List<(long, double)> Select(string key) => records
            .Where(r => r.TryGetProperty(key, out var l) && l.ValueKind == JsonValueKind.Number)
            .Select(r => (r.GetProperty("step").GetInt64(), r.GetProperty(key).GetDouble())).ToList();
        return (Select("loss"), Select("eval_loss"));
    }

    /// <summary>Each built-in prompt is followed by a continuation of at least <paramref name="minChars"/> characters; returns them.</summary>
    static List<string> Continuations(string stdout, int minChars)
    {
        var samples = stdout[stdout.IndexOf("[5/5]", StringComparison.Ordinal)..].Split("\n  > ")[1..];
        Assert.Equal(DemoCommand.Prompts.Length, samples.Length);
        var continuations = new List<string>();
        for (int i = 0; i < samples.Length; i++)
        {
            Assert.StartsWith(DemoCommand.Prompts[i], samples[i]);
            string continuation = samples[i][DemoCommand.Prompts[i].Length..].Split("\ndone.")[0];
            Assert.True(continuation.Trim().Length >= minChars, $"no continuation after the prompt: '{samples[i]}'");
            continuations.Add(continuation);
        }
        return continuations;
    }

    /// <summary>Fast variant of the loss statement below: 4 steps of 4 × 64 tokens on 150 problems take the loss from ln V to at least 0.3 lower.</summary>
    [Fact]
    public void Demo_runs_every_stage_and_resumes()
    {
        string root = TestPaths.NewTempDir("demo");
        try { DemoRunsEveryStageAndResumes(Path.Combine(root, "out")); }
        finally { Directory.Delete(root, recursive: true); } // ~210 MB per run (corpus, checkpoints, GGUF): left behind, they filled /tmp
    }

    void DemoRunsEveryStageAndResumes(string dir)
    {
        string[] args = ["demo", "--out", dir, "--docs", "150", "--steps", "4", "--batch", "4", "--seq", "64", "--gen", "16", "--threads", "2"];
        var (code, stdout, stderr) = SharplmProcess.Run(args);
        output.WriteLine(stdout);
        Assert.True(code == 0, stderr);

        Assert.Equal(150, File.ReadLines(Path.Combine(dir, "corpus", "train.jsonl")).Count());
        Assert.Equal(30, File.ReadLines(Path.Combine(dir, "corpus", "test.jsonl")).Count());
        Assert.Contains("MIT License", File.ReadAllText(Path.Combine(dir, "corpus", "LICENSE")));
        var tokenizer = SharpLM.Tokenization.Gemma3Tokenizer.Load(Path.Combine(dir, "tokenizer.json"));
        Assert.InRange(tokenizer.VocabSize, 400, DemoCommand.VocabSize); // 150 problems run out of merges before 4,096

        // Loss values: logged every step, finite, falling from the uniform guess; eval at the start and the end.
        var (losses, evals) = Metrics(dir);
        Assert.Equal([1L, 2, 3, 4], losses.Select(l => l.Step));
        Assert.All(losses, l => Assert.True(double.IsFinite(l.Loss)));
        Assert.InRange(losses[0].Loss, Math.Log(tokenizer.VocabSize) - 0.5, Math.Log(tokenizer.VocabSize) + 0.5);
        Assert.True(losses[^1].Loss < losses[0].Loss - 0.3, $"loss did not fall: {string.Join(", ", losses)}");
        Assert.Equal(0, evals[0].Step);
        Assert.Equal(4, evals[^1].Step);
        Assert.True(evals[^1].Loss < evals[0].Loss, $"eval loss did not fall: {string.Join(", ", evals)}");
        Assert.Contains("<svg", File.ReadAllText(Path.Combine(dir, "run", TrainingMetrics.PlotFileName)));

        string gguf = Path.Combine(dir, "model-q8_0.gguf");
        using (var model = Gemma3Model.Load(gguf))
        {
            Assert.Equal(tokenizer.VocabSize, model.Config.VocabSize);
            Assert.Equal(SharpLM.Tensors.TensorType.Q8_0, model.Weights.Layers[0].Gate.Type);
        }
        Continuations(stdout, minChars: 8);

        // A rerun finds every stage done and only regenerates.
        var again = SharplmProcess.Run(args);
        Assert.True(again.Code == 0, again.Stderr);
        Assert.Contains("already complete", again.Stdout);
        Assert.Contains("step 4: train loss", again.Stdout);
        Assert.Equal(losses.Count, Metrics(dir).Train.Count);
    }

    /// <summary>
    /// The statement in README: the default demo (tiny preset, seed 1, DefaultSteps steps of 8 × 256 tokens on
    /// the whole shipped corpus) ends with a train loss (mean of its last 10 steps) below TrainBound and an
    /// eval loss below EvalBound, from ln 4096 = 8.32. Minutes on 2 cores, so Slow.
    /// </summary>
    [Fact, Trait("Category", "Slow")]
    public void Default_demo_reaches_the_stated_loss()
    {
        const double TrainBound = 3.85, EvalBound = 3.9; // measured 3.714 and 3.790 (sessions 2–3), 3.749 and 3.825 (session 4, GeGLU backward rounding), 3.731 and 3.800 (session 6, GEMM K slice 384 alone), 3.819 and 3.891 (session 6, with the attention rework)
        string root = TestPaths.NewTempDir("demo-full");
        string dir = Path.Combine(root, "out");
        var (code, stdout, stderr) = SharplmProcess.Run(TimeSpan.FromMinutes(60), "demo", "--out", dir, "--threads", "2");
        output.WriteLine(stdout);
        Assert.True(code == 0, stderr);
        var (losses, evals) = Metrics(dir);
        Directory.Delete(root, recursive: true); // everything needed is read; ~230 MB otherwise left in /tmp
        Assert.Equal(DemoCommand.DefaultSteps, losses[^1].Step);
        double last10 = losses.TakeLast(10).Average(l => l.Loss);
        Assert.True(last10 < TrainBound, $"train loss over the last 10 steps {last10:F3} (bound {TrainBound})");
        Assert.Equal(DemoCommand.DefaultSteps, evals[^1].Step);
        Assert.True(evals[^1].Loss < EvalBound, $"eval loss {evals[^1].Loss:F3} (bound {EvalBound})");
        Continuations(stdout, minChars: 40);
    }
}
