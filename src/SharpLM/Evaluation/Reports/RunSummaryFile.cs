using System.Text.Json;

namespace SharpLM.Evaluation.Reports;

/// <summary>
/// A summary JSON read back for <c>eval compare</c>: its task, model, step and every metric (value and standard
/// error). Accepts the summaries of <c>eval run</c> (generation and ppl) and <c>eval score</c>.
/// </summary>
public sealed record RunSummaryFile(string Path, string Task, string? Model, long? Step, bool Complete,
    IReadOnlyDictionary<string, (double Value, double? Stderr)> Metrics)
{
    public static RunSummaryFile Load(string path)
    {
        if (!File.Exists(path)) throw new SharpLMDataException(path, "file not found");
        if (new FileInfo(path).Length > 64 << 20) throw new SharpLMDataException(path, "too large for a summary JSON");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(path)); }
        catch (JsonException e) { throw new SharpLMDataException(path, "malformed JSON: " + e.Message.Split(" Path:")[0]); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("task", out var t) || t.ValueKind != JsonValueKind.String)
                throw new SharpLMDataException(path, "not an evaluation summary (no \"task\")");
            var metrics = new SortedDictionary<string, (double, double?)>(StringComparer.Ordinal);
            if (root.TryGetProperty("metrics", out var m) && m.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in m.EnumerateObject())
                {
                    if (p.Value.ValueKind != JsonValueKind.Object || !p.Value.TryGetProperty("value", out var v) || v.ValueKind != JsonValueKind.Number) continue;
                    double? se = p.Value.TryGetProperty("stderr", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetDouble() : null;
                    metrics[p.Name] = (v.GetDouble(), se);
                }
            }
            foreach (var name in new[] { "perplexity", "bits_per_byte", "byte_perplexity", "word_perplexity" })
                if (root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number) metrics[name] = (v.GetDouble(), null);
            if (metrics.Count == 0) throw new SharpLMDataException(path, "summary has no metrics");
            string? model = root.TryGetProperty("model", out var mo) && mo.ValueKind == JsonValueKind.String ? mo.GetString() : null;
            long? step = root.TryGetProperty("step", out var st) && st.ValueKind == JsonValueKind.Number && st.TryGetInt64(out var sv) ? sv : null;
            bool complete = !root.TryGetProperty("complete", out var c) || c.ValueKind != JsonValueKind.False;
            return new RunSummaryFile(path, t.GetString()!, model, step, complete, metrics);
        }
    }
}
