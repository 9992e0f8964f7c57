using System.Text;

namespace SharpLM.Data.Html.Parsing;

/// <summary>Whitespace helpers shared by the parser and the extractor.</summary>
public static class TextUtil
{
    /// <summary>HTML's notion of whitespace plus the no-break space and other Unicode spaces.</summary>
    public static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\r' or '\f' || (c > 127 && char.IsWhiteSpace(c));

    /// <summary>Runs of whitespace become one space; leading and trailing whitespace is removed.</summary>
    public static string CollapseWhitespace(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool space = false;
        foreach (char c in s)
        {
            if (IsSpace(c)) { space = sb.Length > 0; continue; }
            if (space) { sb.Append(' '); space = false; }
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>True when <paramref name="s"/> is empty or only whitespace.</summary>
    public static bool IsBlank(ReadOnlySpan<char> s)
    {
        foreach (char c in s) if (!IsSpace(c)) return false;
        return true;
    }
}
