using SharpLM.Formats.Gguf;

namespace SharpLM.Models.Gemma3;

/// <summary>
/// The <c>gemma3.*</c> GGUF metadata ⇄ <see cref="Gemma3Config"/>, as llama.cpp's converter writes it and its
/// loader reads it (spec §3.3). llama.cpp hard-codes the local RoPE base (10k), the 6-layer period and the
/// attention scale (1/√key_length, or 1/√(H/nH) for the 62-layer 27B); the optional keys Ollama reads
/// (<c>gemma3.rope.local.freq_base</c>, <c>gemma3.rope.global.freq_base</c>) are honoured when present.
/// </summary>
public static class Gemma3GgufMetadata
{
    public const string Architecture = "gemma3";
    const string P = "gemma3.";
    /// <summary>SharpLM's key for a query_pre_attn_scalar llama.cpp would not infer (written only then).</summary>
    public const string QueryPreAttnScalarKey = P + "attention.query_pre_attn_scalar";

    /// <summary>The config of a <c>gemma3</c> GGUF; <paramref name="vocabRows"/> is the embedding's row count.</summary>
    public static Gemma3Config ReadConfig(GgufFile f, int vocabRows)
    {
        string arch = f.GetString("general.architecture") ?? throw new SharpLMDataException(f.Path, "no general.architecture (not a model GGUF)");
        if (arch != Architecture) throw new SharpLMDataException(f.Path, $"architecture '{arch}' is not supported (SharpLM runs gemma3)");
        int Req(string key)
        {
            long v = f.GetInteger(P + key) ?? throw new SharpLMDataException(f.Path, $"missing metadata {P}{key}");
            if (v is <= 0 or > int.MaxValue) throw new SharpLMDataException(f.Path, $"{P}{key} = {v} is out of range");
            return (int)v;
        }
        int Opt(string key, int fallback)
        {
            long? v = f.GetInteger(P + key);
            if (v is null) return fallback;
            if (v is <= 0 or > int.MaxValue) throw new SharpLMDataException(f.Path, $"{P}{key} = {v} is out of range");
            return (int)v;
        }
        int H = Req("embedding_length"), L = Req("block_count"), nH = Req("attention.head_count");
        int nKV = Opt("attention.head_count_kv", nH);
        int d = Opt("attention.key_length", H / nH);
        int dv = Opt("attention.value_length", d);
        if (dv != d) throw new SharpLMDataException(f.Path, $"attention.value_length {dv} differs from key_length {d}");

        double globalBase = f.GetNumber(P + "rope.global.freq_base") ?? f.GetNumber(P + "rope.freq_base") ?? 1_000_000;
        double localBase = f.GetNumber(P + "rope.local.freq_base") ?? 10_000;
        double scale = 1;
        string? scalingType = f.GetString(P + "rope.scaling.type");
        if (scalingType is not null and not "none")
        {
            if (scalingType != "linear") throw new SharpLMDataException(f.Path, $"rope.scaling.type '{scalingType}' is not supported (Gemma 3 uses linear)");
            scale = f.GetNumber(P + "rope.scaling.factor") ?? 1;
            if (!(scale > 0)) throw new SharpLMDataException(f.Path, $"rope.scaling.factor {scale} must be positive");
        }

        long? window = f.GetInteger(P + "attention.sliding_window");
        IReadOnlyList<AttentionKind>? layerTypes = null;
        int pattern = 6;
        var patternValue = f.Get(P + "attention.sliding_window_pattern");
        if (window is null)
        {
            // Converter omits the window only for sliding_window_pattern == 1: every layer global.
            layerTypes = Enumerable.Repeat(AttentionKind.Global, L).ToArray();
        }
        else if (patternValue is { Value: bool[] swa })
        {
            if (swa.Length != L) throw new SharpLMDataException(f.Path, $"attention.sliding_window_pattern has {swa.Length} entries for {L} layers");
            layerTypes = swa.Select(s => s ? AttentionKind.Local : AttentionKind.Global).ToArray();
        }
        else if (patternValue is not null && patternValue.TryGetInt64(out long period))
        {
            pattern = period is >= 0 and <= 1024 ? (int)period : throw new SharpLMDataException(f.Path, $"attention.sliding_window_pattern {period} out of range");
        }

        float qpas = L == 62 ? (float)H / nH : d;
        if (f.GetNumber(QueryPreAttnScalarKey) is { } q) qpas = (float)q;

        var config = new Gemma3Config
        {
            VocabSize = vocabRows,
            HiddenSize = H,
            IntermediateSize = Req("feed_forward_length"),
            NumLayers = L,
            NumHeads = nH,
            NumKvHeads = nKV,
            HeadDim = d,
            SlidingWindow = window is { } w ? (w is > 0 and <= int.MaxValue ? (int)w : throw new SharpLMDataException(f.Path, $"attention.sliding_window {w} out of range")) : Opt("context_length", 131_072),
            QueryPreAttnScalar = qpas,
            RmsNormEps = (float)(f.GetNumber(P + "attention.layer_norm_rms_epsilon") ?? 1e-6),
            MaxPositionEmbeddings = Opt("context_length", 131_072),
            RopeGlobalBase = globalBase,
            RopeLocalBase = localBase,
            RopeGlobalScale = scale,
            LayerTypes = layerTypes,
            SlidingWindowPattern = pattern,
            BosTokenId = (int)(f.GetInteger("tokenizer.ggml.bos_token_id") ?? 2),
            EosTokenId = (int)(f.GetInteger("tokenizer.ggml.eos_token_id") ?? 1),
            PadTokenId = (int)(f.GetInteger("tokenizer.ggml.padding_token_id") ?? 0),
        };
        config.Validate(f.Path);
        return config;
    }

    /// <summary>Writes <paramref name="c"/>'s <c>general.*</c> and <c>gemma3.*</c> keys the way llama.cpp's converter does.</summary>
    public static void Write(GgufWriter w, Gemma3Config c, string name = "gemma3")
    {
        if (c.RopeLocalBase != 10_000 || c.RopeLocalScale != 1)
            throw new ArgumentException("llama.cpp's gemma3 fixes local RoPE to base 10000 without scaling; this config differs");
        bool standardPattern = c.LayerTypes is null
            ? c.SlidingWindowPattern == 6
            : Enumerable.Range(0, c.NumLayers).All(i => c.IsGlobal(i) == ((i + 1) % 6 == 0));
        bool allGlobal = Enumerable.Range(0, c.NumLayers).All(c.IsGlobal);
        w.Set("general.architecture", GgufValue.String(Architecture));
        w.Set("general.name", GgufValue.String(name));
        w.Set(P + "context_length", GgufValue.UInt32((uint)c.MaxPositionEmbeddings));
        w.Set(P + "embedding_length", GgufValue.UInt32((uint)c.HiddenSize));
        w.Set(P + "block_count", GgufValue.UInt32((uint)c.NumLayers));
        w.Set(P + "feed_forward_length", GgufValue.UInt32((uint)c.IntermediateSize));
        w.Set(P + "attention.head_count", GgufValue.UInt32((uint)c.NumHeads));
        w.Set(P + "attention.head_count_kv", GgufValue.UInt32((uint)c.NumKvHeads));
        w.Set(P + "attention.key_length", GgufValue.UInt32((uint)c.HeadDim));
        w.Set(P + "attention.value_length", GgufValue.UInt32((uint)c.HeadDim));
        w.Set(P + "attention.layer_norm_rms_epsilon", GgufValue.Float32(c.RmsNormEps));
        w.Set(P + "rope.freq_base", GgufValue.Float32((float)c.RopeGlobalBase));
        if (!allGlobal) w.Set(P + "attention.sliding_window", GgufValue.UInt32((uint)c.SlidingWindow));
        if (!standardPattern && !allGlobal)
            w.Set(P + "attention.sliding_window_pattern",
                GgufValue.Array(GgufValueType.Bool, Enumerable.Range(0, c.NumLayers).Select(i => !c.IsGlobal(i)).ToArray()));
        if (c.RopeGlobalScale != 1)
        {
            w.Set(P + "rope.scaling.type", GgufValue.String("linear"));
            w.Set(P + "rope.scaling.factor", GgufValue.Float32((float)c.RopeGlobalScale));
        }
        float inferred = c.NumLayers == 62 ? (float)c.HiddenSize / c.NumHeads : c.HeadDim;
        if (c.QueryPreAttnScalar != inferred) w.Set(QueryPreAttnScalarKey, GgufValue.Float32(c.QueryPreAttnScalar));
    }
}
