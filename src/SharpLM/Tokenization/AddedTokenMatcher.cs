using System.Buffers;
using System.Globalization;
using System.Text;

namespace SharpLM.Tokenization;

/// <summary>
/// Finds added tokens in text the way Hugging Face does (an Aho-Corasick automaton in leftmost-longest mode,
/// then the token's lstrip/rstrip/single_word rules): at the leftmost position where any token matches, the
/// longest token wins; the search resumes after it. A match that is dropped (a special token while special
/// tokens are not parsed, a single-word token inside a word) is left as ordinary text and its span is not
/// searched again, exactly as in Hugging Face.
/// </summary>
/// <remarks>
/// Implementation: a character trie with sorted edge arrays, entered only at positions holding a possible first
/// character (a vectorized <see cref="SearchValues{T}"/> scan), so text without '&lt;' costs one pass.
/// </remarks>
internal sealed class AddedTokenMatcher
{
    readonly AddedToken[] _tokens;
    readonly int[] _edgeStart;   // node → first edge; edges of a node are contiguous and sorted by char
    readonly int[] _edgeCount;
    readonly char[] _edgeChar;
    readonly int[] _edgeTarget;
    readonly int[] _terminal;    // node → index into _tokens, or −1
    readonly SearchValues<char> _firstChars;

    /// <summary>A piece of the input: an added token (Id ≥ 0) or ordinary text (Id = −1).</summary>
    public readonly record struct Split(int Start, int End, int Id);

    public bool IsEmpty => _tokens.Length == 0;

    /// <param name="tokens">The tokens to find.</param>
    /// <param name="patternOf">The text to match for a token (its content, or its normalized content).</param>
    public AddedTokenMatcher(IEnumerable<AddedToken> tokens, Func<AddedToken, string> patternOf)
    {
        var list = new List<AddedToken>();
        var patterns = new List<string>();
        foreach (var t in tokens)
        {
            string p = patternOf(t);
            if (p.Length == 0) continue;
            list.Add(t);
            patterns.Add(p);
        }
        _tokens = list.ToArray();

        // Build with dictionaries, then flatten.
        var children = new List<SortedDictionary<char, int>> { new() };
        var terminal = new List<int> { -1 };
        for (int k = 0; k < patterns.Count; k++)
        {
            int node = 0;
            foreach (char c in patterns[k])
            {
                if (!children[node].TryGetValue(c, out int next))
                {
                    next = children.Count;
                    children.Add(new());
                    terminal.Add(-1);
                    children[node][c] = next;
                }
                node = next;
            }
            // Two tokens with the same pattern: the first one listed wins (Aho-Corasick keeps the lowest pattern index).
            if (terminal[node] < 0) terminal[node] = k;
        }
        int nodes = children.Count;
        _edgeStart = new int[nodes];
        _edgeCount = new int[nodes];
        _terminal = terminal.ToArray();
        int edges = children.Sum(c => c.Count);
        _edgeChar = new char[edges];
        _edgeTarget = new int[edges];
        int at = 0;
        for (int n = 0; n < nodes; n++)
        {
            _edgeStart[n] = at;
            _edgeCount[n] = children[n].Count;
            foreach (var (c, t) in children[n])
            {
                _edgeChar[at] = c;
                _edgeTarget[at] = t;
                at++;
            }
        }
        _firstChars = SearchValues.Create(children[0].Keys.ToArray());
    }

    int Child(int node, char c)
    {
        int lo = _edgeStart[node], hi = lo + _edgeCount[node] - 1;
        var chars = _edgeChar;
        while (lo <= hi)
        {
            int mid = (lo + hi) >> 1;
            char m = chars[mid];
            if (m == c) return _edgeTarget[mid];
            if (m < c) lo = mid + 1; else hi = mid - 1;
        }
        return -1;
    }

    /// <summary>Longest token starting at <paramref name="pos"/>: its index and end, or −1.</summary>
    int LongestAt(ReadOnlySpan<char> text, int pos, out int end)
    {
        int node = 0, best = -1;
        end = pos;
        for (int j = pos; j < text.Length; j++)
        {
            node = Child(node, text[j]);
            if (node < 0) break;
            if (_terminal[node] >= 0)
            {
                best = _terminal[node];
                end = j + 1;
            }
        }
        return best;
    }

    /// <summary>
    /// Cuts <paramref name="text"/> into added tokens and the text between them, appending to <paramref name="output"/>.
    /// Returns false (and appends nothing) when no token occurs.
    /// </summary>
    public bool Cut(ReadOnlySpan<char> text, bool parseSpecial, List<Split> output)
    {
        if (IsEmpty) return false;
        int startOffset = 0, searchFrom = 0, before = output.Count;
        bool any = false;
        while (searchFrom < text.Length)
        {
            int i = text[searchFrom..].IndexOfAny(_firstChars);
            if (i < 0) break;
            int start = searchFrom + i;
            int k = LongestAt(text, start, out int stop);
            if (k < 0) { searchFrom = start + 1; continue; }
            searchFrom = stop;
            var t = _tokens[k];
            if (t.Special && !parseSpecial) continue;
            if (t.SingleWord)
            {
                bool startOk = start == 0 || !EndsWithWordChar(text[..start]);
                bool stopOk = stop == text.Length || !StartsWithWordChar(text[stop..]);
                if (!startOk || !stopOk) continue;
            }
            if (t.LStrip)
            {
                int s = start;
                while (s > 0 && char.IsWhiteSpace(text[s - 1])) s--;
                start = Math.Max(s, startOffset);
            }
            if (t.RStrip)
                while (stop < text.Length && char.IsWhiteSpace(text[stop])) stop++;
            if (startOffset < start) output.Add(new Split(startOffset, start, -1));
            output.Add(new Split(start, stop, t.Id));
            startOffset = stop;
            any = true;
        }
        if (!any)
        {
            output.RemoveRange(before, output.Count - before);
            return false;
        }
        if (startOffset < text.Length) output.Add(new Split(startOffset, text.Length, -1));
        return true;
    }

    // Rust regex \w: alphabetic, marks, decimal digits, connector punctuation, join controls.
    static bool IsWordRune(Rune r)
    {
        if (r.Value is 0x200C or 0x200D) return true;
        return Rune.GetUnicodeCategory(r) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.LetterNumber
                or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark
                or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.ConnectorPunctuation => true,
            _ => false,
        };
    }

    static bool EndsWithWordChar(ReadOnlySpan<char> s) =>
        Rune.DecodeLastFromUtf16(s, out var r, out _) == OperationStatus.Done && IsWordRune(r);

    static bool StartsWithWordChar(ReadOnlySpan<char> s) =>
        Rune.DecodeFromUtf16(s, out var r, out _) == OperationStatus.Done && IsWordRune(r);
}
