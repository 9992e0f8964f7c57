using System.IO.Compression;
using System.Text;

namespace SharpLM.Bench.Extract;

/// <summary>
/// Just enough WARC reading for the extraction benchmark: the HTML bodies of <c>response</c> records in a
/// (multi-member) gzipped WARC, with the HTTP Content-Type, chunked transfer and gzip/deflate content
/// encodings undone. Bench-only: the product's reader is the pipeline's <c>Warc/</c> (issue #7 part B);
/// switch to it once it is on main.
/// </summary>
static class BenchWarcReader
{
    public sealed record HtmlResponse(string Url, string? ContentType, byte[] Body);

    public static List<HtmlResponse> ReadHtmlResponses(string path)
    {
        using var file = File.OpenRead(path);
        using Stream input = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var ms = new MemoryStream();
        input.CopyTo(ms);
        var data = ms.ToArray();
        var list = new List<HtmlResponse>();
        int pos = 0;
        while (pos < data.Length)
        {
            int headerEnd = IndexOf(data, "\r\n\r\n"u8, pos);
            if (headerEnd < 0) break;
            var headers = ParseHeaders(Encoding.Latin1.GetString(data, pos, headerEnd - pos));
            int bodyStart = headerEnd + 4;
            if (!headers.TryGetValue("content-length", out var lenText) || !int.TryParse(lenText, out int len) || bodyStart + len > data.Length) break;
            if (headers.GetValueOrDefault("warc-type") == "response")
            {
                var http = data.AsSpan(bodyStart, len);
                int httpEnd = IndexOf(data, "\r\n\r\n"u8, bodyStart);
                if (httpEnd >= 0 && httpEnd < bodyStart + len)
                {
                    var httpHeaders = ParseHeaders(Encoding.Latin1.GetString(data, bodyStart, httpEnd - bodyStart));
                    var ct = httpHeaders.GetValueOrDefault("content-type");
                    if (ct is not null && (ct.StartsWith("text/html", StringComparison.OrdinalIgnoreCase) || ct.StartsWith("application/xhtml", StringComparison.OrdinalIgnoreCase)))
                    {
                        var payload = data.AsSpan(httpEnd + 4, bodyStart + len - httpEnd - 4).ToArray();
                        if (httpHeaders.GetValueOrDefault("transfer-encoding")?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true) payload = Dechunk(payload);
                        payload = Decode(payload, httpHeaders.GetValueOrDefault("content-encoding"));
                        list.Add(new HtmlResponse(headers.GetValueOrDefault("warc-target-uri") ?? "", ct, payload));
                    }
                }
                _ = http;
            }
            pos = bodyStart + len;
            while (pos < data.Length && (data[pos] == '\r' || data[pos] == '\n')) pos++;
        }
        return list;
    }

    static Dictionary<string, string> ParseHeaders(string block)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in block.Split("\r\n"))
        {
            int colon = line.IndexOf(':');
            if (colon <= 0) continue;
            d.TryAdd(line[..colon].Trim().ToLowerInvariant(), line[(colon + 1)..].Trim());
        }
        return d;
    }

    static int IndexOf(byte[] data, ReadOnlySpan<byte> needle, int from)
    {
        int i = data.AsSpan(from).IndexOf(needle);
        return i < 0 ? -1 : from + i;
    }

    static byte[] Dechunk(byte[] body)
    {
        var outp = new MemoryStream();
        int pos = 0;
        while (pos < body.Length)
        {
            int eol = IndexOf(body, "\r\n"u8, pos);
            if (eol < 0) break;
            var sizeText = Encoding.ASCII.GetString(body, pos, eol - pos).Split(';')[0].Trim();
            if (!int.TryParse(sizeText, System.Globalization.NumberStyles.HexNumber, null, out int size) || size == 0) break;
            if (eol + 2 + size > body.Length) { outp.Write(body, eol + 2, body.Length - eol - 2); break; }
            outp.Write(body, eol + 2, size);
            pos = eol + 2 + size + 2;
        }
        return outp.ToArray();
    }

    static byte[] Decode(byte[] payload, string? encoding)
    {
        if (string.IsNullOrEmpty(encoding) || encoding.Equals("identity", StringComparison.OrdinalIgnoreCase)) return payload;
        try
        {
            using Stream s = encoding.Contains("gzip", StringComparison.OrdinalIgnoreCase)
                ? new GZipStream(new MemoryStream(payload), CompressionMode.Decompress)
                : new ZLibStream(new MemoryStream(payload), CompressionMode.Decompress);
            using var o = new MemoryStream();
            s.CopyTo(o);
            return o.ToArray();
        }
        catch (InvalidDataException) { return payload; }
    }
}
