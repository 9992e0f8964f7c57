namespace SharpLM.Tokenization;

/// <summary>
/// Between SentencePiece's scored pieces and Hugging Face's ranked merges.
/// <para><see cref="FromScores"/> is Hugging Face's conversion of a SentencePiece BPE vocabulary
/// (<c>SentencePieceExtractor</c> in transformers' convert_slow_tokenizer): every way of writing a piece as the
/// concatenation of two pieces is a merge; merges are ranked by the piece's score (highest first), then by the
/// longer left part, then the longer right part (lengths in code points); remaining ties keep vocabulary
/// order, and the splits of one piece are ordered by (left id, right id). This is how Gemma 3's
/// tokenizer.json merges were made, so tokens + scores (GGUF, tokenizer.model) give the same tokenizer.</para>
/// <para><see cref="ScoresFor"/> inverts it: scores under which <see cref="FromScores"/> rebuilds a given
/// merge list exactly, or null when no scores can (merges that the rule above would order differently).</para>
/// </summary>
internal static class SentencePieceMerges
{
    public readonly record struct Merges(int[] Left, int[] Right, int[] Result);

    /// <param name="pieces">All pieces (ids 0…count−1 are considered).</param>
    /// <param name="count">How many ids take part (the model vocabulary).</param>
    /// <param name="scores">Score of each id.</param>
    public static Merges FromScores(PieceTable pieces, int count, ReadOnlySpan<float> scores)
    {
        var left = new List<int>();
        var right = new List<int>();
        var result = new List<int>();
        var lenL = new List<int>();
        var lenR = new List<int>();
        var local = new List<(int L, int R, int LenL, int LenR)>();
        for (int id = 0; id < count; id++)
        {
            var text = pieces.Utf8(id);
            if (text.Length < 2) continue;
            local.Clear();
            int charsLeft = 0;
            for (int cut = 0; ;)
            {
                // Advance one code point.
                int width = Utf8Width(text[cut]);
                cut += width;
                charsLeft++;
                if (cut >= text.Length) break;
                int l = pieces.Find(text[..cut]);
                if (l < 0 || l >= count) continue;
                int r = pieces.Find(text[cut..]);
                if (r < 0 || r >= count) continue;
                local.Add((l, r, charsLeft, -1));
            }
            if (local.Count == 0) continue;
            int codePoints = CountCodePoints(text);
            local.Sort((a, b) => a.L != b.L ? a.L.CompareTo(b.L) : a.R.CompareTo(b.R));
            foreach (var (l, r, cl, _) in local)
            {
                left.Add(l);
                right.Add(r);
                result.Add(id);
                lenL.Add(cl);
                lenR.Add(codePoints - cl);
            }
        }
        int n = left.Count;
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        var score = new float[n];
        for (int i = 0; i < n; i++) score[i] = scores[result[i]];
        var ll = lenL.ToArray();
        var lr = lenR.ToArray();
        // Python's stable sort, reversed key (score, len left, len right): ties fall back to the original position.
        Array.Sort(order, (a, b) =>
        {
            int c = score[b].CompareTo(score[a]);
            if (c != 0) return c;
            c = ll[b].CompareTo(ll[a]);
            if (c != 0) return c;
            c = lr[b].CompareTo(lr[a]);
            return c != 0 ? c : a.CompareTo(b);
        });
        var L = new int[n];
        var R = new int[n];
        var M = new int[n];
        for (int k = 0; k < n; k++)
        {
            L[k] = left[order[k]];
            R[k] = right[order[k]];
            M[k] = result[order[k]];
        }
        return new Merges(L, R, M);
    }

    /// <summary>
    /// Scores that make <see cref="FromScores"/> rebuild <paramref name="def"/>'s merges exactly (over all ids), or null.
    /// A piece made by merges gets −(rank of its first merge); pieces whose merges interleave in the list share the
    /// score of the earliest (Gemma's whitespace runs are such a group); other pieces get 0.
    /// </summary>
    public static float[]? ScoresFor(TokenizerDefinition def, int count)
    {
        int n = def.MergeLeft.Length;
        var first = new int[count];
        var last = new int[count];
        Array.Fill(first, -1);
        for (int k = 0; k < n; k++)
        {
            int m = def.MergeResult[k];
            if (m >= count) return null;
            if (first[m] < 0) first[m] = k;
            last[m] = k;
        }
        var scores = new float[count];
        // Sweep pieces in order of their first merge, grouping overlapping [first, last] ranges.
        var made = Enumerable.Range(0, count).Where(id => first[id] >= 0).OrderBy(id => first[id]).ToArray();
        int groupStart = -1, groupEnd = -1;
        foreach (int id in made)
        {
            if (first[id] > groupEnd) groupStart = first[id];
            groupEnd = Math.Max(groupEnd, last[id]);
            scores[id] = -groupStart;
        }
        var rebuilt = FromScores(def.Pieces, count, scores);
        return rebuilt.Left.AsSpan().SequenceEqual(def.MergeLeft) && rebuilt.Right.AsSpan().SequenceEqual(def.MergeRight)
            && rebuilt.Result.AsSpan().SequenceEqual(def.MergeResult) ? scores : null;
    }

    static int Utf8Width(byte lead) => lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;

    static int CountCodePoints(ReadOnlySpan<byte> utf8)
    {
        int n = 0;
        foreach (byte b in utf8) if ((b & 0xC0) != 0x80) n++;
        return n;
    }
}
