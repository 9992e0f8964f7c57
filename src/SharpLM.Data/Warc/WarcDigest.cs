using System.Security.Cryptography;

namespace SharpLM.Data.Warc;

/// <summary>Checks WARC <c>WARC-Block-Digest</c>/<c>WARC-Payload-Digest</c> values: <c>sha1:</c> in base32 (the usual form) or hex.</summary>
public static class WarcDigest
{
    /// <summary>
    /// Whether <paramref name="digest"/> matches <paramref name="data"/>. Digests in an algorithm this
    /// reader does not know count as matching (they cannot be checked, so they do not reject the record).
    /// </summary>
    public static bool Matches(string digest, ReadOnlySpan<byte> data)
    {
        int colon = digest.IndexOf(':');
        if (colon < 0) return true;
        var algo = digest[..colon].Trim().ToLowerInvariant();
        var value = digest[(colon + 1)..].Trim();
        byte[] hash;
        switch (algo)
        {
            case "sha1": hash = SHA1.HashData(data); break;
            case "sha256" or "sha-256": hash = SHA256.HashData(data); break;
            case "md5": hash = MD5.HashData(data); break;
            default: return true;
        }
        return value.Equals(Base32(hash), StringComparison.OrdinalIgnoreCase)
            || value.Equals(Convert.ToHexString(hash), StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>RFC 4648 base32 without padding, as WARC writers use for sha1 digests.</summary>
    public static string Base32(ReadOnlySpan<byte> data)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var sb = new System.Text.StringBuilder((data.Length * 8 + 4) / 5);
        int buffer = 0, bits = 0;
        foreach (var b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                sb.Append(alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }
        if (bits > 0) sb.Append(alphabet[(buffer << (5 - bits)) & 31]);
        return sb.ToString();
    }
}
