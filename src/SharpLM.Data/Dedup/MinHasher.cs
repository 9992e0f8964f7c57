using SharpLM.Data.Text;

namespace SharpLM.Data.Dedup;

/// <summary>
/// MinHash signatures over word shingles (Broder 1997): for each of bands×rows hash functions, the minimum
/// hash over the page's shingles. Two pages agree on one min-hash with probability equal to the Jaccard
/// similarity of their shingle sets. The LSH step only needs one key per band (a hash of that band's rows),
/// which is what <see cref="BandKeys"/> returns.
/// </summary>
public sealed class MinHasher
{
    readonly MinHashOptions _o;
    readonly ulong[] _seeds;

    public MinHasher(MinHashOptions options)
    {
        _o = options;
        int k = options.Bands * options.Rows;
        _seeds = new ulong[k];
        ulong s = (ulong)options.Seed * 0x9E3779B97F4A7C15UL + 1;
        for (int i = 0; i < k; i++) _seeds[i] = s = StableHash.Mix(s + 0x632BE59BD9B4E019UL);
    }

    /// <summary>The bands×rows min-hashes of <paramref name="text"/>.</summary>
    public ulong[] Signature(string text)
    {
        var words = new List<ulong>();
        WordTokenizer.Tokenize(text, w => words.Add(StableHash.Hash(w)));
        var mins = new ulong[_seeds.Length];
        Array.Fill(mins, ulong.MaxValue);
        int n = _o.ShingleWords;
        int shingles = Math.Max(1, words.Count - n + 1);
        for (int s = 0; s < shingles; s++)
        {
            ulong h = 0;
            for (int j = s; j < Math.Min(words.Count, s + n); j++) h = StableHash.Combine(h, words[j]);
            for (int k = 0; k < mins.Length; k++)
            {
                ulong v = StableHash.Mix(h ^ _seeds[k]);
                if (v < mins[k]) mins[k] = v;
            }
        }
        return mins;
    }

    /// <summary>One key per band: the hash of that band's rows.</summary>
    public ulong[] BandKeys(string text) => BandKeys(Signature(text));

    public ulong[] BandKeys(ulong[] signature)
    {
        var keys = new ulong[_o.Bands];
        for (int b = 0; b < _o.Bands; b++)
        {
            ulong h = (ulong)b + 1;
            for (int r = 0; r < _o.Rows; r++) h = StableHash.Combine(h, signature[b * _o.Rows + r]);
            keys[b] = h;
        }
        return keys;
    }
}
