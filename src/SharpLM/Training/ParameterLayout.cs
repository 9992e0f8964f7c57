using SharpLM.Models.Gemma3;

namespace SharpLM.Training;

/// <summary>What a parameter tensor is, for initialisation and weight decay (matrices decay; norms don't).</summary>
public enum ParameterKind
{
    /// <summary>The tied embedding / LM head [V, H].</summary>
    Embedding,
    /// <summary>A projection matrix [out, in].</summary>
    Matrix,
    /// <summary>An RMSNorm offset vector (scale is 1 + w), initialised to 0.</summary>
    Norm,
}

/// <summary>One named tensor of the flat parameter arena; <see cref="Name"/> is the HF name of spec §3.1.</summary>
public sealed record ParameterTensor(string Name, int[] Shape, long Offset, ParameterKind Kind)
{
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>Offsets of one decoder layer's tensors in the arena, in the order of the block diagram.</summary>
public readonly record struct LayerOffsets(
    long InputNorm, long Q, long K, long V, long O, long QNorm, long KNorm, long PostAttentionNorm,
    long PreFeedforwardNorm, long Gate, long Up, long Down, long PostFeedforwardNorm);

/// <summary>
/// Where every parameter lives in one flat arena (llm.c's ParameterTensors): the embedding, then each
/// layer's tensors, then the final norm. Gradients and AdamW moments use the same layout, so the optimizer
/// is one loop over a flat buffer and a checkpoint is a walk over <see cref="Tensors"/>.
/// </summary>
public sealed class ParameterLayout
{
    public Gemma3Config Config { get; }
    public IReadOnlyList<ParameterTensor> Tensors { get; }
    public long Embedding { get; }
    public IReadOnlyList<LayerOffsets> Layers { get; }
    public long FinalNorm { get; }
    /// <summary>Total elements.</summary>
    public long Count { get; }

    public ParameterLayout(Gemma3Config config)
    {
        Config = config;
        int H = config.HiddenSize, I = config.IntermediateSize, d = config.HeadDim;
        int qW = config.QueryWidth, kvW = config.KvWidth;
        var tensors = new List<ParameterTensor>();
        long offset = 0;
        long Add(string name, ParameterKind kind, params int[] shape) => AddTensor(name, kind, pad: true, shape);
        long AddTensor(string name, ParameterKind kind, bool pad, params int[] shape)
        {
            var t = new ParameterTensor(name, shape, offset, kind);
            tensors.Add(t);
            // Start tensors on a 64-byte line (16 floats) — except inside a fused group, which must be contiguous.
            offset += pad ? (t.Count + 15) / 16 * 16 : t.Count;
            return t.Offset;
        }
        Embedding = Add("model.embed_tokens.weight", ParameterKind.Embedding, config.VocabSize, H);
        var layers = new LayerOffsets[config.NumLayers];
        for (int i = 0; i < config.NumLayers; i++)
        {
            string p = $"model.layers.{i}.";
            long inNorm = Add(p + "input_layernorm.weight", ParameterKind.Norm, H);
            long q = AddTensor(p + "self_attn.q_proj.weight", ParameterKind.Matrix, false, qW, H);
            long k = AddTensor(p + "self_attn.k_proj.weight", ParameterKind.Matrix, false, kvW, H);
            long v = Add(p + "self_attn.v_proj.weight", ParameterKind.Matrix, kvW, H);
            long o = Add(p + "self_attn.o_proj.weight", ParameterKind.Matrix, H, qW);
            long qn = Add(p + "self_attn.q_norm.weight", ParameterKind.Norm, d);
            long kn = Add(p + "self_attn.k_norm.weight", ParameterKind.Norm, d);
            long postAttn = Add(p + "post_attention_layernorm.weight", ParameterKind.Norm, H);
            long preFfn = Add(p + "pre_feedforward_layernorm.weight", ParameterKind.Norm, H);
            long gate = AddTensor(p + "mlp.gate_proj.weight", ParameterKind.Matrix, false, I, H);
            long up = Add(p + "mlp.up_proj.weight", ParameterKind.Matrix, I, H);
            long down = Add(p + "mlp.down_proj.weight", ParameterKind.Matrix, H, I);
            long postFfn = Add(p + "post_feedforward_layernorm.weight", ParameterKind.Norm, H);
            // The model runs [Wq; Wk; Wv] and [Wgate; Wup] as single matrices, so those sit back to back.
            layers[i] = new LayerOffsets(inNorm, q, k, v, o, qn, kn, postAttn, preFfn, gate, up, down, postFfn);
        }
        FinalNorm = Add("model.norm.weight", ParameterKind.Norm, H);
        Layers = layers;
        Tensors = tensors;
        Count = offset;
    }

    /// <summary>The tensor called <paramref name="name"/>, or null.</summary>
    public ParameterTensor? Find(string name) => Tensors.FirstOrDefault(t => t.Name == name);

    /// <summary>Number of real parameters (without alignment padding).</summary>
    public long ParameterCount => Tensors.Sum(t => t.Count);
}
