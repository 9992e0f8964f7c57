using System.Globalization;
using System.Text.Json;
using SharpLM.IO;
using SharpLM.Models.Gemma3;

namespace SharpLM.Formats;

/// <summary>
/// Hugging Face <c>config.json</c> ⇄ <see cref="Gemma3Config"/> (spec §3.2). Reads <c>Gemma3ForCausalLM</c>
/// (<c>model_type: gemma3_text</c>) and the <c>text_config</c> of <c>Gemma3ForConditionalGeneration</c>
/// (<c>model_type: gemma3</c>); fields a hub config leaves out take <c>Gemma3TextConfig</c>'s defaults, as
/// HF does. Both RoPE spellings are accepted: <c>rope_parameters</c> per layer type, or the legacy
/// <c>rope_theta</c> / <c>rope_local_base_freq</c> / <c>rope_scaling</c> (global layers only; <c>type</c> or
/// <c>rope_type</c>). <c>layer_types</c> wins over <c>sliding_window_pattern</c>. Writing produces a
/// <c>Gemma3ForCausalLM</c> config that transformers loads.
/// </summary>
public static class HfConfig
{
    public const string FileName = "config.json";

    /// <summary>HF <c>Gemma3TextConfig</c> defaults, used for every field a config omits.</summary>
    static readonly Gemma3Config TextDefaults = new()
    {
        VocabSize = 262_208, HiddenSize = 2304, IntermediateSize = 9216, NumLayers = 26, NumHeads = 8, NumKvHeads = 4,
        HeadDim = 256, SlidingWindow = 4096, QueryPreAttnScalar = 256, RmsNormEps = 1e-6f, MaxPositionEmbeddings = 131_072,
        RopeGlobalBase = 1_000_000, RopeLocalBase = 10_000, RopeGlobalScale = 1, SlidingWindowPattern = 6,
    };

    /// <summary>Reads <paramref name="path"/> (a config.json, or a folder holding one).</summary>
    public static Gemma3Config Read(string path)
    {
        if (Directory.Exists(path)) path = Path.Combine(path, FileName);
        if (!File.Exists(path)) throw new SharpLMDataException(path, "no such file");
        var len = new FileInfo(path).Length;
        if (len > 16 << 20) throw new SharpLMDataException(path, $"config of {len} bytes is absurd");
        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Parses config JSON; <paramref name="source"/> names it in errors.</summary>
    public static Gemma3Config Parse(ReadOnlyMemory<byte> json, string source)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 32, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new SharpLMDataException(source, "not valid JSON: " + e.Message);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new SharpLMDataException(source, "config is not a JSON object");
            string? modelType = Str(root, "model_type", source);
            var archs = root.TryGetProperty("architectures", out var a) && a.ValueKind == JsonValueKind.Array
                ? a.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToList()
                : [];
            JsonElement text;
            if (modelType == "gemma3" || archs.Contains("Gemma3ForConditionalGeneration") || root.TryGetProperty("text_config", out _))
            {
                if (root.TryGetProperty("text_config", out var tc) && tc.ValueKind == JsonValueKind.Object) text = tc;
                else if (root.TryGetProperty("text_config", out tc) && tc.ValueKind != JsonValueKind.Null)
                    throw new SharpLMDataException(source, "text_config is not an object");
                else text = default; // all defaults
            }
            else if (modelType is "gemma3_text" or null && (modelType is not null || archs.Any(x => x.StartsWith("Gemma3", StringComparison.Ordinal))))
            {
                text = root;
            }
            else
            {
                throw new SharpLMDataException(source, $"not a Gemma 3 config (model_type '{modelType ?? "missing"}', architectures [{string.Join(", ", archs)}])");
            }
            var c = ParseText(text, source);
            // The multimodal wrapper may carry eos at top level.
            if (text.ValueKind == JsonValueKind.Object && !text.TryGetProperty("eos_token_id", out _) && root.TryGetProperty("eos_token_id", out var eos))
                c = c with { EosTokenId = FirstId(eos, "eos_token_id", source) };
            c.Validate(source);
            return c;
        }
    }

    static Gemma3Config ParseText(JsonElement t, string source)
    {
        var d = TextDefaults;
        bool has = t.ValueKind == JsonValueKind.Object;
        int I(string key, int fallback) => has ? Int(t, key, source) ?? fallback : fallback;
        double D(string key, double fallback) => has ? Num(t, key, source) ?? fallback : fallback;

        if (has)
        {
            foreach (var cap in new[] { "attn_logit_softcapping", "final_logit_softcapping" })
                if (Num(t, cap, source) is { } v)
                    throw new SharpLMDataException(source, $"{cap} = {v}: Gemma 3 has no soft-capping (is this a Gemma 2 config?)");
            string? act = Str(t, "hidden_activation", source) ?? Str(t, "hidden_act", source);
            if (act is not null and not "gelu_pytorch_tanh" and not "gelu_tanh")
                throw new SharpLMDataException(source, $"hidden_activation '{act}' is not supported (Gemma 3 uses gelu_pytorch_tanh)");
            if (t.TryGetProperty("use_bidirectional_attention", out var bi) && bi.ValueKind == JsonValueKind.True)
                throw new SharpLMDataException(source, "use_bidirectional_attention: EmbeddingGemma models are not supported");
            if (t.TryGetProperty("attention_bias", out var ab) && ab.ValueKind == JsonValueKind.True)
                throw new SharpLMDataException(source, "attention_bias = true is not supported (Gemma 3 has no biases)");
        }

        double globalBase = D("rope_theta", d.RopeGlobalBase);
        double localBase = D("rope_local_base_freq", d.RopeLocalBase);
        double globalScale = 1, localScale = 1;
        if (has && t.TryGetProperty("rope_scaling", out var rs) && rs.ValueKind != JsonValueKind.Null)
            globalScale = RopeFactor(rs, "rope_scaling", source);
        if (has && t.TryGetProperty("rope_parameters", out var rp) && rp.ValueKind == JsonValueKind.Object)
        {
            if (rp.TryGetProperty("full_attention", out var full) || rp.TryGetProperty("sliding_attention", out _))
            {
                if (rp.TryGetProperty("full_attention", out full))
                {
                    globalBase = Num(full, "rope_theta", source) ?? globalBase;
                    globalScale = RopeFactor(full, "rope_parameters.full_attention", source);
                }
                if (rp.TryGetProperty("sliding_attention", out var sliding))
                {
                    localBase = Num(sliding, "rope_theta", source) ?? localBase;
                    localScale = RopeFactor(sliding, "rope_parameters.sliding_attention", source);
                }
            }
            else
            {
                globalBase = Num(rp, "rope_theta", source) ?? globalBase;
                globalScale = RopeFactor(rp, "rope_parameters", source);
            }
        }

        IReadOnlyList<AttentionKind>? layerTypes = null;
        if (has && t.TryGetProperty("layer_types", out var lt) && lt.ValueKind == JsonValueKind.Array)
        {
            if (lt.GetArrayLength() > 1024) throw new SharpLMDataException(source, "layer_types has more than 1024 entries");
            layerTypes = lt.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString() switch
            {
                "sliding_attention" => AttentionKind.Local,
                "full_attention" => AttentionKind.Global,
                var s => throw new SharpLMDataException(source, $"layer_types entry '{s}' is neither sliding_attention nor full_attention"),
            } : throw new SharpLMDataException(source, "layer_types entries must be strings")).ToArray();
        }

        int eos = has && t.TryGetProperty("eos_token_id", out var e) ? FirstId(e, "eos_token_id", source) : d.EosTokenId;
        return d with
        {
            VocabSize = I("vocab_size", d.VocabSize),
            HiddenSize = I("hidden_size", d.HiddenSize),
            IntermediateSize = I("intermediate_size", d.IntermediateSize),
            NumLayers = I("num_hidden_layers", d.NumLayers),
            NumHeads = I("num_attention_heads", d.NumHeads),
            NumKvHeads = I("num_key_value_heads", d.NumKvHeads),
            HeadDim = I("head_dim", d.HeadDim),
            SlidingWindow = I("sliding_window", d.SlidingWindow),
            QueryPreAttnScalar = (float)D("query_pre_attn_scalar", d.QueryPreAttnScalar),
            RmsNormEps = (float)D("rms_norm_eps", d.RmsNormEps),
            MaxPositionEmbeddings = I("max_position_embeddings", d.MaxPositionEmbeddings),
            RopeGlobalBase = globalBase,
            RopeLocalBase = localBase,
            RopeGlobalScale = globalScale,
            RopeLocalScale = localScale,
            LayerTypes = layerTypes,
            SlidingWindowPattern = I("sliding_window_pattern", d.SlidingWindowPattern),
            BosTokenId = I("bos_token_id", d.BosTokenId),
            EosTokenId = eos,
            PadTokenId = I("pad_token_id", d.PadTokenId),
            TieWordEmbeddings = has && t.TryGetProperty("tie_word_embeddings", out var tie) ? tie.ValueKind != JsonValueKind.False : true,
        };
    }

    /// <summary>The linear factor of a rope-scaling object; 1 for <c>default</c>.</summary>
    static double RopeFactor(JsonElement rs, string what, string source)
    {
        if (rs.ValueKind == JsonValueKind.Null) return 1;
        if (rs.ValueKind != JsonValueKind.Object) throw new SharpLMDataException(source, $"{what} is not an object");
        string? type = Str(rs, "rope_type", source) ?? Str(rs, "type", source);
        double factor = Num(rs, "factor", source) ?? 1;
        return type switch
        {
            null or "default" => 1,
            "linear" => factor > 0 ? factor : throw new SharpLMDataException(source, $"{what}.factor {factor} must be positive"),
            _ => throw new SharpLMDataException(source, $"{what}: rope type '{type}' is not supported (Gemma 3 uses linear)"),
        };
    }

    static int FirstId(JsonElement e, string key, string source) => e.ValueKind switch
    {
        JsonValueKind.Number when e.TryGetInt32(out int v) => v,
        JsonValueKind.Array when e.GetArrayLength() > 0 && e[0].TryGetInt32(out int v) => v,
        _ => throw new SharpLMDataException(source, $"{key} must be a token id or a list of them"),
    };

    static string? Str(JsonElement o, string key, string source)
    {
        if (!o.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw new SharpLMDataException(source, $"{key} must be a string");
    }

    static double? Num(JsonElement o, string key, string source)
    {
        if (!o.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double x) && double.IsFinite(x)
            ? x : throw new SharpLMDataException(source, $"{key} must be a number");
    }

    static int? Int(JsonElement o, string key, string source)
    {
        double? x = Num(o, key, source);
        if (x is null) return null;
        if (x != Math.Floor(x.Value) || x < int.MinValue || x > int.MaxValue) throw new SharpLMDataException(source, $"{key} = {x} must be an integer");
        return (int)x.Value;
    }

    // ---------------- writing ----------------

    /// <summary>
    /// The <c>config.json</c> of a <c>Gemma3ForCausalLM</c> with <paramref name="c"/>'s shape;
    /// <paramref name="torchDtype"/> is <c>bfloat16</c> or <c>float32</c> (the dtype of the saved weights).
    /// </summary>
    public static string ToJson(Gemma3Config c, string torchDtype = "bfloat16")
    {
        if (c.RopeLocalScale != 1) throw new ArgumentException("HF Gemma 3 configs cannot express RoPE scaling on local layers");
        var ms = new MemoryStream();
        using (var j = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            j.WriteStartObject();
            j.WriteStartArray("architectures");
            j.WriteStringValue("Gemma3ForCausalLM");
            j.WriteEndArray();
            j.WriteBoolean("attention_bias", false);
            j.WriteNumber("attention_dropout", 0.0);
            j.WriteNull("attn_logit_softcapping");
            j.WriteNumber("bos_token_id", c.BosTokenId);
            j.WriteNumber("eos_token_id", c.EosTokenId);
            j.WriteNull("final_logit_softcapping");
            j.WriteNumber("head_dim", c.HeadDim);
            j.WriteString("hidden_activation", "gelu_pytorch_tanh");
            j.WriteNumber("hidden_size", c.HiddenSize);
            j.WriteNumber("initializer_range", 0.02);
            j.WriteNumber("intermediate_size", c.IntermediateSize);
            j.WriteStartArray("layer_types");
            for (int i = 0; i < c.NumLayers; i++) j.WriteStringValue(c.IsGlobal(i) ? "full_attention" : "sliding_attention");
            j.WriteEndArray();
            j.WriteNumber("max_position_embeddings", c.MaxPositionEmbeddings);
            j.WriteString("model_type", "gemma3_text");
            j.WriteNumber("num_attention_heads", c.NumHeads);
            j.WriteNumber("num_hidden_layers", c.NumLayers);
            j.WriteNumber("num_key_value_heads", c.NumKvHeads);
            j.WriteNumber("pad_token_id", c.PadTokenId);
            j.WriteNumber("query_pre_attn_scalar", c.QueryPreAttnScalar);
            j.WriteNumber("rms_norm_eps", c.RmsNormEps);
            j.WriteNumber("rope_local_base_freq", c.RopeLocalBase);
            if (c.RopeGlobalScale != 1)
            {
                j.WriteStartObject("rope_scaling");
                j.WriteNumber("factor", c.RopeGlobalScale);
                j.WriteString("rope_type", "linear");
                j.WriteEndObject();
            }
            else j.WriteNull("rope_scaling");
            j.WriteNumber("rope_theta", c.RopeGlobalBase);
            j.WriteNumber("sliding_window", c.SlidingWindow);
            if (c.LayerTypes is null) j.WriteNumber("sliding_window_pattern", c.SlidingWindowPattern);
            j.WriteBoolean("tie_word_embeddings", c.TieWordEmbeddings);
            j.WriteString("torch_dtype", torchDtype);
            j.WriteBoolean("use_cache", true);
            j.WriteNumber("vocab_size", c.VocabSize);
            j.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }

    /// <summary>Writes <paramref name="c"/> as <paramref name="path"/> (atomically).</summary>
    public static void Write(string path, Gemma3Config c, string torchDtype = "bfloat16") =>
        AtomicFile.WriteAllText(path, ToJson(c, torchDtype));

    internal static string Invariant(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
