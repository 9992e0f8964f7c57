using System.Diagnostics;
using SharpLM.Formats.Safetensors;
using SharpLM.Tests.Cli;
using SharpLM.Training;
using SharpLM.Training.Checkpoints;

namespace SharpLM.Tests.Training;

/// <summary><c>sharplm train</c> as a user runs it: a real process killed with SIGKILL and resumed, and bad input → exit 2.</summary>
public class TrainCommandTests
{
    static (string Data, string Config) Corpus()
    {
        var dir = TestPaths.NewTempDir("train-cli");
        string data = Path.Combine(dir, "train.tok");
        TrainingFixtures.WriteMarkovShard(data, 64, 300, 1);
        return (data, TrainingFixtures.WriteConfig(TrainingFixtures.SmallConfig()));
    }

    static string[] Args(string config, string data, string outDir, int steps) =>
        ["train", "--config", config, "--data", data, "--out", outDir, "--steps", steps.ToString(System.Globalization.CultureInfo.InvariantCulture),
         "--batch", "4", "--seq", "32", "--lr", "3e-3", "--warmup", "5", "--seed", "9", "--save-every", "1", "--threads", "2"];

    [Fact]
    public void Resume_after_kill_9_is_bit_identical_to_an_uninterrupted_run()
    {
        var (data, config) = Corpus();
        const int steps = 60;
        var reference = TestPaths.NewTempDir("kill-reference");
        new Trainer(new TrainerOptions
        {
            ConfigPath = config, DataPath = data, OutDir = reference, Steps = steps, Batch = 4, Seq = 32, Lr = 3e-3,
            Warmup = 5, Seed = 9, SaveEvery = 1, Threads = 2,
        }).Run();

        var outDir = TestPaths.NewTempDir("kill-run");
        using (var p = SharplmProcess.Start(Args(config, data, outDir, steps)))
        {
            // Kill while it is saving every step, somewhere after step 8.
            var clock = Stopwatch.StartNew();
            while (TrainingCheckpoint.CompleteCheckpoints(Path.Combine(outDir, "checkpoints")).LastOrDefault().Step < 8)
            {
                if (p.HasExited) Assert.Fail("the run ended before it could be killed: " + p.StandardError.ReadToEnd());
                Assert.True(clock.Elapsed < TimeSpan.FromMinutes(3), "no checkpoint appeared");
                Thread.Sleep(20);
            }
            p.Kill(); // SIGKILL
            p.WaitForExit();
        }
        long killedAt = TrainingCheckpoint.CompleteCheckpoints(Path.Combine(outDir, "checkpoints"))[^1].Step;
        Assert.True(killedAt < steps, "the run finished before the kill");

        var (code, stdout, stderr) = SharplmProcess.Run([.. Args(config, data, outDir, steps), "--resume"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("resumed from", stderr);
        Assert.Contains($"trained to step {steps}", stdout);
        string Final(string dir, string file) => Path.Combine(dir, "checkpoints", TrainingCheckpoint.StepDirName(steps), file);
        Assert.Equal(File.ReadAllBytes(Final(reference, "model.safetensors")), File.ReadAllBytes(Final(outDir, "model.safetensors")));
        Assert.Equal(File.ReadAllBytes(Final(reference, "trainer/optimizer.safetensors")), File.ReadAllBytes(Final(outDir, "trainer/optimizer.safetensors")));
    }

    static void AssertBadInput((int Code, string Stdout, string Stderr) r, params string[] expected)
    {
        Assert.True(r.Code == 2, $"exit {r.Code}: {r.Stderr}");
        Assert.StartsWith("sharplm: ", r.Stderr.TrimEnd().Split('\n')[^1]);
        foreach (var e in expected) Assert.Contains(e, r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr); // no stack trace
    }

    [Fact]
    public void Bad_shards_are_refused_with_exit_2()
    {
        var (data, config) = Corpus();
        var dir = Path.GetDirectoryName(data)!;
        var truncated = Path.Combine(dir, "truncated.tok");
        var bytes = File.ReadAllBytes(data);
        File.WriteAllBytes(truncated, bytes[..^3]);
        AssertBadInput(SharplmProcess.Run(Args(config, truncated, TestPaths.NewTempDir("o"), 5)), truncated, "truncated");

        var badMagic = Path.Combine(dir, "magic.tok");
        var m = (byte[])bytes.Clone();
        m[0] = (byte)'X';
        File.WriteAllBytes(badMagic, m);
        AssertBadInput(SharplmProcess.Run(Args(config, badMagic, TestPaths.NewTempDir("o"), 5)), badMagic, "magic");

        var raw = Path.Combine(dir, "odd.u32");
        File.WriteAllBytes(raw, new byte[4 * 100 + 2]);
        AssertBadInput(SharplmProcess.Run(Args(config, raw, TestPaths.NewTempDir("o"), 5)), raw, "multiple of 4");

        var outOfVocab = Path.Combine(dir, "big.u32");
        var tokens = new int[200];
        tokens[150] = 1000; // the model has 64 rows
        File.WriteAllBytes(outOfVocab, System.Runtime.InteropServices.MemoryMarshal.AsBytes(tokens.AsSpan()).ToArray());
        AssertBadInput(SharplmProcess.Run([.. Args(config, outOfVocab, TestPaths.NewTempDir("o"), 5), "--order", "sequential"]), outOfVocab, "token 1000", "vocabulary");
    }

    [Fact]
    public void Config_that_disagrees_with_init_weights_is_refused()
    {
        var (data, config) = Corpus();
        var first = TestPaths.NewTempDir("init-src");
        Assert.Equal(0, SharplmProcess.Run(Args(config, data, first, 2)).Code);
        var other = TrainingFixtures.WriteConfig(TrainingFixtures.SmallConfig() with { HiddenSize = 48 });
        var r = SharplmProcess.Run("train", "--init", first, "--config", other, "--data", data, "--out", TestPaths.NewTempDir("o"),
            "--steps", "2", "--batch", "2", "--seq", "16");
        AssertBadInput(r, "disagrees", "hidden_size");
        // --init from our own checkpoint works and fine-tunes
        var tuned = TestPaths.NewTempDir("tuned");
        var ok = SharplmProcess.Run("train", "--init", first, "--data", data, "--out", tuned, "--steps", "3", "--batch", "2", "--seq", "16");
        Assert.True(ok.Code == 0, ok.Stderr);
    }

    [Fact]
    public void Checkpoint_missing_a_tensor_is_refused_on_resume()
    {
        var (data, config) = Corpus();
        var outDir = TestPaths.NewTempDir("missing");
        Assert.Equal(0, SharplmProcess.Run(Args(config, data, outDir, 3)).Code);
        var ck = TrainingCheckpoint.CompleteCheckpoints(Path.Combine(outDir, "checkpoints"))[^1].Dir;
        var model = Path.Combine(ck, "model.safetensors");
        // Rewrite the weights without one tensor.
        var w = new SafetensorsWriter();
        using (var f = SafetensorsFile.Open(model))
            foreach (var t in f.Tensors.Where(t => t.Name != "model.layers.1.mlp.up_proj.weight"))
                w.AddTensor(t.Name, t.DType, t.Shape, f.TensorBytes(t).ToArray());
        w.Write(model);
        AssertBadInput(SharplmProcess.Run([.. Args(config, data, outDir, 6), "--resume"]), "missing tensor", "up_proj");
    }

    [Fact]
    public void Diverging_loss_stops_with_exit_2_and_keeps_the_saved_checkpoint()
    {
        var (data, config) = Corpus();
        var outDir = TestPaths.NewTempDir("nan");
        var r = SharplmProcess.Run("train", "--config", config, "--data", data, "--out", outDir, "--steps", "20", "--batch", "2", "--seq", "16",
            "--optimizer", "sgd", "--lr", "1e38", "--clip", "0", "--warmup", "0", "--save-every", "1");
        AssertBadInput(r, "stopped without updating", "checkpoint");
        var saved = TrainingCheckpoint.CompleteCheckpoints(Path.Combine(outDir, "checkpoints"));
        Assert.NotEmpty(saved);
        var state = TrainingCheckpoint.ReadState(saved[^1].Dir);
        Assert.True(double.IsFinite(state.LastLoss!.Value));
        using var m = SharpLM.Models.Gemma3.Gemma3Model.Load(outDir); // still loads
    }

    [Fact]
    public void Starting_over_an_existing_run_needs_resume()
    {
        var (data, config) = Corpus();
        var outDir = TestPaths.NewTempDir("exists");
        Assert.Equal(0, SharplmProcess.Run(Args(config, data, outDir, 2)).Code);
        AssertBadInput(SharplmProcess.Run(Args(config, data, outDir, 2)), "--resume");
        AssertBadInput(SharplmProcess.Run([.. Args(config, data, outDir, 4), "--resume", "--batch", "8"]), "--batch 8");
    }
}
