using SharpLM.Formats.Gguf;
using SharpLM.Models.Gemma3;
using SharpLM.Tensors;

namespace SharpLM.Tests.Models.Gemma3;

/// <summary>Checkpoints that are well-formed files but not a runnable Gemma 3: a one-line error naming the file.</summary>
public class Gemma3LoadErrorTests
{
    static readonly Gemma3Config C = TinyModel.Config;

    /// <summary>Writes a GGUF of <see cref="C"/> with <paramref name="edit"/> applied to the tensor list and metadata.</summary>
    static string Gguf(Func<string, long[], (string Name, long[] Shape)?> tensor, Action<GgufWriter>? meta = null)
    {
        var w = new GgufWriter();
        Gemma3GgufMetadata.Write(w, C);
        meta?.Invoke(w);
        foreach (var (logical, shape) in Gemma3CheckpointWriter.TensorShapes(C))
        {
            var t = tensor(Gemma3TensorNames.ToGguf(logical), shape);
            if (t is not { } x) continue;
            long n = x.Shape.Aggregate(1L, (a, b) => a * b);
            w.AddTensor(x.Name, x.Shape, new float[n]);
        }
        string p = Path.Combine(TestPaths.NewTempDir("gemma3-bad"), "m.gguf");
        w.Write(p);
        return p;
    }

    static void AssertBad(string path, string expected)
    {
        var e = Assert.Throws<SharpLMDataException>(() => Gemma3Model.Load(path).Dispose());
        Assert.True(e.Message.Contains(expected), e.Message);
        Assert.Contains(Path.GetFileName(path), e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void MissingTensorIsNamed() =>
        AssertBad(Gguf((n, s) => n == "blk.3.ffn_up.weight" ? null : (n, s)), "missing tensor 'blk.3.ffn_up.weight'");

    [Fact]
    public void ShapeThatDisagreesWithTheConfig() =>
        AssertBad(Gguf((n, s) => n == "blk.2.attn_k.weight" ? (n, [s[0] * 2, s[1]]) : (n, s)), "blk.2.attn_k.weight");

    [Fact]
    public void MoreLayersInTheConfigThanInTheFile() =>
        AssertBad(Gguf((n, s) => (n, s), w => w.Set("gemma3.block_count", GgufValue.UInt32(9))), "missing tensor 'blk.7.");

    [Fact]
    public void WrongArchitecture() =>
        AssertBad(Gguf((n, s) => (n, s), w => w.Set("general.architecture", GgufValue.String("llama"))), "architecture 'llama'");

    [Fact]
    public void AbsurdConfigValues()
    {
        AssertBad(Gguf((n, s) => (n, s), w => w.Set("gemma3.embedding_length", GgufValue.UInt64(1UL << 40))), "out of range");
        AssertBad(Gguf((n, s) => (n, s), w => w.Set("gemma3.attention.head_count_kv", GgufValue.UInt32(3))), "num_key_value_heads");
    }

    [Fact]
    public void HfFolderWithoutConfigOrWithBadDtype()
    {
        string dir = TinyModel.WriteHf(C, 1, SharpLM.Formats.Safetensors.SafetensorsDType.F32);
        File.Delete(Path.Combine(dir, "config.json"));
        var e = Assert.Throws<SharpLMDataException>(() => Gemma3Model.Load(dir));
        Assert.Contains("config.json", e.Message);

        string dir2 = TinyModel.WriteHf(C, 1, SharpLM.Formats.Safetensors.SafetensorsDType.F32);
        var st = Directory.GetFiles(dir2, "*.safetensors").Single();
        var bytes = File.ReadAllBytes(st);
        File.WriteAllBytes(st, bytes[..(bytes.Length / 2)]); // truncated shard
        e = Assert.Throws<SharpLMDataException>(() => Gemma3Model.Load(dir2));
        Assert.Contains("outside", e.Message);
    }

    [Fact]
    public void NotAModelAtAll()
    {
        string p = Path.Combine(TestPaths.NewTempDir("gemma3-bad"), "x.bin");
        File.WriteAllText(p, "hello");
        AssertBad(p, "not a model");
        Assert.Contains("no such file", Assert.Throws<SharpLMDataException>(() => Gemma3Model.Load("/no/such/model.gguf")).Message);
    }

    [Fact]
    public void QuantizedModelsLoadOnlyWithWholeBlocks()
    {
        // A Q4_0 GGUF of the tiny model loads (every row is a multiple of 32).
        using var m = Gemma3Model.Load(TinyModel.WriteGguf(C, 1, TensorType.Q4_0));
        Assert.All(m.Tensors.Where(t => t.Shape.Length == 2), t => Assert.Equal(TensorType.Q4_0, t.Type));
    }
}
