using SharpLM.Tensors;

namespace SharpLM.Models.Gemma3;

/// <summary>How a layer attends: a causal sliding window of <see cref="Gemma3Config.SlidingWindow"/> keys, or the whole causal context.</summary>
public enum AttentionKind
{
    /// <summary>"sliding_attention": query i sees key j iff 0 ≤ i−j &lt; W; RoPE base 10k.</summary>
    Local,
    /// <summary>"full_attention": query i sees every key j ≤ i; RoPE base 1M (and linear scaling on 4B+).</summary>
    Global,
}

/// <summary>How the embedding is scaled by sqrt(H) (spec §1.1).</summary>
public enum EmbedScaleMode
{
    /// <summary>sqrt(H) rounded to bf16 (HF in bf16, JAX, gemma.cpp): 34.0 for the 1B model. The default.</summary>
    Bf16,
    /// <summary>sqrt(H) in f32 (llama.cpp): 33.941124 for the 1B model.</summary>
    Exact,
}

/// <summary>
/// The text decoder's hyper-parameters (../shared/spec/gemma3.md §2). Letters used across the model code:
/// H hidden, L layers, nH query heads, nKV key/value heads, d head dim, I MLP width, V embedding rows, W window.
/// </summary>
public sealed record Gemma3Config
{
    /// <summary>V: embedding rows (262144 for 270M/1B, 262208 for the multimodal checkpoints). Logits have V columns.</summary>
    public int VocabSize { get; init; } = 262_144;
    /// <summary>H.</summary>
    public int HiddenSize { get; init; }
    /// <summary>I: GeGLU width.</summary>
    public int IntermediateSize { get; init; }
    /// <summary>L.</summary>
    public int NumLayers { get; init; }
    /// <summary>nH.</summary>
    public int NumHeads { get; init; }
    /// <summary>nKV (GQA: query head h reads KV head h / (nH/nKV)).</summary>
    public int NumKvHeads { get; init; }
    /// <summary>d (256, or 128 for 27B) — not H/nH in general.</summary>
    public int HeadDim { get; init; } = 256;
    /// <summary>W: keys a local layer sees, including the query's own position.</summary>
    public int SlidingWindow { get; init; } = 512;
    /// <summary>Scores are multiplied by QueryPreAttnScalar^-1/2 (256 → 0.0625; 27B: 168).</summary>
    public float QueryPreAttnScalar { get; init; } = 256;
    public float RmsNormEps { get; init; } = 1e-6f;
    public int MaxPositionEmbeddings { get; init; } = 32_768;
    /// <summary>RoPE base on local layers.</summary>
    public double RopeLocalBase { get; init; } = 10_000;
    /// <summary>RoPE base on global layers.</summary>
    public double RopeGlobalBase { get; init; } = 1_000_000;
    /// <summary>Linear RoPE scaling factor on global layers (positions ÷ factor); 8 on 4B/12B/27B, else 1.</summary>
    public double RopeGlobalScale { get; init; } = 1;
    /// <summary>Linear RoPE scaling factor on local layers; 1 in every released model.</summary>
    public double RopeLocalScale { get; init; } = 1;
    /// <summary>Explicit per-layer kinds (HF <c>layer_types</c>); null means the 5:1 rule, global iff (i+1) % <see cref="SlidingWindowPattern"/> == 0.</summary>
    public IReadOnlyList<AttentionKind>? LayerTypes { get; init; }
    /// <summary>Period of the local/global pattern when <see cref="LayerTypes"/> is absent (HF <c>sliding_window_pattern</c>).</summary>
    public int SlidingWindowPattern { get; init; } = 6;
    public int BosTokenId { get; init; } = 2;
    public int EosTokenId { get; init; } = 1;
    public int PadTokenId { get; init; } = 0;
    /// <summary>The LM head reuses the embedding (true for every released Gemma 3); when false the checkpoint carries its own head.</summary>
    public bool TieWordEmbeddings { get; init; } = true;

    /// <summary>Attention kind of layer <paramref name="layer"/> (0-based).</summary>
    public AttentionKind LayerKind(int layer) =>
        LayerTypes is { } types ? types[layer]
        : SlidingWindowPattern > 0 && (layer + 1) % SlidingWindowPattern == 0 ? AttentionKind.Global
        : AttentionKind.Local;

    public bool IsGlobal(int layer) => LayerKind(layer) == AttentionKind.Global;

    /// <summary>nH·d: width of the query and attention-output projections.</summary>
    public int QueryWidth => NumHeads * HeadDim;
    /// <summary>nKV·d: width of the key and value projections.</summary>
    public int KvWidth => NumKvHeads * HeadDim;

    /// <summary>The embedding multiplier sqrt(H) under <paramref name="mode"/>.</summary>
    public float EmbedScale(EmbedScaleMode mode)
    {
        float s = MathF.Sqrt(HiddenSize);
        return mode == EmbedScaleMode.Bf16 ? BFloat16.Round(s) : s;
    }

    /// <summary>1/sqrt(query_pre_attn_scalar).</summary>
    public float AttentionScale => 1f / MathF.Sqrt(QueryPreAttnScalar);

    /// <summary>Parameters, counting the tied embedding once.</summary>
    public long ParameterCount()
    {
        long H = HiddenSize, I = IntermediateSize, d = HeadDim;
        long perLayer = H * QueryWidth + 2 * H * KvWidth + QueryWidth * H // q, k, v, o
                      + 3 * H * I                                        // gate, up, down
                      + 4 * H + 2 * d;                                   // four block norms, q_norm, k_norm
        return (long)VocabSize * H + NumLayers * perLayer + H;
    }

    /// <summary>
    /// Checks that the numbers describe a buildable model, so no later allocation is sized by nonsense.
    /// Throws <see cref="SharpLMDataException"/> naming <paramref name="source"/>.
    /// </summary>
    public void Validate(string source)
    {
        void Check(bool ok, string what)
        {
            if (!ok) throw new SharpLMDataException(source, $"invalid model config: {what}");
        }
        Check(HiddenSize is > 0 and <= 65_536, $"hidden_size {HiddenSize} out of range 1..65536");
        Check(IntermediateSize is > 0 and <= 1 << 20, $"intermediate_size {IntermediateSize} out of range");
        Check(NumLayers is > 0 and <= 1024, $"num_hidden_layers {NumLayers} out of range 1..1024");
        Check(NumHeads is > 0 and <= 1024, $"num_attention_heads {NumHeads} out of range");
        Check(NumKvHeads > 0 && NumKvHeads <= NumHeads && NumHeads % NumKvHeads == 0,
            $"num_key_value_heads {NumKvHeads} must divide num_attention_heads {NumHeads}");
        Check(HeadDim is > 0 and <= 4096 && HeadDim % 2 == 0, $"head_dim {HeadDim} must be even and at most 4096");
        Check(VocabSize is > 0 and <= 16_777_216, $"vocab_size {VocabSize} out of range");
        Check(SlidingWindow > 0, $"sliding_window {SlidingWindow} must be positive");
        Check(MaxPositionEmbeddings > 0, $"max_position_embeddings {MaxPositionEmbeddings} must be positive");
        Check(QueryPreAttnScalar > 0 && float.IsFinite(QueryPreAttnScalar), "query_pre_attn_scalar must be positive");
        Check(RmsNormEps >= 0 && float.IsFinite(RmsNormEps), "rms_norm_eps must be a non-negative number");
        Check(RopeLocalBase > 1 && RopeGlobalBase > 1, "rope bases must be greater than 1");
        Check(RopeGlobalScale > 0 && RopeLocalScale > 0, "rope scaling factors must be positive");
        Check(LayerTypes is null || LayerTypes.Count == NumLayers,
            $"layer_types has {LayerTypes?.Count} entries for {NumLayers} layers");
        Check(SlidingWindowPattern >= 0, "sliding_window_pattern must be non-negative");
    }

    // ---- Released shapes (spec §2). Training presets (tiny, small) live with the trainer. ----

    public static Gemma3Config Gemma3_270M { get; } = new()
    {
        VocabSize = 262_144, HiddenSize = 640, IntermediateSize = 2048, NumLayers = 18,
        NumHeads = 4, NumKvHeads = 1, HeadDim = 256, SlidingWindow = 512, QueryPreAttnScalar = 256,
        MaxPositionEmbeddings = 32_768,
    };

    public static Gemma3Config Gemma3_1B { get; } = new()
    {
        VocabSize = 262_144, HiddenSize = 1152, IntermediateSize = 6912, NumLayers = 26,
        NumHeads = 4, NumKvHeads = 1, HeadDim = 256, SlidingWindow = 512, QueryPreAttnScalar = 256,
        MaxPositionEmbeddings = 32_768,
    };

    public static Gemma3Config Gemma3_4B { get; } = new()
    {
        VocabSize = 262_208, HiddenSize = 2560, IntermediateSize = 10240, NumLayers = 34,
        NumHeads = 8, NumKvHeads = 4, HeadDim = 256, SlidingWindow = 1024, QueryPreAttnScalar = 256,
        MaxPositionEmbeddings = 131_072, RopeGlobalScale = 8,
    };

    public static Gemma3Config Gemma3_12B { get; } = new()
    {
        VocabSize = 262_208, HiddenSize = 3840, IntermediateSize = 15360, NumLayers = 48,
        NumHeads = 16, NumKvHeads = 8, HeadDim = 256, SlidingWindow = 1024, QueryPreAttnScalar = 256,
        MaxPositionEmbeddings = 131_072, RopeGlobalScale = 8,
    };

    public static Gemma3Config Gemma3_27B { get; } = new()
    {
        VocabSize = 262_208, HiddenSize = 5376, IntermediateSize = 21504, NumLayers = 62,
        NumHeads = 32, NumKvHeads = 16, HeadDim = 128, SlidingWindow = 1024, QueryPreAttnScalar = 168,
        MaxPositionEmbeddings = 131_072, RopeGlobalScale = 8,
    };

    /// <summary>The released shape called <paramref name="name"/> (<c>270m</c>, <c>1b</c>, <c>4b</c>, <c>12b</c>, <c>27b</c>), or null.</summary>
    public static Gemma3Config? Released(string name) => name.ToLowerInvariant() switch
    {
        "270m" => Gemma3_270M,
        "1b" => Gemma3_1B,
        "4b" => Gemma3_4B,
        "12b" => Gemma3_12B,
        "27b" => Gemma3_27B,
        _ => null,
    };
}
