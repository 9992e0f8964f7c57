using System.Text.Json;

namespace SharpLM.Tokenization;

/// <summary>
/// What SharpLM uses from a Hugging Face <c>tokenizer_config.json</c>: whether BOS is added by default, the
/// special-token names and the Jinja chat template (kept verbatim for GGUF export; rendering uses
/// <see cref="ChatTemplate"/>). Everything else in the file is ignored.
/// </summary>
internal sealed record TokenizerConfig
{
    public bool? AddBosToken { get; init; }
    public bool? AddEosToken { get; init; }
    public string? BosToken { get; init; }
    public string? EosToken { get; init; }
    public string? PadToken { get; init; }
    public string? ChatTemplate { get; init; }

    public static TokenizerConfig Read(string path)
    {
        var bytes = TokenizerJsonReader.ReadBounded(path);
        try
        {
            using var doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new SharpLMDataException(path, "not a JSON object");
            return new TokenizerConfig
            {
                AddBosToken = Bool(root, "add_bos_token"),
                AddEosToken = Bool(root, "add_eos_token"),
                BosToken = TokenName(root, "bos_token"),
                EosToken = TokenName(root, "eos_token"),
                PadToken = TokenName(root, "pad_token"),
                ChatTemplate = Template(root),
            };
        }
        catch (JsonException e)
        {
            throw new SharpLMDataException(path, $"not valid JSON ({e.Message})");
        }
    }

    static bool? Bool(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    // A token is either "<bos>" or {"content": "<bos>", ...} (older transformers).
    static string? TokenName(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var v)) return null;
        if (v.ValueKind == JsonValueKind.String) return v.GetString();
        if (v.ValueKind == JsonValueKind.Object && v.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String) return c.GetString();
        return null;
    }

    // A string, or a list of {"name", "template"} where "default" is the one used for chat.
    static string? Template(JsonElement root)
    {
        if (!root.TryGetProperty("chat_template", out var v)) return null;
        if (v.ValueKind == JsonValueKind.String) return v.GetString();
        if (v.ValueKind == JsonValueKind.Array)
            foreach (var t in v.EnumerateArray())
                if (t.ValueKind == JsonValueKind.Object && t.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String
                    && n.GetString() == "default" && t.TryGetProperty("template", out var body) && body.ValueKind == JsonValueKind.String)
                    return body.GetString();
        return null;
    }
}
