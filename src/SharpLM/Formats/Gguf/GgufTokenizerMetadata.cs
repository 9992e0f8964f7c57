using SharpLM.Tokenization;

namespace SharpLM.Formats.Gguf;

/// <summary>
/// Maps <c>tokenizer.ggml.*</c> / <c>tokenizer.chat_template</c> metadata ⇄ <see cref="GgufTokenizerData"/>,
/// with llama.cpp's key names and value types (token ids as u32, flags as bool, types as i32).
/// </summary>
public static class GgufTokenizerMetadata
{
    public const string ModelKey = "tokenizer.ggml.model";
    public const string PreKey = "tokenizer.ggml.pre";
    public const string TokensKey = "tokenizer.ggml.tokens";
    public const string ScoresKey = "tokenizer.ggml.scores";
    public const string TokenTypeKey = "tokenizer.ggml.token_type";
    public const string MergesKey = "tokenizer.ggml.merges";
    public const string BosKey = "tokenizer.ggml.bos_token_id";
    public const string EosKey = "tokenizer.ggml.eos_token_id";
    public const string UnknownKey = "tokenizer.ggml.unknown_token_id";
    public const string PaddingKey = "tokenizer.ggml.padding_token_id";
    public const string AddBosKey = "tokenizer.ggml.add_bos_token";
    public const string AddEosKey = "tokenizer.ggml.add_eos_token";
    public const string AddSpacePrefixKey = "tokenizer.ggml.add_space_prefix";
    public const string ChatTemplateKey = "tokenizer.chat_template";

    /// <summary>Reads the tokenizer from <paramref name="f"/>, or null when it has no token list.</summary>
    public static GgufTokenizerData? Read(GgufFile f)
    {
        var tokensValue = f.Get(TokensKey);
        if (tokensValue is null) return null;
        if (tokensValue.Value is not string[] tokens)
            throw new SharpLMDataException(f.Path, $"{TokensKey} should be an array of strings");
        int n = tokens.Length;

        float[] scores;
        var sv = f.Get(ScoresKey);
        if (sv is null) scores = new float[n];
        else if (sv.Value is float[] fs && fs.Length == n) scores = fs;
        else throw new SharpLMDataException(f.Path, $"{ScoresKey} should be {n} float32 values");

        int[] types;
        var tv = f.Get(TokenTypeKey);
        if (tv is null) { types = new int[n]; Array.Fill(types, GgufTokenizerData.TokenType.Normal); }
        else if (tv.Value is int[] ts && ts.Length == n) types = ts;
        else if (tv.Value is uint[] us && us.Length == n) types = Array.ConvertAll(us, u => (int)u);
        else throw new SharpLMDataException(f.Path, $"{TokenTypeKey} should be {n} int32 values");

        string[]? merges = null;
        var mv = f.Get(MergesKey);
        if (mv is not null) merges = mv.Value as string[] ?? throw new SharpLMDataException(f.Path, $"{MergesKey} should be an array of strings");

        int Id(string key, int fallback)
        {
            long? v = f.GetInteger(key);
            if (v is null) return fallback;
            if (v < 0 || v >= n) throw new SharpLMDataException(f.Path, $"{key} = {v} is not a token id (vocabulary has {n})");
            return (int)v;
        }

        return new GgufTokenizerData
        {
            Model = f.GetString(ModelKey) ?? "llama",
            Pre = f.GetString(PreKey) ?? "default",
            Tokens = tokens,
            Scores = scores,
            TokenTypes = types,
            Merges = merges,
            BosId = Id(BosKey, 2),
            EosId = Id(EosKey, 1),
            UnknownId = Id(UnknownKey, 3),
            PaddingId = Id(PaddingKey, 0),
            AddBos = f.GetBool(AddBosKey) ?? true,
            AddEos = f.GetBool(AddEosKey) ?? false,
            AddSpacePrefix = f.GetBool(AddSpacePrefixKey) ?? false,
            ChatTemplate = f.GetString(ChatTemplateKey),
        };
    }

    /// <summary>Adds <paramref name="t"/>'s keys to <paramref name="w"/>.</summary>
    public static void Write(GgufWriter w, GgufTokenizerData t)
    {
        int n = t.Tokens.Count;
        if (t.Scores.Count != n || t.TokenTypes.Count != n)
            throw new ArgumentException($"tokenizer has {n} tokens but {t.Scores.Count} scores and {t.TokenTypes.Count} types");
        w.Set(ModelKey, GgufValue.String(t.Model));
        w.Set(PreKey, GgufValue.String(t.Pre));
        w.Set(TokensKey, GgufValue.Array(t.Tokens.ToArray()));
        w.Set(ScoresKey, GgufValue.Array(t.Scores.ToArray()));
        w.Set(TokenTypeKey, GgufValue.Array(t.TokenTypes.ToArray()));
        if (t.Merges is { } m) w.Set(MergesKey, GgufValue.Array(m.ToArray()));
        w.Set(BosKey, GgufValue.UInt32((uint)t.BosId));
        w.Set(EosKey, GgufValue.UInt32((uint)t.EosId));
        w.Set(UnknownKey, GgufValue.UInt32((uint)t.UnknownId));
        w.Set(PaddingKey, GgufValue.UInt32((uint)t.PaddingId));
        w.Set(AddBosKey, GgufValue.Bool(t.AddBos));
        w.Set(AddEosKey, GgufValue.Bool(t.AddEos));
        w.Set(AddSpacePrefixKey, GgufValue.Bool(t.AddSpacePrefix));
        if (t.ChatTemplate is { } ct) w.Set(ChatTemplateKey, GgufValue.String(ct));
    }
}
