namespace SharpLM.Data.Text;

/// <summary>
/// Deterministic 64-bit hashing of text (FNV-1a over UTF-16 code units, then a murmur3 finaliser to spread
/// the bits). Unlike <c>string.GetHashCode</c> it is the same in every process, which feature hashing and
/// MinHash need: a model or a signature file must mean the same thing on the next run.
/// </summary>
public static class StableHash
{
    public static ulong Hash(ReadOnlySpan<char> s, ulong seed = 0)
    {
        ulong h = 14695981039346656037UL ^ (seed * 0x9E3779B97F4A7C15UL);
        foreach (var c in s)
        {
            h ^= c;
            h *= 1099511628211UL;
        }
        return Mix(h);
    }

    /// <summary>Combines two hashes (e.g. the words of a bigram) order-sensitively.</summary>
    public static ulong Combine(ulong a, ulong b) => Mix(a * 31 + b + 0x9E3779B97F4A7C15UL);

    /// <summary>The murmur3 64-bit finaliser.</summary>
    public static ulong Mix(ulong h)
    {
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdUL;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53UL;
        h ^= h >> 33;
        return h;
    }
}
