using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace SharpLM.Data.Warc;

/// <summary>
/// The HTTP response inside a WARC <c>response</c> record: status, headers and the body with transfer and
/// content encodings undone (chunked; gzip, deflate, br), bounded in size.
/// </summary>
/// <remarks>
/// Crawlers disagree on what they store: Common Crawl and ClueWeb keep a <c>Content-Encoding: gzip</c>
/// header over a body they already decoded. So a gzip body is only inflated when it starts with the gzip
/// magic, and a deflate/br body that does not decode is taken as already decoded. A body announced as
/// chunked that does not parse as chunks is refused (<c>bad_chunked</c>) rather than guessed at.
/// </remarks>
public sealed class HttpResponse
{
    public required int StatusCode { get; init; }
    public required string StatusLine { get; init; }
    public required WarcHeaders Headers { get; init; }
    public required ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>The Content-Type header, e.g. <c>text/html; charset=EUC-JP</c>.</summary>
    public string? ContentType => Headers["Content-Type"];

    /// <summary>The media type of <see cref="ContentType"/> in lower case without parameters, e.g. <c>text/html</c>.</summary>
    public string? MimeType => ContentType is { } ct ? ct.Split(';')[0].Trim().ToLowerInvariant() : null;

    /// <summary>The <c>charset</c> parameter of <see cref="ContentType"/>, if any.</summary>
    public string? Charset
    {
        get
        {
            if (ContentType is not { } ct) return null;
            foreach (var part in ct.Split(';').Skip(1))
            {
                var kv = part.Split('=', 2);
                if (kv.Length == 2 && kv[0].Trim().Equals("charset", StringComparison.OrdinalIgnoreCase))
                    return kv[1].Trim().Trim('"', '\'');
            }
            return null;
        }
    }

    /// <summary>
    /// Parses an HTTP response message. On failure returns false with a reason: <c>malformed_http</c>,
    /// <c>bad_chunked</c>, <c>bad_content_encoding</c>, <c>too_large</c>.
    /// </summary>
    public static bool TryParse(ReadOnlyMemory<byte> message, out HttpResponse? response, out string? failure,
        int maxBodyBytes = 32 << 20, int maxHeaderBytes = 256 << 10)
    {
        response = null;
        var span = message.Span;
        if (!span.StartsWith("HTTP/"u8)) { failure = "malformed_http"; return false; }
        var window = span[..Math.Min(span.Length, maxHeaderBytes)];
        int end = -1, sep = 0;
        int crlf = window.IndexOf("\r\n\r\n"u8), lf = window.IndexOf("\n\n"u8);
        if (crlf >= 0 && (lf < 0 || crlf < lf)) { end = crlf; sep = 4; }
        else if (lf >= 0) { end = lf; sep = 2; }
        // A response with headers but no blank line and no body is still a (bodiless) response.
        if (end < 0)
        {
            if (span.Length >= maxHeaderBytes) { failure = "malformed_http"; return false; }
            end = span.Length;
            sep = 0;
        }
        var lines = Encoding.Latin1.GetString(span[..end]).Split('\n');
        var statusLine = lines[0].TrimEnd('\r');
        var status = statusLine.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        if (status.Length < 2 || !int.TryParse(status[1], NumberStyles.None, CultureInfo.InvariantCulture, out int code) || code is < 100 or > 999)
        {
            failure = "malformed_http";
            return false;
        }
        var fields = new List<KeyValuePair<string, string>>();
        for (int i = 1; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Length == 0) continue;
            if (line[0] is ' ' or '\t' && fields.Count > 0)
            {
                fields[^1] = new(fields[^1].Key, fields[^1].Value + " " + line.Trim());
                continue;
            }
            int colon = line.IndexOf(':');
            if (colon <= 0) continue; // a junk header line is ignored, as browsers do
            fields.Add(new(line[..colon].Trim(), line[(colon + 1)..].Trim()));
        }
        var headers = new WarcHeaders(fields);
        var body = message[Math.Min(message.Length, end + sep)..];

        if (headers["Transfer-Encoding"] is { } te && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            if (!ChunkedDecoder.TryDecode(body.Span, maxBodyBytes, out var dechunked, out failure)) return false;
            body = dechunked;
        }
        if (headers["Content-Encoding"] is { } ce && !string.IsNullOrWhiteSpace(ce))
        {
            if (!ContentDecoder.TryDecode(ce, body, maxBodyBytes, out var decoded, out failure)) return false;
            body = decoded;
        }
        if (body.Length > maxBodyBytes) { failure = "too_large"; return false; }
        response = new HttpResponse { StatusCode = code, StatusLine = statusLine, Headers = headers, Body = body };
        failure = null;
        return true;
    }
}
