using System.Text.Json;

namespace SharpLM.Data.Classifier;

/// <summary>One page with its LLM score, as <c>data annotate</c> writes it (one JSON object per line).</summary>
public sealed record AnnotatedPage(string Text, double Score);

/// <summary>Reads annotation JSONL: objects with a <c>text</c> string and a numeric <c>score</c>; other fields are ignored.</summary>
public static class AnnotationFile
{
    /// <summary>Pages in file order. Lines without a numeric score (failed annotations) are skipped and counted.</summary>
    public static List<AnnotatedPage> Read(string path, out int skipped)
    {
        if (!File.Exists(path)) throw new SharpLMDataException(path, "file not found");
        var pages = new List<AnnotatedPage>();
        skipped = 0;
        int line = 0;
        foreach (var raw in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(raw)) continue;
            JsonElement root;
            try { root = JsonDocument.Parse(raw).RootElement; }
            catch (JsonException e) { throw new SharpLMDataException(path, "invalid JSON: " + e.Message, line, offsetIsLine: true); }
            if (root.ValueKind != JsonValueKind.Object) throw new SharpLMDataException(path, "each line must be a JSON object", line, offsetIsLine: true);
            if (!root.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
                throw new SharpLMDataException(path, "missing \"text\" string", line, offsetIsLine: true);
            if (!root.TryGetProperty("score", out var score) || score.ValueKind != JsonValueKind.Number || !double.IsFinite(score.GetDouble()))
            {
                skipped++;
                continue;
            }
            pages.Add(new AnnotatedPage(text.GetString()!, score.GetDouble()));
        }
        return pages;
    }
}
