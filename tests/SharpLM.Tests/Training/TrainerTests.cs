using SharpLM.Training;
using SharpLM.Training.Checkpoints;
using SharpLM.Training.Data;

namespace SharpLM.Tests.Training;

public class TrainerTests
{
    static (string Train, string Eval, string Config) Corpus()
    {
        var dir = TestPaths.NewTempDir("trainer");
        string train = Path.Combine(dir, "train.tok"), eval = Path.Combine(dir, "eval.tok");
        TrainingFixtures.WriteMarkovShard(train, 64, 400, 1);
        TrainingFixtures.WriteMarkovShard(eval, 64, 60, 2);
        return (train, eval, TrainingFixtures.WriteConfig(TrainingFixtures.SmallConfig()));
    }

    static TrainerOptions Options(string config, string data, string outDir, long steps) => new()
    {
        ConfigPath = config, DataPath = data, OutDir = outDir, Steps = steps, Batch = 4, Seq = 32, Lr = 3e-3,
        Warmup = 5, Seed = 7, Threads = 2, SaveEvery = 10,
    };

    [Fact]
    public void Loss_falls_and_outputs_are_written()
    {
        var (train, eval, config) = Corpus();
        var outDir = TestPaths.NewTempDir("trainer-out");
        var result = new Trainer(Options(config, train, outDir, 60) with { EvalDataPath = eval, EvalEvery = 20 }).Run();
        Assert.Equal(60, result.Step);
        var metrics = File.ReadAllLines(Path.Combine(outDir, TrainingMetrics.FileName));
        Assert.Equal(60 + 4, metrics.Length); // 60 steps + eval at 0, 20, 40, 60
        double first = double.Parse(System.Text.Json.Nodes.JsonNode.Parse(metrics[1])!["loss"]!.ToString(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(first > 3.9, $"first loss {first} should be near log(64) = 4.16");
        Assert.True(result.LastLoss < 2.5, $"loss {result.LastLoss} did not fall");
        Assert.True(result.LastEvalLoss < 2.6, $"eval loss {result.LastEvalLoss} did not fall");
        // OUT is an HF model folder through the latest checkpoint
        Assert.True(File.Exists(Path.Combine(outDir, "config.json")));
        Assert.True(File.Exists(Path.Combine(outDir, "model.safetensors")));
        Assert.Contains("<polyline", File.ReadAllText(Path.Combine(outDir, TrainingMetrics.PlotFileName)));
        Assert.Equal(2, TrainingCheckpoint.CompleteCheckpoints(Path.Combine(outDir, "checkpoints")).Count); // --keep 2
        using var model = SharpLM.Models.Gemma3.Gemma3Model.Load(outDir); // the engine loads it
        Assert.Equal(64, model.Config.VocabSize);
    }

    [Fact]
    public void Resume_continues_bit_identically()
    {
        var (train, _, config) = Corpus();
        var straight = TestPaths.NewTempDir("straight");
        new Trainer(Options(config, train, straight, 30)).Run();

        // An interrupted run: trained to 30, but the step-30 save is lost (as if killed while writing it).
        var split = TestPaths.NewTempDir("split");
        new Trainer(Options(config, train, split, 30)).Run();
        var ck = TrainingCheckpoint.CompleteCheckpoints(Path.Combine(split, "checkpoints"));
        Directory.Delete(ck[^1].Dir, true); // lose step 30; step 20 remains
        var resumed = new Trainer(Options(config, train, split, 30) with { Resume = true }).Run();
        Assert.True(resumed.Resumed);
        Assert.Equal(30, resumed.Step);
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "checkpoints", "step-00000030", "model.safetensors")),
                     File.ReadAllBytes(Path.Combine(split, "checkpoints", "step-00000030", "model.safetensors")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "checkpoints", "step-00000030", "trainer", "optimizer.safetensors")),
                     File.ReadAllBytes(Path.Combine(split, "checkpoints", "step-00000030", "trainer", "optimizer.safetensors")));
        // metrics.jsonl describes one trajectory: 30 step lines, no duplicates
        var steps = File.ReadAllLines(Path.Combine(split, TrainingMetrics.FileName))
            .Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)!["step"]!.GetValue<long>()).ToArray();
        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), steps);
    }

    [Fact]
    public void Same_result_with_one_or_two_threads()
    {
        var (train, _, config) = Corpus();
        var a = TestPaths.NewTempDir("t1");
        var b = TestPaths.NewTempDir("t2");
        new Trainer(Options(config, train, a, 5) with { Threads = 1 }).Run();
        new Trainer(Options(config, train, b, 5) with { Threads = 2 }).Run();
        Assert.Equal(File.ReadAllBytes(Path.Combine(a, "model.safetensors")), File.ReadAllBytes(Path.Combine(b, "model.safetensors")));
    }

    [Fact]
    public void Sequential_order_takes_the_windows_the_issue_specifies()
    {
        var s = new BatchSampler("x", tokenCount: 1000, batch: 3, seqLen: 16, gradAccum: 1, DataOrder.Sequential, seed: 0);
        for (long step = 0; step < 5; step++)
            for (int b = 0; b < 3; b++)
                Assert.Equal((step * 3 + b) * 16, s.WindowStart(step, 0, b));
        Assert.Equal(62, s.Windows); // ⌊999 / 16⌋
        Assert.Equal(0, s.WindowStart(20, 0, 2)); // sample 20·3 + 2 = 62 wraps to window 0 after a full pass
    }

    [Fact]
    public void Shuffled_order_is_a_permutation_per_pass()
    {
        var s = new BatchSampler("x", tokenCount: 16 * 50 + 1, batch: 5, seqLen: 16, gradAccum: 2, DataOrder.Shuffled, seed: 3);
        var firstPass = Enumerable.Range(0, 5).SelectMany(step => Enumerable.Range(0, 2).SelectMany(k => Enumerable.Range(0, 5).Select(b => s.WindowStart(step, k, b)))).ToList();
        Assert.Equal(50, firstPass.Distinct().Count());
        Assert.NotEqual(Enumerable.Range(0, 50).Select(i => i * 16L), firstPass);
    }
}
