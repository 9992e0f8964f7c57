using SharpLM.Formats;
using SharpLM.Formats.Gguf;
using SharpLM.Formats.Safetensors;
using SharpLM.Quantization;
using SharpLM.Tensors;
using SharpLM.Tokenization;

namespace SharpLM.Models.Gemma3;

/// <summary>
/// Fills one row of a tensor: <c>(logicalName, rowIndex, values)</c>. Norm weights are HF's zero-centred w;
/// 1-D tensors have a single row. Rows are requested in order, tensor by tensor.
/// </summary>
public delegate void Gemma3RowSource(string logical, long row, Span<float> values);

/// <summary>
/// Writes a Gemma 3 text decoder as a llama.cpp-compatible GGUF (spec §3.3: GGUF names, <c>gemma3.*</c>
/// metadata, norms stored as 1 + w in F32, tokenizer metadata) or as a Hugging Face folder (config.json +
/// safetensors with <c>model.</c> names, norms as w). Tensors are streamed row by row from a
/// <see cref="Gemma3RowSource"/>, so a 1B-shape model never sits in memory whole. Used by export
/// (<c>convert</c>), tests and benchmarks.
/// </summary>
public static class Gemma3CheckpointWriter
{
    /// <summary>Every tensor of the decoder with its row-major shape, embedding first, in GGUF/HF order.</summary>
    public static IEnumerable<(string Logical, long[] Shape)> TensorShapes(Gemma3Config c)
    {
        long H = c.HiddenSize, I = c.IntermediateSize, d = c.HeadDim, qW = c.QueryWidth, kvW = c.KvWidth;
        yield return (Gemma3TensorNames.Embedding, [c.VocabSize, H]);
        for (int i = 0; i < c.NumLayers; i++)
        {
            string L(string s) => Gemma3TensorNames.Layer(i, s);
            yield return (L(Gemma3TensorNames.InputNorm), [H]);
            yield return (L(Gemma3TensorNames.Q), [qW, H]);
            yield return (L(Gemma3TensorNames.K), [kvW, H]);
            yield return (L(Gemma3TensorNames.V), [kvW, H]);
            yield return (L(Gemma3TensorNames.O), [H, qW]);
            yield return (L(Gemma3TensorNames.QNorm), [d]);
            yield return (L(Gemma3TensorNames.KNorm), [d]);
            yield return (L(Gemma3TensorNames.PostAttentionNorm), [H]);
            yield return (L(Gemma3TensorNames.PreFeedForwardNorm), [H]);
            yield return (L(Gemma3TensorNames.Gate), [I, H]);
            yield return (L(Gemma3TensorNames.Up), [I, H]);
            yield return (L(Gemma3TensorNames.Down), [H, I]);
            yield return (L(Gemma3TensorNames.PostFeedForwardNorm), [H]);
        }
        yield return (Gemma3TensorNames.FinalNorm, [H]);
    }

    /// <summary>
    /// Writes a GGUF. <paramref name="typeOf"/> picks each matrix's stored type (norms are always F32, as
    /// llama.cpp's converter stores them); null means F32 everywhere.
    /// </summary>
    public static void WriteGguf(string path, Gemma3Config c, Gemma3RowSource rows, GgufTokenizerData? tokenizer,
        Func<string, TensorType>? typeOf = null, string name = "gemma3")
    {
        c.Validate(path);
        var w = new GgufWriter();
        Gemma3GgufMetadata.Write(w, c, name);
        if (tokenizer is not null)
        {
            if (tokenizer.Tokens.Count > c.VocabSize)
                throw new ArgumentException($"tokenizer has {tokenizer.Tokens.Count} tokens but the model only {c.VocabSize} embedding rows");
            w.SetTokenizer(tokenizer);
        }
        foreach (var (logical, shape) in TensorShapes(c))
        {
            bool norm = Gemma3TensorNames.IsNorm(logical);
            var type = norm ? TensorType.F32 : typeOf?.Invoke(logical) ?? TensorType.F32;
            string lg = logical;
            w.AddTensor(Gemma3TensorNames.ToGguf(logical), type, shape, s => StreamRows(s, lg, shape, type, rows, addOne: norm));
        }
        w.Write(path);
    }

    /// <summary>
    /// Writes an HF folder: config.json (<c>Gemma3ForCausalLM</c>) and safetensors in <paramref name="dtype"/>
    /// (F32, BF16 or F16), sharded above <paramref name="maxShardBytes"/>; copies <paramref name="tokenizerJson"/>
    /// in when given.
    /// </summary>
    public static void WriteHf(string dir, Gemma3Config c, Gemma3RowSource rows, SafetensorsDType dtype = SafetensorsDType.BF16,
        string? tokenizerJson = null, long maxShardBytes = 4L << 30)
    {
        c.Validate(dir);
        var type = dtype.ToTensorType() ?? throw new ArgumentException($"HF weights are F32, F16 or BF16, not {dtype}", nameof(dtype));
        Directory.CreateDirectory(dir);
        var sw = new SafetensorsWriter();
        sw.SetMetadata("format", "pt");
        foreach (var (logical, shape) in TensorShapes(c))
        {
            string lg = logical;
            sw.AddTensor("model." + logical, dtype, shape, s => StreamRows(s, lg, shape, type, rows, addOne: false));
        }
        sw.WriteSharded(dir, maxShardBytes);
        HfConfig.Write(Path.Combine(dir, HfConfig.FileName), c, dtype switch
        {
            SafetensorsDType.F32 => "float32",
            SafetensorsDType.F16 => "float16",
            _ => "bfloat16",
        });
        if (tokenizerJson is not null)
            IO.AtomicFile.WriteAllBytes(Path.Combine(dir, "tokenizer.json"), File.ReadAllBytes(tokenizerJson));
    }

    static void StreamRows(Stream s, string logical, long[] shape, TensorType type, Gemma3RowSource rows, bool addOne)
    {
        int cols = checked((int)shape[^1]);
        long nRows = shape.Length == 1 ? 1 : shape[0];
        var values = new float[cols];
        var bytes = new byte[type.RowBytes(cols)];
        for (long r = 0; r < nRows; r++)
        {
            values.AsSpan().Clear();
            rows(logical, r, values);
            if (addOne) for (int j = 0; j < cols; j++) values[j] += 1f;
            TensorCodec.Encode(type, values, bytes);
            s.Write(bytes);
        }
    }

    /// <summary>
    /// A deterministic random model: matrices ~ N(0, <paramref name="std"/>²), norms w ~ N(0, <paramref name="normStd"/>²),
    /// each tensor seeded from <paramref name="seed"/> and its name, so any tensor can be regenerated alone.
    /// </summary>
    public static Gemma3RowSource RandomRows(int seed, float std = 0.02f, float normStd = 0.1f)
    {
        string? current = null;
        Random? rng = null;
        return (logical, row, values) =>
        {
            if (!ReferenceEquals(current, logical) || row == 0)
            {
                current = logical;
                rng = new Random(seed ^ StableHash(logical));
            }
            float sdev = Gemma3TensorNames.IsNorm(logical) ? normStd : std;
            for (int j = 0; j < values.Length; j++) values[j] = (float)(Gaussian(rng!) * sdev);
        };
    }

    internal static double Gaussian(Random r)
    {
        double u1 = 1.0 - r.NextDouble(), u2 = r.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>FNV-1a over the UTF-16 code units: stable across runs and platforms (string.GetHashCode is not).</summary>
    internal static int StableHash(string s)
    {
        uint h = 2166136261;
        foreach (char ch in s) { h ^= ch; h *= 16777619; }
        return (int)h;
    }
}
