using System.Text;
using System.Text.Json;

namespace SharpLM.Evaluation.Data;

/// <summary>One non-blank line of a JSONL file: its 0-based line index and the parsed object.</summary>
public readonly record struct JsonlLine(int Index, JsonElement Object)
{
    /// <summary>1-based line number, as editors and error messages show it.</summary>
    public int LineNumber => Index + 1;
}

/// <summary>
/// Streams a JSONL file line by line with strict checks: invalid UTF-8, a line that is not a JSON object or a
/// line longer than the limit throws <see cref="SharpLMDataException"/> naming the file and the line. Blank lines
/// are skipped but still counted, so <see cref="JsonlLine.Index"/> is always the physical 0-based line number
/// (the <c>index</c> that <c>eval score</c> predictions refer to).
/// </summary>
public static class JsonlFile
{
    /// <summary>Default longest accepted line: far above any benchmark record, small enough to never exhaust memory.</summary>
    public const int DefaultMaxLineBytes = 16 << 20;

    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The lines of <paramref name="path"/> as JSON objects (each element is a clone that outlives the read).</summary>
    public static IEnumerable<JsonlLine> Read(string path, int maxLineBytes = DefaultMaxLineBytes)
    {
        if (!File.Exists(path)) throw new SharpLMDataException(path, "file not found");
        foreach (var (index, bytes) in ReadLines(path, maxLineBytes))
        {
            var span = bytes.AsSpan();
            if (index == 0 && span.StartsWith("\uFEFF"u8)) span = span[3..]; // tolerate a UTF-8 BOM
            if (span.Length > 0 && span[^1] == '\r') span = span[..^1];
            if (IsBlank(span)) continue;
            string text;
            try { text = StrictUtf8.GetString(span); }
            catch (DecoderFallbackException) { throw Bad(path, index, "invalid UTF-8"); }
            JsonElement root;
            try
            {
                using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 64 });
                root = doc.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw Bad(path, index, "malformed JSON: " + FirstSentence(e.Message));
            }
            if (root.ValueKind != JsonValueKind.Object)
                throw Bad(path, index, $"expected a JSON object, found {Describe(root.ValueKind)}");
            yield return new JsonlLine(index, root);
        }
    }

    /// <summary>A required string field of a record; a clear error names the file, line and field.</summary>
    public static string RequiredString(string path, JsonlLine line, string field)
    {
        if (!line.Object.TryGetProperty(field, out var v))
            throw Bad(path, line.Index, $"missing field \"{field}\"");
        if (v.ValueKind != JsonValueKind.String)
            throw Bad(path, line.Index, $"field \"{field}\" must be a string, found {Describe(v.ValueKind)}");
        return v.GetString()!;
    }

    /// <summary>An optional field as text: strings as is, numbers in their JSON spelling, null/absent as null.</summary>
    public static string? OptionalText(JsonlLine line, string field) =>
        line.Object.TryGetProperty(field, out var v)
            ? v.ValueKind switch
            {
                JsonValueKind.String => v.GetString(),
                JsonValueKind.Number => v.GetRawText(),
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                _ => null,
            }
            : null;

    /// <summary>An error about line <paramref name="index"/> (0-based) of <paramref name="path"/>; printed 1-based.</summary>
    public static SharpLMDataException Bad(string path, int index, string reason) =>
        new(path, reason, index + 1, offsetIsLine: true);

    static IEnumerable<(int Index, byte[] Bytes)> ReadLines(string path, int maxLineBytes)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var buffer = new byte[1 << 16];
        var line = new MemoryStream();
        int index = 0;
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            int start = 0;
            for (int i = 0; i < read; i++)
            {
                if (buffer[i] != (byte)'\n') continue;
                Append(line, buffer, start, i - start, maxLineBytes, path, index);
                yield return (index++, line.ToArray());
                line.SetLength(0);
                start = i + 1;
            }
            Append(line, buffer, start, read - start, maxLineBytes, path, index);
        }
        if (line.Length > 0) yield return (index, line.ToArray());
    }

    static void Append(MemoryStream line, byte[] buffer, int start, int count, int max, string path, int index)
    {
        if (line.Length + count > max) throw Bad(path, index, $"line longer than {max} bytes");
        line.Write(buffer, start, count);
    }

    static bool IsBlank(ReadOnlySpan<byte> s)
    {
        foreach (var b in s) if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r')) return false;
        return true;
    }

    static string FirstSentence(string message)
    {
        int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd('.', ' ');
    }

    static string Describe(JsonValueKind k) => k switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => k.ToString(),
    };
}
