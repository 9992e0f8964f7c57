using SharpLM.Cli;
using SharpLM.Models.Gemma3;
using SharpLM.Tensors;
using SharpLM.Tests.Models.Gemma3;

namespace SharpLM.Tests.Cli;

/// <summary>The inference verbs end to end through Program.Main: outputs, and exit code 2 for bad input.</summary>
public class InferenceCommandTests
{
    static readonly Lazy<string> s_model = new(() => TinyModel.WriteGguf(TinyModel.Config, 6, TensorType.BF16));

    [Fact]
    public void LogitsWritesTheForwardPassAsFloat32()
    {
        string outPath = Path.Combine(TestPaths.NewTempDir("cli"), "logits.f32");
        Assert.Equal(0, Program.Main(["logits", s_model.Value, "--tokens", "2,218,17,5", "--out", outPath, "--embed-scale", "exact", "-t", "1"]));
        var bytes = File.ReadAllBytes(outPath);
        int V = TinyModel.Config.VocabSize;
        Assert.Equal(4 * V * 4, bytes.Length);
        using var m = Gemma3Model.Load(s_model.Value);
        var want = m.ComputeLogits([2, 218, 17, 5], EmbedScaleMode.Exact);
        var got = new float[want.Length];
        Buffer.BlockCopy(bytes, 0, got, 0, bytes.Length);
        Assert.Equal(want, got);
    }

    [Fact]
    public void InfoAndBenchRun()
    {
        Assert.Equal(0, Program.Main(["info", s_model.Value, "--json", "--context", "64"]));
        Assert.Equal(0, Program.Main(["bench", s_model.Value, "-p", "8", "-n", "4", "-r", "1", "-t", "1", "--json"]));
    }

    [Theory]
    [InlineData("logits", "{model}", "--tokens", "2,300", "--out", "{out}")]   // id outside the embedding
    [InlineData("logits", "{bad}", "--tokens", "2", "--out", "{out}")]         // not a model
    [InlineData("info", "{truncated}")]                                        // truncated GGUF
    [InlineData("logits", "{model}", "--tokens", "2,x", "--out", "{out}")]     // usage
    [InlineData("logits", "{model}", "--out", "{out}")]                        // neither --tokens nor --prompt
    [InlineData("bench", "{model}", "-r", "0")]
    [InlineData("info", "{model}", "--contxt", "5")]
    public void BadInputExitsWithCode2(params string[] args)
    {
        string dir = TestPaths.NewTempDir("cli-bad");
        string bad = Path.Combine(dir, "bad.gguf");
        File.WriteAllText(bad, "GGUF but not really");
        string truncated = Path.Combine(dir, "t.gguf");
        var full = File.ReadAllBytes(s_model.Value);
        File.WriteAllBytes(truncated, full[..(full.Length - 100)]);
        var a = args.Select(x => x.Replace("{model}", s_model.Value).Replace("{bad}", bad).Replace("{truncated}", truncated)
            .Replace("{out}", Path.Combine(dir, "o.f32"))).ToArray();
        Assert.Equal(2, Program.Main(a));
        Assert.False(File.Exists(Path.Combine(dir, "o.f32")));
    }
}
