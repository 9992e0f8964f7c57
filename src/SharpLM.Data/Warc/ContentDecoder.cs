using System.IO.Compression;

namespace SharpLM.Data.Warc;

/// <summary>Undoes HTTP Content-Encoding (gzip, x-gzip, deflate, br), bounded in output size.</summary>
internal static class ContentDecoder
{
    public static bool TryDecode(string contentEncoding, ReadOnlyMemory<byte> body, int maxBytes, out ReadOnlyMemory<byte> decoded, out string? failure)
    {
        decoded = body;
        failure = null;
        // Several codings apply in the order listed; undo them from the last.
        var codings = contentEncoding.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        for (int i = codings.Length - 1; i >= 0; i--)
        {
            var c = codings[i].ToLowerInvariant();
            switch (c)
            {
                case "identity" or "none" or "utf-8" or "binary": continue;
                case "gzip" or "x-gzip":
                    // Only when the body really is gzip: CC/ClueWeb keep the header over a decoded body.
                    if (decoded.Length < 2 || decoded.Span[0] != 0x1f || decoded.Span[1] != 0x8b) continue;
                    if (!Inflate(s => new GZipStream(s, CompressionMode.Decompress), decoded, maxBytes, out decoded, out failure, strict: true)) return false;
                    break;
                case "deflate":
                    // RFC says zlib-wrapped; many servers send raw deflate. Try both, else take as decoded.
                    if (Inflate(s => new ZLibStream(s, CompressionMode.Decompress), decoded, maxBytes, out var z, out failure, strict: false)) { decoded = z; break; }
                    if (failure == "too_large") return false;
                    if (Inflate(s => new DeflateStream(s, CompressionMode.Decompress), decoded, maxBytes, out var d, out failure, strict: false)) { decoded = d; break; }
                    if (failure == "too_large") return false;
                    failure = null;
                    break;
                case "br":
                    if (Inflate(s => new BrotliStream(s, CompressionMode.Decompress), decoded, maxBytes, out var b, out failure, strict: false)) { decoded = b; break; }
                    if (failure == "too_large") return false;
                    failure = null;
                    break;
                default:
                    failure = "bad_content_encoding";
                    return false;
            }
        }
        return true;
    }

    static bool Inflate(Func<Stream, Stream> open, ReadOnlyMemory<byte> input, int maxBytes, out ReadOnlyMemory<byte> output, out string? failure, bool strict)
    {
        output = input;
        var result = new MemoryStream();
        var buffer = new byte[64 << 10];
        try
        {
            using var src = new MemoryStream(input.ToArray(), writable: false);
            using var z = open(src);
            int n;
            while ((n = z.Read(buffer, 0, buffer.Length)) > 0)
            {
                if (result.Length + n > maxBytes)
                {
                    failure = "too_large";
                    return false;
                }
                result.Write(buffer, 0, n);
            }
        }
        catch (InvalidDataException)
        {
            failure = strict ? "bad_content_encoding" : "undecodable";
            return false;
        }
        if (!strict && result.Length == 0 && input.Length > 0)
        {
            failure = "undecodable";
            return false;
        }
        output = result.ToArray();
        failure = null;
        return true;
    }
}
