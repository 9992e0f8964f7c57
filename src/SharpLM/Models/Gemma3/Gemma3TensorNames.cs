namespace SharpLM.Models.Gemma3;

/// <summary>
/// Tensor names. SharpLM's logical names are HF's text-decoder names with the prefix stripped
/// (<c>embed_tokens.weight</c>, <c>layers.{i}.self_attn.q_proj.weight</c>, <c>norm.weight</c>); this maps them
/// to llama.cpp's GGUF names (spec §3.3) and finds the HF prefix a checkpoint uses (spec §3.1).
/// </summary>
public static class Gemma3TensorNames
{
    public const string Embedding = "embed_tokens.weight";
    public const string FinalNorm = "norm.weight";
    public const string LmHead = "lm_head.weight";

    public static string Layer(int i, string suffix) => $"layers.{i}.{suffix}";

    // Per-layer suffixes (HF spelling).
    public const string InputNorm = "input_layernorm.weight";
    public const string Q = "self_attn.q_proj.weight";
    public const string K = "self_attn.k_proj.weight";
    public const string V = "self_attn.v_proj.weight";
    public const string O = "self_attn.o_proj.weight";
    public const string QNorm = "self_attn.q_norm.weight";
    public const string KNorm = "self_attn.k_norm.weight";
    public const string PostAttentionNorm = "post_attention_layernorm.weight";
    public const string PreFeedForwardNorm = "pre_feedforward_layernorm.weight";
    public const string Gate = "mlp.gate_proj.weight";
    public const string Up = "mlp.up_proj.weight";
    public const string Down = "mlp.down_proj.weight";
    public const string PostFeedForwardNorm = "post_feedforward_layernorm.weight";

    /// <summary>Every per-layer suffix, in the order the block uses them.</summary>
    public static readonly string[] LayerSuffixes =
        [InputNorm, Q, K, V, O, QNorm, KNorm, PostAttentionNorm, PreFeedForwardNorm, Gate, Up, Down, PostFeedForwardNorm];

    /// <summary>True for RMSNorm weights (HF stores w, GGUF stores 1 + w).</summary>
    public static bool IsNorm(string logical) => logical.EndsWith("norm.weight", StringComparison.Ordinal);

    static readonly Dictionary<string, string> LayerToGguf = new(StringComparer.Ordinal)
    {
        [InputNorm] = "attn_norm.weight",
        [Q] = "attn_q.weight",
        [K] = "attn_k.weight",
        [V] = "attn_v.weight",
        [O] = "attn_output.weight",
        [QNorm] = "attn_q_norm.weight",
        [KNorm] = "attn_k_norm.weight",
        [PostAttentionNorm] = "post_attention_norm.weight",
        [PreFeedForwardNorm] = "ffn_norm.weight",
        [Gate] = "ffn_gate.weight",
        [Up] = "ffn_up.weight",
        [Down] = "ffn_down.weight",
        [PostFeedForwardNorm] = "post_ffw_norm.weight",
    };

    /// <summary>The llama.cpp GGUF name of a logical tensor name.</summary>
    public static string ToGguf(string logical)
    {
        switch (logical)
        {
            case Embedding: return "token_embd.weight";
            case FinalNorm: return "output_norm.weight";
            case LmHead: return "output.weight";
        }
        if (logical.StartsWith("layers.", StringComparison.Ordinal))
        {
            int dot = logical.IndexOf('.', 7);
            if (dot > 7 && LayerToGguf.TryGetValue(logical[(dot + 1)..], out var g))
                return $"blk.{logical[7..dot]}.{g}";
        }
        throw new ArgumentException($"'{logical}' is not a Gemma 3 text-decoder tensor", nameof(logical));
    }

    /// <summary>HF prefixes of the text decoder, in the priority the loader tries them (spec §3.1).</summary>
    public static readonly string[] HfPrefixes = ["language_model.model.", "model.language_model.", "model.", ""];

    /// <summary>Where an untied LM head may live in an HF checkpoint.</summary>
    public static readonly string[] HfLmHeadNames = ["lm_head.weight", "language_model.lm_head.weight", "model.lm_head.weight"];
}
