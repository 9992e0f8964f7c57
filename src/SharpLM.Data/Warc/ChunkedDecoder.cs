using System.Globalization;

namespace SharpLM.Data.Warc;

/// <summary>HTTP/1.1 chunked transfer coding (RFC 9112 §7.1): <c>size[;ext] CRLF data CRLF</c> … <c>0 CRLF trailers CRLF</c>.</summary>
internal static class ChunkedDecoder
{
    public static bool TryDecode(ReadOnlySpan<byte> body, int maxBytes, out byte[] decoded, out string? failure)
    {
        var output = new MemoryStream();
        int p = 0;
        decoded = [];
        while (true)
        {
            int nl = body[p..].IndexOf((byte)'\n');
            if (nl < 0)
            {
                // Some crawlers drop the final "0" chunk; a body that ends cleanly after a chunk is accepted.
                if (p >= body.Length && output.Length > 0) break;
                failure = "bad_chunked";
                return false;
            }
            var sizeText = System.Text.Encoding.ASCII.GetString(body.Slice(p, nl)).TrimEnd('\r');
            int semi = sizeText.IndexOf(';');
            if (semi >= 0) sizeText = sizeText[..semi];
            sizeText = sizeText.Trim();
            if (sizeText.Length == 0 || sizeText.Length > 8
                || !long.TryParse(sizeText, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long size))
            {
                failure = "bad_chunked";
                return false;
            }
            p += nl + 1;
            if (size == 0) break; // trailers (if any) follow; they carry nothing we use
            if (size > body.Length - p)
            {
                failure = "bad_chunked";
                return false;
            }
            if (output.Length + size > maxBytes)
            {
                failure = "too_large";
                return false;
            }
            output.Write(body.Slice(p, (int)size));
            p += (int)size;
            // Chunk data ends with CRLF (tolerate a bare LF, and a missing one at the very end).
            if (p < body.Length && body[p] == '\r') p++;
            if (p < body.Length && body[p] == '\n') p++;
            else if (p < body.Length)
            {
                failure = "bad_chunked";
                return false;
            }
        }
        decoded = output.ToArray();
        failure = null;
        return true;
    }
}
