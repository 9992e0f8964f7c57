using SharpLM.Quantization;
using SharpLM.Tensors;

namespace SharpLM.Models.Gemma3;

/// <summary>One decoder block's weights: matrices used in place, norm scales as f32 (1 + w).</summary>
public sealed class Gemma3LayerWeights
{
    public required WeightMatrix Q { get; init; }      // [nH·d, H]
    public required WeightMatrix K { get; init; }      // [nKV·d, H]
    public required WeightMatrix V { get; init; }      // [nKV·d, H]
    public required WeightMatrix O { get; init; }      // [H, nH·d]
    public required WeightMatrix Gate { get; init; }   // [I, H]
    public required WeightMatrix Up { get; init; }     // [I, H]
    public required WeightMatrix Down { get; init; }   // [H, I]
    public required float[] InputNorm { get; init; }           // [H]
    public required float[] QNorm { get; init; }               // [d]
    public required float[] KNorm { get; init; }               // [d]
    public required float[] PostAttentionNorm { get; init; }   // [H]
    public required float[] PreFeedForwardNorm { get; init; }  // [H]
    public required float[] PostFeedForwardNorm { get; init; } // [H]
}

/// <summary>
/// All weights of a Gemma 3 text decoder, bound from a checkpoint's tensors: big matrices stay in the
/// mapped file (any of F32, F16, BF16, Q8_0, Q4_0), norm weights are decoded to f32 scales (1 + w).
/// Every tensor is checked against the config; a missing one or a wrong shape is a
/// <see cref="SharpLMDataException"/> naming the file and the tensor.
/// </summary>
public sealed unsafe class Gemma3Weights
{
    public required WeightMatrix Embedding { get; init; }  // [V, H]
    /// <summary>The LM head: the embedding itself when tied.</summary>
    public required WeightMatrix Head { get; init; }       // [V, H]
    public required float[] FinalNorm { get; init; }       // [H]
    public required Gemma3LayerWeights[] Layers { get; init; }

    /// <summary>
    /// Binds weights from <paramref name="find"/> (logical name → tensor, or null).
    /// <paramref name="normsStoreOnePlusW"/> is true for GGUF (norms hold 1 + w), false for HF (w).
    /// </summary>
    /// <param name="storedName">The name a logical tensor has in the file (for error messages).</param>
    /// <param name="separateHeadWins">GGUF: use <c>output.weight</c> whenever present (llama.cpp's rule); HF: only when untied.</param>
    public static Gemma3Weights Bind(Gemma3Config c, Func<string, TensorRef?> find, bool normsStoreOnePlusW, string source,
        Func<string, string>? storedName = null, bool separateHeadWins = false)
    {
        TensorRef Get(string logical) => find(logical)
            ?? throw new SharpLMDataException(source, $"missing tensor '{storedName?.Invoke(logical) ?? logical}' (the config has {c.NumLayers} layers)");

        WeightMatrix Matrix(string logical, int rows, int cols)
        {
            var t = Get(logical);
            if (t.Shape.Length != 2 || t.Shape[0] != rows || t.Shape[1] != cols)
                throw new SharpLMDataException(t.File, $"tensor '{t.Name}' has shape [{string.Join(", ", t.Shape)}], the config needs [{rows}, {cols}]");
            if (t.Type.RowBytes(cols) < 0)
                throw new SharpLMDataException(t.File, $"tensor '{t.Name}': {cols} columns is not a multiple of the {t.Type} block size");
            return new WeightMatrix(t.Pointer, t.Type, rows, cols);
        }

        float[] Norm(string logical, int n)
        {
            var t = Get(logical);
            if (t.Shape.Length != 1 || t.Shape[0] != n)
                throw new SharpLMDataException(t.File, $"tensor '{t.Name}' has shape [{string.Join(", ", t.Shape)}], the config needs [{n}]");
            var v = new float[n];
            TensorCodec.Decode(t.Type, new ReadOnlySpan<byte>(t.Pointer, checked((int)t.ByteLength)), v);
            if (!normsStoreOnePlusW) for (int i = 0; i < n; i++) v[i] += 1f;
            return v;
        }

        int H = c.HiddenSize, d = c.HeadDim;
        var embedding = Matrix(Gemma3TensorNames.Embedding, c.VocabSize, H);
        var head = embedding;
        // GGUF: a separate output.weight wins when present (llama.cpp does the same). HF: lm_head is read only
        // when the config unties it; a tied checkpoint's lm_head copy holds the embedding's values.
        if (separateHeadWins || !c.TieWordEmbeddings)
        {
            if (find(Gemma3TensorNames.LmHead) is not null) head = Matrix(Gemma3TensorNames.LmHead, c.VocabSize, H);
            else if (!c.TieWordEmbeddings)
                throw new SharpLMDataException(source, "tie_word_embeddings is false but the checkpoint has no lm_head.weight");
        }

        var layers = new Gemma3LayerWeights[c.NumLayers];
        for (int i = 0; i < c.NumLayers; i++)
        {
            string L(string s) => Gemma3TensorNames.Layer(i, s);
            layers[i] = new Gemma3LayerWeights
            {
                Q = Matrix(L(Gemma3TensorNames.Q), c.QueryWidth, H),
                K = Matrix(L(Gemma3TensorNames.K), c.KvWidth, H),
                V = Matrix(L(Gemma3TensorNames.V), c.KvWidth, H),
                O = Matrix(L(Gemma3TensorNames.O), H, c.QueryWidth),
                Gate = Matrix(L(Gemma3TensorNames.Gate), c.IntermediateSize, H),
                Up = Matrix(L(Gemma3TensorNames.Up), c.IntermediateSize, H),
                Down = Matrix(L(Gemma3TensorNames.Down), H, c.IntermediateSize),
                InputNorm = Norm(L(Gemma3TensorNames.InputNorm), H),
                QNorm = Norm(L(Gemma3TensorNames.QNorm), d),
                KNorm = Norm(L(Gemma3TensorNames.KNorm), d),
                PostAttentionNorm = Norm(L(Gemma3TensorNames.PostAttentionNorm), H),
                PreFeedForwardNorm = Norm(L(Gemma3TensorNames.PreFeedForwardNorm), H),
                PostFeedForwardNorm = Norm(L(Gemma3TensorNames.PostFeedForwardNorm), H),
            };
        }
        return new Gemma3Weights
        {
            Embedding = embedding,
            Head = head,
            FinalNorm = Norm(Gemma3TensorNames.FinalNorm, H),
            Layers = layers,
        };
    }
}
