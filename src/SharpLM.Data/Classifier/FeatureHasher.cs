using SharpLM.Data.Text;

namespace SharpLM.Data.Classifier;

/// <summary>A sparse feature vector: bucket indices and values, L2-normalised.</summary>
public readonly record struct SparseVector(int[] Indices, float[] Values);

/// <summary>
/// The hashing trick (Weinberger et al. 2009): every word n-gram and in-word character n-gram is hashed to
/// one of 2^bits buckets with a hash-derived sign (so collisions cancel in expectation rather than add up).
/// Counts are damped as 1 + ln(count) and the vector is L2-normalised so that long and short pages live on
/// the same scale. Tokens include LaTeX commands and math symbols (<see cref="WordTokenizer"/>), so a
/// formula-heavy page has features a prose page lacks.
/// </summary>
public sealed class FeatureHasher(FeatureOptions options)
{
    readonly int _mask = (1 << options.HashBits) - 1;
    public FeatureOptions Options { get; } = options;
    public int Dimensions => _mask + 1;

    public SparseVector Featurize(string text)
    {
        var counts = new Dictionary<int, float>(1024);
        var previous = new ulong[Math.Max(1, Options.WordNgrams - 1)];
        int seen = 0;
        WordTokenizer.Tokenize(text, token =>
        {
            ulong h = StableHash.Hash(token);
            Add(counts, h);
            // Word n-grams: combine with the previous n-1 token hashes.
            ulong g = h;
            for (int k = 0; k < Options.WordNgrams - 1 && k < seen; k++)
            {
                g = StableHash.Combine(previous[k], g);
                Add(counts, g ^ (ulong)(k + 2) * 0x632BE59BD9B4E019UL);
            }
            for (int k = previous.Length - 1; k > 0; k--) previous[k] = previous[k - 1];
            previous[0] = h;
            seen++;
            if (Options.CharNgramMin > 0 && token.Length > 1) AddCharNgrams(counts, token);
        }, keepMath: true, maxTokens: Options.MaxTokens);

        var indices = new int[counts.Count];
        var values = new float[counts.Count];
        int i = 0;
        double norm = 0;
        foreach (var (index, count) in counts.OrderBy(kv => kv.Key))
        {
            float v = MathF.Sign(count) * (1 + MathF.Log(MathF.Abs(count)));
            if (count == 0) v = 0;
            indices[i] = index;
            values[i++] = v;
            norm += (double)v * v;
        }
        if (norm > 0)
        {
            float inv = (float)(1 / Math.Sqrt(norm));
            for (int k = 0; k < values.Length; k++) values[k] *= inv;
        }
        return new SparseVector(indices, values);
    }

    void AddCharNgrams(Dictionary<int, float> counts, string token)
    {
        Span<char> marked = stackalloc char[Math.Min(token.Length, 40) + 2];
        marked[0] = '<';
        token.AsSpan(0, marked.Length - 2).CopyTo(marked[1..]);
        marked[^1] = '>';
        for (int n = Options.CharNgramMin; n <= Options.CharNgramMax; n++)
            for (int s = 0; s + n <= marked.Length; s++)
                Add(counts, StableHash.Hash(marked.Slice(s, n), seed: 7));
    }

    void Add(Dictionary<int, float> counts, ulong h)
    {
        int index = (int)(h & (ulong)_mask);
        float sign = (h >> 63) == 0 ? 1 : -1;
        counts[index] = counts.GetValueOrDefault(index) + sign;
    }
}
