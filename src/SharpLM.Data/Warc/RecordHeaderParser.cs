using System.Globalization;
using System.Text;

namespace SharpLM.Data.Warc;

/// <summary>The parsed head of one record: what comes before its block.</summary>
internal sealed record RecordHead(
    string Version, string Type, WarcHeaders Headers, string? TargetUri, DateTimeOffset? Date,
    int HeadLength, long ContentLength);

/// <summary>
/// Parses the head of a WARC record (version line, <c>Name: value</c> fields with continuation lines, blank
/// line) or of a legacy ARC v1 record (one line <c>URL IP DATE MIME LENGTH</c>) from the bytes at the
/// record's start. Lenient where real crawlers are sloppy (bare LF line ends, ClueWeb's <c>WARC/0.18</c>,
/// unparseable dates), strict where a mistake would desynchronise the reader (Content-Length).
/// </summary>
internal static class RecordHeaderParser
{
    /// <summary>Whether <paramref name="head"/> starts like a WARC or ARC record (used to resynchronise).</summary>
    public static bool LooksLikeRecordStart(ReadOnlySpan<byte> head) =>
        head.StartsWith("WARC/"u8) || head.StartsWith("filedesc://"u8) || LooksLikeArcLine(head);

    static bool LooksLikeArcLine(ReadOnlySpan<byte> head)
    {
        int colon = head.IndexOf("://"u8);
        if (colon <= 0 || colon > 16) return false;
        foreach (var b in head[..colon]) if (!(b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z')) return false;
        return true;
    }

    /// <summary>Parses a record head from <paramref name="data"/>; null with a reason when it is malformed or incomplete.</summary>
    public static RecordHead? TryParse(ReadOnlySpan<byte> data, int maxHeadBytes, out string? failure)
    {
        if (data.StartsWith("WARC/"u8)) return TryParseWarc(data, maxHeadBytes, out failure);
        if (data.StartsWith("filedesc://"u8) || LooksLikeArcLine(data)) return TryParseArc(data, out failure);
        failure = "malformed_header";
        return null;
    }

    static RecordHead? TryParseWarc(ReadOnlySpan<byte> data, int maxHeadBytes, out string? failure)
    {
        failure = "malformed_header";
        var limit = data[..Math.Min(data.Length, maxHeadBytes)];
        int end = FindBlankLine(limit, out int sepLength);
        if (end < 0)
        {
            failure = data.Length < maxHeadBytes ? "truncated" : "malformed_header";
            return null;
        }
        var text = Encoding.UTF8.GetString(limit[..end]); // header values are ASCII/UTF-8 (WARC 1.1 §4)
        var lines = text.Split('\n');
        string version = lines[0].TrimEnd('\r');
        if (!IsVersion(version)) return null;
        var fields = new List<KeyValuePair<string, string>>(16);
        for (int i = 1; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Length == 0) continue;
            if (line[0] is ' ' or '\t')
            {
                if (fields.Count == 0) return null;
                var last = fields[^1];
                fields[^1] = new(last.Key, last.Value + " " + line.Trim());
                continue;
            }
            int colon = line.IndexOf(':');
            if (colon <= 0) return null;
            fields.Add(new(line[..colon].Trim(), line[(colon + 1)..].Trim()));
        }
        var headers = new WarcHeaders(fields);
        var lengthText = headers["Content-Length"];
        if (lengthText is null || !long.TryParse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture, out long length))
        {
            failure = "bad_content_length";
            return null;
        }
        var type = (headers["WARC-Type"] ?? "unknown").ToLowerInvariant();
        var uri = headers["WARC-Target-URI"];
        if (uri is { Length: >= 2 } && uri[0] == '<' && uri[^1] == '>') uri = uri[1..^1];
        failure = null;
        return new RecordHead(version, type, headers, uri, ParseWarcDate(headers["WARC-Date"]), end + sepLength, length);
    }

    static bool IsVersion(string v)
    {
        // WARC/<digits>.<digits>
        if (!v.StartsWith("WARC/", StringComparison.Ordinal)) return false;
        var rest = v.AsSpan(5);
        int dot = rest.IndexOf('.');
        if (dot <= 0 || dot == rest.Length - 1) return false;
        foreach (var c in rest) if (!(char.IsAsciiDigit(c) || c == '.')) return false;
        return true;
    }

    /// <summary>
    /// Index of the '\n' ending the last field line, and how many bytes from there through the blank line
    /// (so the head is <c>index + sepLength</c> bytes long).
    /// </summary>
    static int FindBlankLine(ReadOnlySpan<byte> data, out int sepLength)
    {
        for (int i = data.IndexOf((byte)'\n'); i >= 0 && i < data.Length;)
        {
            // i is a '\n'; a blank line follows if the next line is empty ("\r\n" or "\n").
            if (i + 1 < data.Length && data[i + 1] == (byte)'\n') { sepLength = 2; return i; }
            if (i + 2 < data.Length && data[i + 1] == (byte)'\r' && data[i + 2] == (byte)'\n') { sepLength = 3; return i; }
            int next = data[(i + 1)..].IndexOf((byte)'\n');
            if (next < 0) break;
            i += 1 + next;
        }
        sepLength = 0;
        return -1;
    }

    static RecordHead? TryParseArc(ReadOnlySpan<byte> data, out string? failure)
    {
        failure = "malformed_arc_header";
        int nl = data[..Math.Min(data.Length, 16 << 10)].IndexOf((byte)'\n');
        if (nl < 0)
        {
            if (data.Length < 16 << 10) failure = "truncated";
            return null;
        }
        var line = Encoding.UTF8.GetString(data[..nl]).TrimEnd('\r');
        var parts = line.Split(' ');
        if (parts.Length < 5) return null;
        // URL IP DATE MIME LENGTH; the URL may itself contain spaces, so fields are taken from the right.
        string lengthText = parts[^1], mime = parts[^2], dateText = parts[^3], ip = parts[^4];
        string url = string.Join(' ', parts[..^4]);
        if (!long.TryParse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture, out long length)) return null;
        var date = ParseArcDate(dateText);
        if (date is null) return null; // an ARC date is 14 digits; anything else means a misparsed line
        bool filedesc = url.StartsWith("filedesc://", StringComparison.Ordinal);
        var block = data[(nl + 1)..];
        string type = filedesc ? "filedesc" : block.StartsWith("HTTP/"u8) || length > block.Length ? "response" : "resource";
        var fields = new List<KeyValuePair<string, string>>
        {
            new("WARC-Type", type), new("WARC-Target-URI", url), new("WARC-IP-Address", ip),
            new("WARC-Date", date.Value.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)),
            new("Content-Type", filedesc ? "text/plain" : block.StartsWith("HTTP/"u8) ? "application/http; msgtype=response" : mime),
            new("Content-Length", lengthText), new("ARC-Mime-Type", mime),
        };
        failure = null;
        return new RecordHead("ARC/1", type, new WarcHeaders(fields), url, date, nl + 1, length);
    }

    static DateTimeOffset? ParseArcDate(string s) =>
        s.Length == 14 && DateTime.TryParseExact(s, "yyyyMMddHHmmss", CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var d)
            ? new DateTimeOffset(d, TimeSpan.Zero) : null;

    static DateTimeOffset? ParseWarcDate(string? s) =>
        s is not null && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var d) ? d : null;
}
