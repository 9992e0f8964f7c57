using System.Collections.Frozen;

namespace SharpLM.Data.Html.Formulas;

/// <summary>
/// Finds formulas written directly in page text, as MathJax's and KaTeX's text finders do: the configured
/// delimiters (longest first; the closing one found outside braces, so <c>\text{for $x$}</c> inside
/// <c>\[…\]</c> stays inside), <c>\$</c> as a literal dollar when escapes are on, and raw math environments
/// (<c>\begin{align}…\end{align}</c>, nesting-aware), which become display math with the environment kept.
/// </summary>
public static class TexTextScanner
{
    /// <summary>Environments that are math by themselves (MathJax processEnvironments handles these at top level).</summary>
    public static readonly FrozenSet<string> MathEnvironments = FrozenSet.ToFrozenSet(
    [
        "equation", "equation*", "align", "align*", "alignat", "alignat*", "gather", "gather*", "multline", "multline*",
        "flalign", "flalign*", "eqnarray", "eqnarray*", "displaymath", "math", "split", "cases", "matrix", "pmatrix",
        "bmatrix", "Bmatrix", "vmatrix", "Vmatrix", "smallmatrix", "array", "subequations", "CD", "aligned", "gathered",
    ], StringComparer.Ordinal);

    /// <summary>Longest formula accepted between delimiters; an unclosed delimiter must not swallow a whole page.</summary>
    const int MaxFormulaChars = 20_000;

    /// <summary>Splits <paramref name="text"/>; returns null when it holds no formula (the common case, no allocation).</summary>
    public static List<TexSegment>? Scan(string text, TexDelimiterSet set)
    {
        if (!MayContainMath(text, set)) return null;
        List<TexSegment>? segments = null;
        int textStart = 0;
        int i = 0;
        // Work budget: searches for closing delimiters may not cost more than a fixed multiple of the text,
        // so a page of unclosed "\(" stays linear.
        long budget = 64L * text.Length + 100_000;
        while (i < text.Length && budget > 0)
        {
            char c = text[i];
            if (c == '\\' && i + 1 < text.Length && text[i + 1] == '$' && set.Escapes) { i += 2; continue; }
            if (set.Environments && c == '\\' && string.CompareOrdinal(text, i, "\\begin{", 0, 7) == 0)
            {
                int envEnd = MatchEnvironment(text, i, out var envName);
                budget -= envEnd > 0 ? envEnd - i : MaxFormulaChars;
                if (envEnd > 0 && MathEnvironments.Contains(envName))
                {
                    Flush(ref segments, text, textStart, i);
                    segments!.Add(new TexSegment(text[i..envEnd], true, true, MathSource.TexEnvironment));
                    i = textStart = envEnd;
                    continue;
                }
            }
            bool matched = false;
            foreach (var d in set.Delimiters)
            {
                if (c != d.Open[0] || string.CompareOrdinal(text, i, d.Open, 0, d.Open.Length) != 0) continue;
                int bodyStart = i + d.Open.Length;
                int close = FindClose(text, bodyStart, d, set.Escapes);
                budget -= close < 0 ? Math.Min(MaxFormulaChars, text.Length - bodyStart) : close - bodyStart;
                if (close < 0) continue;
                if (d.Guarded && !PandocDollarOk(text, i, close)) continue;
                var body = text[bodyStart..close];
                if (TextUtilIsBlank(body)) continue;
                Flush(ref segments, text, textStart, i);
                segments!.Add(new TexSegment(body, true, d.Display, MathSource.TextDelimiters));
                i = textStart = close + d.Close.Length;
                matched = true;
                break;
            }
            if (!matched) i++;
        }
        if (segments is null) return null;
        if (textStart < text.Length) segments.Add(new TexSegment(text[textStart..], false, false, default));
        return segments;
    }

    static bool TextUtilIsBlank(string s) => Parsing.TextUtil.IsBlank(s);

    /// <summary>Cheap pre-check: does any opening delimiter character occur at all?</summary>
    static bool MayContainMath(string text, TexDelimiterSet set)
    {
        if (text.Contains('\\')) return true;
        foreach (var d in set.Delimiters) if (text.Contains(d.Open[0])) return true;
        return false;
    }

    static void Flush(ref List<TexSegment>? segments, string text, int start, int end)
    {
        segments ??= [];
        if (end > start) segments.Add(new TexSegment(text[start..end], false, false, default));
    }

    /// <summary>Index of the closing delimiter, outside braces and escapes, or -1.</summary>
    static int FindClose(string text, int from, TexDelimiter d, bool escapes)
    {
        int depth = 0;
        int limit = Math.Min(text.Length, from + MaxFormulaChars);
        for (int j = from; j < limit; j++)
        {
            char c = text[j];
            if (c == '\\')
            {
                // "\)" or "\]" may be the closing delimiter itself; any other escaped character is skipped.
                if (depth == 0 && d.Close[0] == '\\' && string.CompareOrdinal(text, j, d.Close, 0, d.Close.Length) == 0) return j;
                if (j + 1 < text.Length && (escapes || text[j + 1] != '$')) j++;
                continue;
            }
            if (c == '{') { depth++; continue; }
            if (c == '}') { if (depth > 0) depth--; continue; }
            if (depth == 0 && c == d.Close[0] && string.CompareOrdinal(text, j, d.Close, 0, d.Close.Length) == 0)
            {
                // "$" must not close on the first half of "$$".
                if (d.Close == "$" && j + 1 < text.Length && text[j + 1] == '$' && j == from) return -1;
                return j;
            }
        }
        return -1;
    }

    /// <summary>Pandoc's tex_math_dollars rule: "$x$" yes, "$ 5" and "5 $" and "$5$10" no.</summary>
    static bool PandocDollarOk(string text, int open, int close)
    {
        if (open + 1 >= text.Length || Parsing.TextUtil.IsSpace(text[open + 1])) return false;
        if (Parsing.TextUtil.IsSpace(text[close - 1])) return false;
        if (close + 1 < text.Length && char.IsAsciiDigit(text[close + 1])) return false;
        return true;
    }

    /// <summary>End (exclusive) of the environment whose <c>\begin{</c> is at <paramref name="start"/>, or -1.</summary>
    static int MatchEnvironment(string text, int start, out string name)
    {
        name = "";
        int nameStart = start + 7;
        int nameEnd = text.IndexOf('}', nameStart);
        if (nameEnd < 0 || nameEnd - nameStart > 40) return -1;
        name = text[nameStart..nameEnd];
        string open = "\\begin{" + name + "}", close = "\\end{" + name + "}";
        int depth = 1;
        int j = nameEnd + 1;
        int limit = Math.Min(text.Length, start + MaxFormulaChars);
        while (j < limit)
        {
            int nb = text.IndexOf(open, j, limit - j, StringComparison.Ordinal);
            int ne = text.IndexOf(close, j, limit - j, StringComparison.Ordinal);
            if (ne < 0) return -1;
            if (nb >= 0 && nb < ne) { depth++; j = nb + open.Length; continue; }
            depth--;
            j = ne + close.Length;
            if (depth == 0) return j;
        }
        return -1;
    }
}
