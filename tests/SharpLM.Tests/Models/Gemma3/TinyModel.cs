using SharpLM.Formats.Gguf;
using SharpLM.Formats.Safetensors;
using SharpLM.Models.Gemma3;
using SharpLM.Tensors;

namespace SharpLM.Tests.Models.Gemma3;

/// <summary>Small random Gemma 3 models written to temp files, and their weights read back for the reference.</summary>
public static class TinyModel
{
    /// <summary>
    /// 7 layers (layer 5 global, the rest local with a 4-key window), GQA 4:2, head 16, query_pre_attn_scalar
    /// 24 (≠ d), linear RoPE ÷8 on the global layer, and a hidden size whose √ is not a bf16 number.
    /// </summary>
    public static Gemma3Config Config { get; } = new()
    {
        VocabSize = 300, HiddenSize = 96, IntermediateSize = 160, NumLayers = 7, NumHeads = 4, NumKvHeads = 2,
        HeadDim = 16, SlidingWindow = 4, QueryPreAttnScalar = 24, MaxPositionEmbeddings = 256, RopeGlobalScale = 8,
    };

    public static Gemma3RowSource Rows(int seed) => Gemma3CheckpointWriter.RandomRows(seed, std: 0.15f, normStd: 0.2f);

    /// <summary>
    /// <see cref="Rows"/> with every value rounded to <paramref name="type"/> first (F16/BF16), so a GGUF and an
    /// HF folder written from it hold exactly the same numbers, norms included.
    /// </summary>
    public static Gemma3RowSource RoundedRows(int seed, TensorType type)
    {
        var inner = Rows(seed);
        return (name, row, values) =>
        {
            inner(name, row, values);
            for (int j = 0; j < values.Length; j++)
                values[j] = type switch
                {
                    TensorType.BF16 => BFloat16.Round(values[j]),
                    TensorType.F16 => (float)(Half)values[j],
                    _ => values[j],
                };
        };
    }

    public static string WriteGguf(Gemma3Config c, int seed, TensorType matrices, string? dir = null, Gemma3RowSource? rows = null)
    {
        dir ??= TestPaths.NewTempDir("gemma3-tiny");
        string path = Path.Combine(dir, $"tiny-{matrices}.gguf");
        Gemma3CheckpointWriter.WriteGguf(path, c, rows ?? Rows(seed), tokenizer: null, typeOf: _ => matrices);
        return path;
    }

    public static string WriteHf(Gemma3Config c, int seed, SafetensorsDType dtype, long maxShard = long.MaxValue, Gemma3RowSource? rows = null)
    {
        string dir = Path.Combine(TestPaths.NewTempDir("gemma3-tiny-hf"), "model");
        Gemma3CheckpointWriter.WriteHf(dir, c, rows ?? Rows(seed), dtype, maxShardBytes: maxShard);
        return dir;
    }

    /// <summary>The weights of a GGUF as the reference wants them: HF names, norms as w, in double.</summary>
    public static Dictionary<string, double[]> ReadGgufWeights(string path, Gemma3Config c)
    {
        using var f = GgufFile.Open(path);
        var w = new Dictionary<string, double[]>();
        foreach (var (logical, _) in Gemma3CheckpointWriter.TensorShapes(c))
        {
            Assert.True(f.TryGetTensor(Gemma3TensorNames.ToGguf(logical), out var t));
            var v = TestDecode.Decode(t.Type, f.TensorBytes(t), t.ElementCount);
            if (Gemma3TensorNames.IsNorm(logical)) for (int i = 0; i < v.Length; i++) v[i] -= 1;
            w[logical] = v;
        }
        return w;
    }
}
