using System.Text.Json;

namespace SharpLM.Evaluation.Scoring;

/// <summary>
/// One line of a run's per-sample JSONL: what was asked, what came back, what was extracted and how it scored.
/// Written as soon as a sample finishes, so an interrupted run resumes from these lines.
/// </summary>
public sealed record SampleRecord
{
    /// <summary>0-based line of the item in the data file.</summary>
    public required int Index { get; init; }
    /// <summary>Fingerprint of the run settings; a resumed run refuses records from other settings.</summary>
    public required string Run { get; init; }
    public required string Prompt { get; init; }
    public required string Output { get; init; }
    public required string? Extracted { get; init; }
    public required string Method { get; init; }
    public required string Gold { get; init; }
    public required bool Correct { get; init; }
    public required IReadOnlyDictionary<string, bool> Metrics { get; init; }
    /// <summary>Why generation ended: <c>stop</c> (a stop sequence or end of text), <c>length</c> (token cap).</summary>
    public string? FinishReason { get; init; }
    public int? PromptTokens { get; init; }
    public int? OutputTokens { get; init; }

    public void WriteTo(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteNumber("index", Index);
        w.WriteString("run", Run);
        w.WriteString("prompt", Prompt);
        w.WriteString("output", Output);
        if (Extracted is null) w.WriteNull("extracted"); else w.WriteString("extracted", Extracted);
        w.WriteString("method", Method);
        w.WriteString("gold", Gold);
        w.WriteBoolean("correct", Correct);
        w.WriteStartObject("metrics");
        foreach (var (k, v) in Metrics) w.WriteBoolean(k, v);
        w.WriteEndObject();
        if (FinishReason is not null) w.WriteString("finish_reason", FinishReason);
        if (PromptTokens is { } pt) w.WriteNumber("prompt_tokens", pt);
        if (OutputTokens is { } ot) w.WriteNumber("output_tokens", ot);
        w.WriteEndObject();
    }

    /// <summary>Reads a record written by <see cref="WriteTo"/>; a missing or mistyped field throws <see cref="FormatException"/>.</summary>
    public static SampleRecord Read(JsonElement e)
    {
        var metrics = new Dictionary<string, bool>(StringComparer.Ordinal);
        if (e.TryGetProperty("metrics", out var m) && m.ValueKind == JsonValueKind.Object)
            foreach (var p in m.EnumerateObject())
                metrics[p.Name] = p.Value.ValueKind == JsonValueKind.True;
        return new SampleRecord
        {
            Index = Int(e, "index"),
            Run = Str(e, "run"),
            Prompt = Str(e, "prompt"),
            Output = Str(e, "output"),
            Extracted = e.TryGetProperty("extracted", out var x) && x.ValueKind == JsonValueKind.String ? x.GetString() : null,
            Method = Str(e, "method"),
            Gold = Str(e, "gold"),
            Correct = e.TryGetProperty("correct", out var c) && c.ValueKind is JsonValueKind.True or JsonValueKind.False
                ? c.GetBoolean() : throw new FormatException("missing field \"correct\""),
            Metrics = metrics,
            FinishReason = e.TryGetProperty("finish_reason", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null,
            PromptTokens = e.TryGetProperty("prompt_tokens", out var pt) && pt.ValueKind == JsonValueKind.Number ? pt.GetInt32() : null,
            OutputTokens = e.TryGetProperty("output_tokens", out var ot) && ot.ValueKind == JsonValueKind.Number ? ot.GetInt32() : null,
        };
    }

    static string Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new FormatException($"missing field \"{name}\"");

    static int Int(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : throw new FormatException($"missing field \"{name}\"");
}
