using System.Text;
using System.Text.RegularExpressions;

namespace SharpLM.Data.Html.Formulas;

/// <summary>
/// The math delimiters that apply to a page's text: the page's own MathJax configuration (v2
/// <c>MathJax.Hub.Config({tex2jax: {inlineMath: …}})</c>, v3/v4 <c>MathJax = {tex: {inlineMath: …}}</c>, where v4's
/// <c>{'[+]': […]}</c> adds to the defaults) and KaTeX auto-render's <c>delimiters: [{left, right, display}]</c>,
/// else the defaults: inline <c>\(…\)</c> and a guarded <c>$…$</c>, display <c>$$…$$</c> and <c>\[…\]</c>, plus raw
/// math environments. Unlike OpenWebMath's table, <c>\(…\)</c> is inline and <c>\[…\]</c> display, as in MathJax.
/// </summary>
public sealed partial class TexDelimiterSet
{
    /// <summary>Delimiters, longest opening first (so <c>$$</c> is tried before <c>$</c>).</summary>
    public IReadOnlyList<TexDelimiter> Delimiters { get; }

    /// <summary>Whether <c>\begin{env}…\end{env}</c> of a math environment is captured as display math.</summary>
    public bool Environments { get; }

    /// <summary>Whether <c>\$</c> is a literal dollar (MathJax processEscapes, on by default since v3).</summary>
    public bool Escapes { get; }

    /// <summary>True when the set came from a configuration found in the page.</summary>
    public bool FromPage { get; }

    public TexDelimiterSet(IEnumerable<TexDelimiter> delimiters, bool environments = true, bool escapes = true, bool fromPage = false)
    {
        Delimiters = delimiters.Where(d => d.Open.Length > 0 && d.Close.Length > 0)
            .DistinctBy(d => d.Open).OrderByDescending(d => d.Open.Length).ToArray();
        Environments = environments;
        Escapes = escapes;
        FromPage = fromPage;
    }

    static readonly TexDelimiter[] DefaultInline = [new("\\(", "\\)", false), new("$", "$", false, Guarded: true)];
    static readonly TexDelimiter[] DefaultDisplay = [new("$$", "$$", true), new("\\[", "\\]", true)];

    public static readonly TexDelimiterSet Default = new([.. DefaultInline, .. DefaultDisplay]);

    /// <summary>Reads the delimiter configuration from the text of the page's scripts; <see cref="Default"/> when there is none.</summary>
    public static TexDelimiterSet FromScripts(IEnumerable<string> scripts)
    {
        List<TexDelimiter>? inline = null, display = null, katex = null;
        bool escapes = true, environments = true, found = false;
        foreach (var s in scripts)
        {
            if (s.Length > 200_000) continue; // a bundled library, not a page config
            bool mathJax = s.Contains("MathJax", StringComparison.Ordinal) || s.Contains("tex2jax", StringComparison.Ordinal);
            if (mathJax)
            {
                if (ReadPairs(s, "inlineMath") is { } i) { inline = MergeWithDefaults(i.Pairs, i.Adds, DefaultInline, false); found = true; }
                if (ReadPairs(s, "displayMath") is { } d) { display = MergeWithDefaults(d.Pairs, d.Adds, DefaultDisplay, true); found = true; }
                var pe = ProcessEscapesRegex().Match(s);
                if (pe.Success) escapes = pe.Groups[1].Value == "true";
                var env = ProcessEnvironmentsRegex().Match(s);
                if (env.Success) environments = env.Groups[1].Value == "true";
            }
            if (s.Contains("delimiters", StringComparison.Ordinal) && (s.Contains("renderMathInElement", StringComparison.Ordinal) || s.Contains("katex", StringComparison.OrdinalIgnoreCase)))
            {
                var k = ReadKatexDelimiters(s);
                if (k.Count > 0) { katex = k; found = true; }
            }
        }
        if (!found) return Default;
        var all = new List<TexDelimiter>();
        if (katex is not null) all.AddRange(katex);
        all.AddRange(inline ?? [.. DefaultInline]);
        all.AddRange(display ?? [.. DefaultDisplay]);
        // Environment delimiters written as KaTeX pairs are handled by the environment scanner.
        all.RemoveAll(d => d.Open.StartsWith("\\begin{", StringComparison.Ordinal));
        return new TexDelimiterSet(all, environments, escapes, fromPage: true);
    }

    static List<TexDelimiter> MergeWithDefaults(List<(string, string)> pairs, bool adds, TexDelimiter[] defaults, bool display)
    {
        var list = new List<TexDelimiter>();
        if (adds) list.AddRange(defaults);
        foreach (var (o, c) in pairs) list.Add(new TexDelimiter(o, c, display));
        return list;
    }

    /// <summary>Parses <c>key: [['a','b'], …]</c> or v4's <c>key: {'[+]': [[…]]}</c> after <paramref name="key"/>.</summary>
    static (List<(string, string)> Pairs, bool Adds)? ReadPairs(string s, string key)
    {
        int k = s.IndexOf(key, StringComparison.Ordinal);
        if (k < 0) return null;
        int i = k + key.Length;
        while (i < s.Length && (char.IsWhiteSpace(s[i]) || s[i] is '"' or '\'')) i++;
        if (i >= s.Length || s[i] != ':') return null;
        i++;
        while (i < s.Length && char.IsWhiteSpace(s[i])) i++;
        if (i >= s.Length || s[i] is not ('[' or '{')) return null;
        bool adds = s[i] == '{' && s.IndexOf("[+]", i, Math.Min(40, s.Length - i), StringComparison.Ordinal) >= 0;
        // Collect string literals up to the bracket that closes the value.
        int depth = 0;
        var strings = new List<string>();
        var pairs = new List<(string, string)>();
        int innerDepthOfPair = -1;
        for (; i < s.Length; i++)
        {
            char c = s[i];
            if (c is '[' or '{')
            {
                depth++;
                strings.Clear();
                innerDepthOfPair = depth;
            }
            else if (c is ']' or '}')
            {
                if (depth == innerDepthOfPair && strings.Count == 2) pairs.Add((strings[0], strings[1]));
                strings.Clear();
                depth--;
                if (depth == 0) break;
            }
            else if (c is '"' or '\'')
            {
                var (lit, end) = ReadJsString(s, i);
                if (lit != "[+]" && lit != "[-]") strings.Add(lit);
                i = end;
            }
        }
        return (pairs, adds);
    }

    static List<TexDelimiter> ReadKatexDelimiters(string s)
    {
        var list = new List<TexDelimiter>();
        int k = s.IndexOf("delimiters", StringComparison.Ordinal);
        while (k >= 0)
        {
            int i = s.IndexOf('[', k);
            if (i < 0) break;
            int depth = 0;
            string? left = null, right = null;
            bool disp = false;
            string? lastKey = null;
            for (; i < s.Length; i++)
            {
                char c = s[i];
                if (c == '[' || c == '{') { depth++; if (c == '{') { left = right = null; disp = false; } }
                else if (c == '}')
                {
                    if (left is not null && right is not null) list.Add(new TexDelimiter(left, right, disp));
                    depth--;
                }
                else if (c == ']') { depth--; if (depth == 0) break; }
                else if (c is '"' or '\'')
                {
                    var (lit, end) = ReadJsString(s, i);
                    i = end;
                    if (lastKey == "left") left = lit;
                    else if (lastKey == "right") right = lit;
                    lastKey = null;
                }
                else if (char.IsAsciiLetter(c))
                {
                    int e = i;
                    while (e < s.Length && char.IsAsciiLetter(s[e])) e++;
                    var word = s[i..e];
                    if (word is "left" or "right" or "display") lastKey = word;
                    else if (word == "true" && lastKey == "display") { disp = true; lastKey = null; }
                    else if (word == "false" && lastKey == "display") { disp = false; lastKey = null; }
                    i = e - 1;
                }
            }
            if (list.Count > 0) break;
            k = s.IndexOf("delimiters", k + 10, StringComparison.Ordinal);
        }
        return list;
    }

    /// <summary>Reads a JavaScript string literal starting at the quote at <paramref name="start"/>; returns it and the index of its closing quote.</summary>
    static (string Value, int End) ReadJsString(string s, int start)
    {
        char q = s[start];
        var sb = new StringBuilder();
        int i = start + 1;
        for (; i < s.Length && s[i] != q; i++)
        {
            if (s[i] == '\\' && i + 1 < s.Length)
            {
                i++;
                sb.Append(s[i] switch { 'n' => '\n', 't' => '\t', _ => s[i] });
            }
            else sb.Append(s[i]);
        }
        return (sb.ToString(), i);
    }

    [GeneratedRegex(@"processEscapes\s*:\s*(true|false)")]
    private static partial Regex ProcessEscapesRegex();

    [GeneratedRegex(@"processEnvironments\s*:\s*(true|false)")]
    private static partial Regex ProcessEnvironmentsRegex();
}
