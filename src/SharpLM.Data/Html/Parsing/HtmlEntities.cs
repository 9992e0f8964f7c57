using System.Text;

namespace SharpLM.Data.Html.Parsing;

/// <summary>
/// HTML character references: the 2,231 WHATWG named references (table generated into
/// <c>HtmlEntityTable.g.cs</c>) and numeric ones (<c>&amp;#960;</c>, <c>&amp;#x3C0;</c>), decoded as the
/// HTML5 tokenizer does, including its quirks: legacy names such as <c>&amp;copy</c> work without the
/// semicolon in text (not in attributes when followed by <c>=</c> or an alphanumeric), numeric references
/// in 0x80–0x9F mean their windows-1252 character, and NUL, surrogates and out-of-range code points become
/// U+FFFD.
/// </summary>
public static partial class HtmlEntities
{
    static readonly Dictionary<string, string> s_named = BuildMap();
    static readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> s_lookup =
        s_named.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The longest name in the table, semicolon included (<c>CounterClockwiseContourIntegral;</c>).</summary>
    const int MaxNameLength = 32;

    static Dictionary<string, string> BuildMap()
    {
        var map = new Dictionary<string, string>(2300, StringComparer.Ordinal);
        foreach (var line in Table.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int sp = line.IndexOf(' ');
            map[line[..sp]] = line[(sp + 1)..];
        }
        return map;
    }

    /// <summary>Looks up a named reference by its exact name (with the trailing <c>;</c> where the table has it).</summary>
    public static string? Named(ReadOnlySpan<char> name) => s_lookup.TryGetValue(name, out var v) ? v : null;

    /// <summary>Decodes every character reference in <paramref name="s"/>; returns it unchanged when it has no <c>&amp;</c>.</summary>
    public static string Decode(string s, bool inAttribute = false)
    {
        int amp = s.IndexOf('&');
        if (amp < 0) return s;
        var sb = new StringBuilder(s.Length);
        Decode(s.AsSpan(), inAttribute, sb);
        return sb.ToString();
    }

    /// <summary>Decodes <paramref name="s"/> into <paramref name="sb"/>.</summary>
    public static void Decode(ReadOnlySpan<char> s, bool inAttribute, StringBuilder sb)
    {
        int i = 0;
        while (i < s.Length)
        {
            int amp = s[i..].IndexOf('&');
            if (amp < 0) { sb.Append(s[i..]); return; }
            sb.Append(s.Slice(i, amp));
            i += amp;
            if (TryDecodeAt(s, i, inAttribute, sb, out int used)) i += used;
            else { sb.Append('&'); i++; }
        }
    }

    /// <summary>
    /// Decodes the reference that starts at <paramref name="amp"/> (which holds <c>&amp;</c>), appending the
    /// replacement to <paramref name="sb"/>. Returns false (appending nothing) when it is not a reference.
    /// </summary>
    public static bool TryDecodeAt(ReadOnlySpan<char> s, int amp, bool inAttribute, StringBuilder sb, out int length)
    {
        length = 0;
        int i = amp + 1;
        if (i >= s.Length) return false;
        if (s[i] == '#') return TryDecodeNumeric(s, amp, sb, out length);

        int end = i;
        while (end < s.Length && end - i < MaxNameLength && char.IsAsciiLetterOrDigit(s[end])) end++;
        if (end == i) return false;
        if (end < s.Length && s[end] == ';' && s_lookup.TryGetValue(s[i..(end + 1)], out var full))
        {
            sb.Append(full);
            length = end + 1 - amp;
            return true;
        }
        // Legacy names without ';': the longest one that prefixes the run of alphanumerics.
        for (int e = end; e > i; e--)
        {
            if (!s_lookup.TryGetValue(s[i..e], out var legacy)) continue;
            if (inAttribute && e < s.Length && (s[e] == '=' || char.IsAsciiLetterOrDigit(s[e]))) return false;
            sb.Append(legacy);
            length = e - amp;
            return true;
        }
        return false;
    }

    static bool TryDecodeNumeric(ReadOnlySpan<char> s, int amp, StringBuilder sb, out int length)
    {
        length = 0;
        int i = amp + 2;
        bool hex = i < s.Length && (s[i] == 'x' || s[i] == 'X');
        if (hex) i++;
        int start = i;
        long cp = 0;
        while (i < s.Length && (hex ? char.IsAsciiHexDigit(s[i]) : char.IsAsciiDigit(s[i])))
        {
            // Saturate instead of overflowing: anything past 0x10FFFF is replaced anyway.
            if (cp <= 0x10FFFF) cp = cp * (hex ? 16 : 10) + (hex ? HexValue(s[i]) : s[i] - '0');
            i++;
        }
        if (i == start) return false;
        if (i < s.Length && s[i] == ';') i++;
        length = i - amp;
        AppendCodePoint(sb, (int)Math.Min(cp, 0x110000));
        return true;
    }

    static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    /// <summary>The HTML5 numeric-reference replacement rules, then UTF-16 encoding.</summary>
    static void AppendCodePoint(StringBuilder sb, int cp)
    {
        if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) { sb.Append('\uFFFD'); return; }
        if (cp >= 0x80 && cp <= 0x9F)
        {
            char w = Windows1252C1[cp - 0x80];
            sb.Append(w == '\0' ? (char)cp : w);
            return;
        }
        if (cp < 0x10000) sb.Append((char)cp);
        else sb.Append(char.ConvertFromUtf32(cp));
    }

    /// <summary>What a numeric reference in 0x80–0x9F means (the windows-1252 character; 0 = keep the control code).</summary>
    static readonly char[] Windows1252C1 =
    [
        '\u20AC', '\0', '\u201A', '\u0192', '\u201E', '\u2026', '\u2020', '\u2021',
        '\u02C6', '\u2030', '\u0160', '\u2039', '\u0152', '\0', '\u017D', '\0',
        '\0', '\u2018', '\u2019', '\u201C', '\u201D', '\u2022', '\u2013', '\u2014',
        '\u02DC', '\u2122', '\u0161', '\u203A', '\u0153', '\0', '\u017E', '\u0178',
    ];
}
