using SharpLM.Models.Gemma3;
using SharpLM.Quantization;
using SharpLM.Tensors;
using SharpLM.Tokenization;

namespace SharpLM.Training;

/// <summary>Storage type of the matrices in an exported GGUF (<c>sharplm convert --type</c>).</summary>
public enum ExportType { F32, F16, BF16, Q8_0, Q4_0 }

/// <summary>
/// <c>sharplm convert</c>: a checkpoint (an HF folder such as a training run's OUT, or a GGUF) to a
/// llama.cpp-loadable GGUF through the engine's writer (spec §3.3: GGUF names, norms as 1 + w in F32,
/// tokenizer metadata). Quantized types follow llama.cpp's reference quantizers bit for bit; with
/// <c>q4_0</c> the tied embedding stays F16, as in Google's Q4_0 releases (spec §3.4).
/// </summary>
public static class CheckpointConverter
{
    public static ExportType ParseType(string s) => s.ToLowerInvariant() switch
    {
        "f32" => ExportType.F32,
        "f16" => ExportType.F16,
        "bf16" => ExportType.BF16,
        "q8_0" => ExportType.Q8_0,
        "q4_0" => ExportType.Q4_0,
        _ => throw new SharpLMDataException("--type", $"'{s}' is not one of f32, f16, bf16, q8_0, q4_0"),
    };

    /// <summary>The stored type of tensor <paramref name="logical"/> (norms are always F32, the writer decides that).</summary>
    public static TensorType TypeOf(ExportType type, string logical) => type switch
    {
        ExportType.F32 => TensorType.F32,
        ExportType.F16 => TensorType.F16,
        ExportType.BF16 => TensorType.BF16,
        ExportType.Q8_0 => TensorType.Q8_0,
        _ => logical == Gemma3TensorNames.Embedding ? TensorType.F16 : TensorType.Q4_0,
    };

    /// <summary>
    /// Where llama.cpp (as bundled by LLamaSharp 0.30.0) ignores what the GGUF says and would compute another
    /// function: its gemma3 makes every sixth layer global whatever <c>sliding_window_pattern</c> says, fixes
    /// the local RoPE, and scales queries by 1/√head_dim (1/√(H/heads) for the 62-layer 27B). Measured: a 3-layer model with
    /// pattern 3 exported anyway gave logits 2.7% (of their scale) away from ours.
    /// </summary>
    public static List<string> LlamaCppDifferences(Gemma3Config c)
    {
        var d = new List<string>();
        var global = Enumerable.Range(0, c.NumLayers).Where(c.IsGlobal).ToArray();
        var llama = Enumerable.Range(0, c.NumLayers).Where(i => (i + 1) % 6 == 0).ToArray();
        if (!global.SequenceEqual(llama))
            d.Add($"global attention in layers [{string.Join(", ", global)}], llama.cpp's in [{string.Join(", ", llama)}]");
        float scalar = c.NumLayers == 62 ? (float)c.HiddenSize / c.NumHeads : c.HeadDim;
        if (c.RopeLocalBase != 10_000 || c.RopeLocalScale != 1)
            d.Add($"local RoPE base {c.RopeLocalBase} scaled {c.RopeLocalScale}, llama.cpp uses 10000 unscaled");
        if (c.QueryPreAttnScalar != scalar)
            d.Add($"query_pre_attn_scalar {c.QueryPreAttnScalar}, llama.cpp uses {scalar}");
        return d;
    }

    /// <summary>Writes <paramref name="outPath"/> from <paramref name="checkpoint"/>; the tokenizer comes from <paramref name="tokenizer"/>, the checkpoint's tokenizer.json or its GGUF metadata.</summary>
    public static void ToGguf(string checkpoint, string outPath, ExportType type, string? tokenizer = null)
    {
        if (Directory.Exists(outPath)) throw new SharpLMDataException(outPath, "is a folder; give the GGUF file to write, e.g. model.gguf");
        using var model = Gemma3Model.Load(checkpoint);
        var c = model.Config;
        if (LlamaCppDifferences(c) is { Count: > 0 } differences)
            throw new SharpLMDataException(checkpoint,
                $"llama.cpp's gemma3 would run this model differently ({string.Join("; ", differences)}), so its GGUF would not give our logits; 'sharplm run' runs the checkpoint as it is");
        if (type is ExportType.Q8_0 or ExportType.Q4_0)
            foreach (var (logical, shape) in Gemma3CheckpointWriter.TensorShapes(c))
                if (!Gemma3TensorNames.IsNorm(logical) && shape[^1] % 32 != 0)
                    throw new SharpLMDataException(checkpoint, $"{type.ToString().ToLowerInvariant()} needs rows that are a multiple of 32 values; '{logical}' has {shape[^1]} columns (use f16 or bf16)");
        GgufTokenizerData tokens =
            tokenizer is not null ? Gemma3Tokenizer.Load(tokenizer).ToGguf()
            : model.TokenizerJsonPath is { } json ? Gemma3Tokenizer.Load(json).ToGguf()
            : model.GgufTokenizer ?? throw new SharpLMDataException(checkpoint, "has no tokenizer.json; pass --tokenizer (llama.cpp needs the vocabulary in the GGUF)");
        if (tokens.Tokens.Count > c.VocabSize)
            throw new SharpLMDataException(tokenizer ?? model.TokenizerJsonPath ?? checkpoint,
                $"has {tokens.Tokens.Count} tokens but the model only {c.VocabSize} embedding rows: not this model's tokenizer");
        var w = model.Weights;
        var matrices = new Dictionary<string, WeightMatrix> { [Gemma3TensorNames.Embedding] = w.Embedding };
        var norms = new Dictionary<string, float[]> { [Gemma3TensorNames.FinalNorm] = w.FinalNorm };
        for (int i = 0; i < c.NumLayers; i++)
        {
            var l = w.Layers[i];
            string L(string s) => Gemma3TensorNames.Layer(i, s);
            matrices[L(Gemma3TensorNames.Q)] = l.Q;
            matrices[L(Gemma3TensorNames.K)] = l.K;
            matrices[L(Gemma3TensorNames.V)] = l.V;
            matrices[L(Gemma3TensorNames.O)] = l.O;
            matrices[L(Gemma3TensorNames.Gate)] = l.Gate;
            matrices[L(Gemma3TensorNames.Up)] = l.Up;
            matrices[L(Gemma3TensorNames.Down)] = l.Down;
            norms[L(Gemma3TensorNames.InputNorm)] = l.InputNorm;
            norms[L(Gemma3TensorNames.QNorm)] = l.QNorm;
            norms[L(Gemma3TensorNames.KNorm)] = l.KNorm;
            norms[L(Gemma3TensorNames.PostAttentionNorm)] = l.PostAttentionNorm;
            norms[L(Gemma3TensorNames.PreFeedForwardNorm)] = l.PreFeedForwardNorm;
            norms[L(Gemma3TensorNames.PostFeedForwardNorm)] = l.PostFeedForwardNorm;
        }
        string name = Path.GetFileNameWithoutExtension(outPath);
        try { Write(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The writer is atomic (temp + rename): a failed write leaves no partial file under either name.
            throw new SharpLMDataException(outPath, $"cannot be written: {e.Message}");
        }

        void Write() => Gemma3CheckpointWriter.WriteGguf(outPath, c, (logical, row, values) =>
        {
            if (matrices.TryGetValue(logical, out var m)) TensorCodec.Decode(m.Type, m.Row(checked((int)row)), values);
            else
            {
                // The engine holds the multiplier 1 + w; the writer wants w and adds the 1 back (exactly: Sterbenz).
                var v = norms[logical];
                for (int j = 0; j < values.Length; j++) values[j] = v[j] - 1f;
            }
        }, tokens, logical => TypeOf(type, logical), name);
    }
}
