namespace SharpLM.Data.Decontam;

/// <summary>Which benchmark item a page contains, and how much of it.</summary>
public readonly record struct Contamination(string Benchmark, int ItemIndex, double Ratio);

/// <summary>
/// Checks pages against a <see cref="BenchmarkIndex"/>: every n-gram hit names candidate items; for each
/// candidate, the longest common subsequence (in tokens) between the item and the page window around the
/// hit (from one item length before the hit to two after) is divided by the item's length. A ratio at or
/// above the threshold means the page contains the item, possibly lightly reformatted (LaTeX spacing,
/// punctuation and case do not count: tokens are lower-case words).
/// </summary>
public sealed class Decontaminator(BenchmarkIndex index, double lcsRatio)
{
    /// <summary>Items longer than this are compared on their first tokens only (bounds the LCS table).</summary>
    const int MaxItemTokens = 1024;

    public Contamination? Check(string text)
    {
        var tokens = BenchmarkIndex.Tokens(text);
        int n = index.Ngram;
        if (tokens.Length < n) return null;
        HashSet<int>? tried = null;
        Contamination? best = null;
        for (int s = 0; s + n <= tokens.Length; s++)
        {
            if (!index.TryGet(BenchmarkIndex.GramHash(tokens.AsSpan(s, n)), out var items)) continue;
            foreach (var id in items)
            {
                tried ??= [];
                if (!tried.Add(id)) continue;
                var item = index.Items[id];
                var itemTokens = item.Tokens.AsSpan(0, Math.Min(item.Tokens.Length, MaxItemTokens));
                int from = Math.Max(0, s - itemTokens.Length);
                int to = Math.Min(tokens.Length, s + 2 * itemTokens.Length);
                double ratio = (double)Lcs.Length(itemTokens, tokens.AsSpan(from, to - from)) / itemTokens.Length;
                if (ratio >= lcsRatio && (best is null || ratio > best.Value.Ratio))
                    best = new Contamination(item.Benchmark, item.Index, ratio);
            }
        }
        return best;
    }
}
