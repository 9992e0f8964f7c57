namespace SharpLM.Tokenization;

/// <summary>
/// Cuts normalized text into the words BPE encodes one by one, per Hugging Face's <c>Split</c> pre-tokenizer on
/// a literal pattern (each rule in turn splits every piece the previous one produced). Gemma's rule splits on
/// ' ', which normalization has already replaced, so the whole stretch is one word; that case costs one
/// vectorized search.
/// </summary>
internal sealed class PreTokenizer
{
    readonly SplitRule[] _rules;

    public PreTokenizer(IReadOnlyList<SplitRule> rules) => _rules = rules.ToArray();

    /// <summary>Fills <paramref name="words"/> with the (start, end) of each non-empty word of <paramref name="text"/>.</summary>
    public void Split(ReadOnlySpan<char> text, EncoderScratch s, List<(int Start, int End)> words)
    {
        words.Clear();
        if (text.IsEmpty) return;
        words.Add((0, text.Length));
        var tmp = s.Words2;
        foreach (var rule in _rules)
        {
            if (text.IndexOf(rule.Pattern.AsSpan()) < 0) continue;
            tmp.Clear();
            foreach (var (ws, we) in words) SplitOne(text, ws, we, rule, tmp);
            words.Clear();
            words.AddRange(tmp);
        }
    }

    static void SplitOne(ReadOnlySpan<char> text, int start, int end, SplitRule rule, List<(int, int)> output)
    {
        // Alternating (range, isMatch) segments covering [start, end), as Hugging Face's Pattern::find_matches.
        var segs = new List<(int S, int E, bool M)>();
        int prev = start, at = start;
        var pat = rule.Pattern.AsSpan();
        while (at < end)
        {
            int i = text[at..end].IndexOf(pat);
            if (i < 0) break;
            int ms = at + i, me = ms + pat.Length;
            if (prev != ms) segs.Add((prev, ms, false));
            segs.Add((ms, me, true));
            prev = at = me;
        }
        if (prev != end) segs.Add((prev, end, false));

        var merged = new List<(int S, int E, bool Drop)>();
        switch (rule.Behavior)
        {
            case SplitBehavior.Removed:
                foreach (var g in segs) merged.Add((g.S, g.E, g.M));
                break;
            case SplitBehavior.Isolated:
                foreach (var g in segs) merged.Add((g.S, g.E, false));
                break;
            case SplitBehavior.MergedWithPrevious:
            {
                bool previousMatch = false;
                foreach (var g in segs)
                {
                    if (g.M && !previousMatch && merged.Count > 0) merged[^1] = (merged[^1].S, g.E, false);
                    else merged.Add((g.S, g.E, false));
                    previousMatch = g.M;
                }
                break;
            }
            case SplitBehavior.MergedWithNext:
            {
                bool previousMatch = false;
                for (int k = segs.Count - 1; k >= 0; k--)
                {
                    var g = segs[k];
                    if (g.M && !previousMatch && merged.Count > 0) merged[^1] = (g.S, merged[^1].E, false);
                    else merged.Add((g.S, g.E, false));
                    previousMatch = g.M;
                }
                merged.Reverse();
                break;
            }
            case SplitBehavior.Contiguous:
            {
                bool previousMatch = false;
                foreach (var g in segs)
                {
                    if (g.M == previousMatch && merged.Count > 0) merged[^1] = (merged[^1].S, g.E, false);
                    else merged.Add((g.S, g.E, false));
                    previousMatch = g.M;
                }
                break;
            }
        }
        foreach (var m in merged)
            if (!m.Drop && m.E > m.S) output.Add((m.S, m.E));
    }
}
