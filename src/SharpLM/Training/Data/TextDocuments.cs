using System.Text;
using System.Text.Json;

namespace SharpLM.Training.Data;

/// <summary>
/// Documents from plain-text and JSON Lines files for <c>sharplm data tokenize</c>: a text file is one document;
/// a <c>.jsonl</c> file is one document per non-empty line, the string values of the named fields joined by a
/// newline. Invalid UTF-8, bad JSON and missing or non-string fields are errors naming file and line.
/// </summary>
public static class TextDocuments
{
    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static bool IsJsonLines(string path) =>
        path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase);

    public static IEnumerable<string> Read(string path, IReadOnlyList<string> fields)
    {
        if (!File.Exists(path)) throw new SharpLMDataException(path, "no such file");
        return IsJsonLines(path) ? ReadJsonLines(path, fields) : ReadText(path);
    }

    static IEnumerable<string> ReadText(string path)
    {
        string text;
        try { text = StrictUtf8.GetString(File.ReadAllBytes(path)); }
        catch (DecoderFallbackException e) { throw new SharpLMDataException(path, $"invalid UTF-8 at byte {e.Index}"); }
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        yield return text;
    }

    static IEnumerable<string> ReadJsonLines(string path, IReadOnlyList<string> fields)
    {
        using var stream = File.OpenRead(path);
        using var reader = new StreamReader(stream, StrictUtf8, detectEncodingFromByteOrderMarks: true);
        long lineNo = 0;
        var sb = new StringBuilder();
        while (true)
        {
            string? line;
            try { line = reader.ReadLine(); }
            catch (DecoderFallbackException) { throw new SharpLMDataException(path, "invalid UTF-8", lineNo + 1, offsetIsLine: true); }
            if (line is null) yield break;
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            sb.Clear();
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                    throw new SharpLMDataException(path, "expected a JSON object", lineNo, offsetIsLine: true);
                for (int i = 0; i < fields.Count; i++)
                {
                    if (!doc.RootElement.TryGetProperty(fields[i], out var v))
                        throw new SharpLMDataException(path, $"no field '{fields[i]}' (use --field to pick the text field)", lineNo, offsetIsLine: true);
                    if (v.ValueKind != JsonValueKind.String)
                        throw new SharpLMDataException(path, $"field '{fields[i]}' is {v.ValueKind}, not a string", lineNo, offsetIsLine: true);
                    if (i > 0) sb.Append('\n');
                    sb.Append(v.GetString());
                }
            }
            catch (JsonException e)
            {
                throw new SharpLMDataException(path, $"invalid JSON: {e.Message}", lineNo, offsetIsLine: true);
            }
            yield return sb.ToString();
        }
    }
}
