namespace SharpLM.Evaluation.Answers;

/// <summary>One <c>\boxed{...}</c> (or <c>\fbox{...}</c>) found in a text: where it is and what it holds.</summary>
public readonly record struct BoxedSpan(int Start, int End, string Content);

/// <summary>
/// <c>\boxed{}</c> / <c>\fbox{}</c> extraction with real brace matching (nested braces, escaped braces
/// <c>\{ \}</c> skipped), plus the brace-less form <c>\boxed 5</c>. Unterminated boxes (a generation cut off
/// mid-answer) are skipped rather than swallowing the rest of the text.
/// </summary>
public static class BoxedAnswer
{
    static readonly string[] Commands = ["\\boxed", "\\fbox"];

    /// <summary>The content of the last well-formed box, or null when there is none.</summary>
    public static string? LastBoxedContent(string text)
    {
        var all = FindAll(text);
        return all.Count == 0 ? null : all[^1].Content;
    }

    /// <summary>Every well-formed box in order of appearance (nested boxes are not reported separately).</summary>
    public static List<BoxedSpan> FindAll(string text)
    {
        var found = new List<BoxedSpan>();
        int i = 0;
        while (i < text.Length)
        {
            int at = -1, len = 0;
            foreach (var c in Commands)
            {
                int p = text.IndexOf(c, i, StringComparison.Ordinal);
                if (p >= 0 && (at < 0 || p < at)) { at = p; len = c.Length; }
            }
            if (at < 0) break;
            int j = at + len;
            if (j < text.Length && char.IsAsciiLetter(text[j])) { i = j; continue; } // \boxedfoo is another command
            int k = j;
            while (k < text.Length && text[k] == ' ') k++;
            if (k < text.Length && text[k] == '{')
            {
                int close = MatchBrace(text, k);
                if (close < 0) { i = k + 1; continue; }
                found.Add(new BoxedSpan(at, close + 1, text[(k + 1)..close]));
                i = close + 1;
            }
            else if (k > j && k < text.Length)
            {
                // "\boxed 5": the answer runs to the next '$', newline or end (as Minerva's extractor reads it).
                int end = k;
                while (end < text.Length && text[end] is not ('$' or '\n')) end++;
                var content = text[k..end].TrimEnd().TrimEnd('.', ',').TrimEnd();
                if (content.Length > 0) found.Add(new BoxedSpan(at, end, content));
                i = end;
            }
            else i = j;
        }
        return found;
    }

    /// <summary>Index of the '}' closing the '{' at <paramref name="open"/>, or -1; <c>\{</c> and <c>\}</c> do not count.</summary>
    public static int MatchBrace(string s, int open)
    {
        int depth = 0;
        for (int i = open; i < s.Length; i++)
        {
            char c = s[i];
            if (c == '\\' && i + 1 < s.Length && s[i + 1] is '{' or '}' or '\\') { i++; continue; }
            if (c == '{') depth++;
            else if (c == '}' && --depth == 0) return i;
        }
        return -1;
    }
}
