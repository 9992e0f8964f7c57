using System.Text;
using SharpLM.Data.Html.Parsing;

namespace SharpLM.Data.Html.Formulas;

/// <summary>
/// Normalises recovered TeX as OpenWebMath does: character references decoded (script bodies are raw text),
/// CDATA/comment wrappers of MathJax v2 scripts removed, whitespace runs collapsed, MediaWiki's
/// <c>{\displaystyle …}</c> / <c>{\textstyle …}</c> wrapper unwrapped, and a formula that arrives with its own
/// outer delimiters (<c>$…$</c>, <c>\(…\)</c>) stripped of them so it is not delimited twice.
/// </summary>
public static class TexCleanup
{
    public static string Clean(string tex, bool decodeReferences)
    {
        if (decodeReferences && tex.Contains('&')) tex = HtmlEntities.Decode(tex);
        tex = tex.Trim();
        tex = StripWrapper(tex, "<![CDATA[", "]]>");
        tex = StripWrapper(tex, "% <![CDATA[", "%]]>");
        tex = StripWrapper(tex, "//<![CDATA[", "//]]>");
        tex = CollapseWhitespace(tex);
        tex = UnwrapStyle(tex, "{\\displaystyle");
        tex = UnwrapStyle(tex, "{\\textstyle");
        tex = UnwrapStyle(tex, "{\\scriptstyle");
        return tex;
    }

    /// <summary>Removes outer delimiters a TeX string brought along (returns whether they said display).</summary>
    public static string StripOwnDelimiters(string tex, out bool? display)
    {
        display = null;
        tex = tex.Trim();
        if (tex.Length >= 4 && tex.StartsWith("$$", StringComparison.Ordinal) && tex.EndsWith("$$", StringComparison.Ordinal)) { display = true; return tex[2..^2].Trim(); }
        if (tex.Length >= 4 && tex.StartsWith("\\[", StringComparison.Ordinal) && tex.EndsWith("\\]", StringComparison.Ordinal)) { display = true; return tex[2..^2].Trim(); }
        if (tex.Length >= 4 && tex.StartsWith("\\(", StringComparison.Ordinal) && tex.EndsWith("\\)", StringComparison.Ordinal)) { display = false; return tex[2..^2].Trim(); }
        if (tex.Length >= 2 && tex[0] == '$' && tex[^1] == '$' && !tex.EndsWith("\\$", StringComparison.Ordinal)) { display = false; return tex[1..^1].Trim(); }
        return tex;
    }

    static string StripWrapper(string s, string open, string close)
    {
        if (s.StartsWith(open, StringComparison.Ordinal) && s.EndsWith(close, StringComparison.Ordinal) && s.Length >= open.Length + close.Length)
            return s[open.Length..^close.Length].Trim();
        return s;
    }

    static string UnwrapStyle(string s, string prefix)
    {
        if (!s.StartsWith(prefix, StringComparison.Ordinal) || s[^1] != '}') return s;
        // Only when the brace opened by the prefix is the one that closes at the very end.
        int depth = 0;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c == '\\') { i++; continue; }
            if (c == '{') depth++;
            else if (c == '}' && --depth == 0) return i == s.Length - 1 ? s[prefix.Length..^1].Trim() : s;
        }
        return s;
    }

    static string CollapseWhitespace(string s)
    {
        bool needs = false;
        for (int i = 0; i < s.Length; i++)
            if (TextUtil.IsSpace(s[i]) && (s[i] != ' ' || (i + 1 < s.Length && TextUtil.IsSpace(s[i + 1])))) { needs = true; break; }
        if (!needs) return s;
        var sb = new StringBuilder(s.Length);
        bool space = false;
        foreach (char c in s)
        {
            if (TextUtil.IsSpace(c)) { space = true; continue; }
            if (space && sb.Length > 0) sb.Append(' ');
            space = false;
            sb.Append(c);
        }
        return sb.ToString();
    }
}
