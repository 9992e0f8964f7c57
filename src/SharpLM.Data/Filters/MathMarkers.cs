using System.Text.RegularExpressions;

namespace SharpLM.Data.Filters;

/// <summary>What the cheap prefilter found in a page's raw HTML.</summary>
public enum MathMarkerMatch
{
    /// <summary>No sign of math: the page is dropped before parsing.</summary>
    None,
    /// <summary>A math-rendering marker (MathJax, KaTeX, MathML, LaTeX image services…): keep.</summary>
    Marker,
    /// <summary>Only a backslash command: keep for extraction, then require a known LaTeX command in the text.</summary>
    BackslashCommand,
}

/// <summary>
/// OpenWebMath's prefilter (spec Part 2 §3): keep a page whose raw HTML mentions a math renderer, else one
/// that contains a <c>\command</c>, which must then show a real LaTeX command in its extracted text
/// (<see cref="LatexCommands"/>). Runs on bytes, before any parsing, so it is the cheap first cut.
/// </summary>
public static class MathMarkers
{
    /// <summary>The markers, as OWM lists them (case variants included where OWM has them).</summary>
    public static readonly string[] Markers =
    [
        "MathJax", "mathjax", "<math", "math-container", "katex.min.css", "latex.php", "codecogs", "tex.cgi", "class=\"tex\"", "class='tex'",
    ];

    static readonly System.Buffers.SearchValues<string> s_markers =
        System.Buffers.SearchValues.Create(Markers, StringComparison.Ordinal);

    static readonly Regex s_command = new(@"\\[a-z]{2,}", RegexOptions.CultureInvariant | RegexOptions.Compiled);

    public static MathMarkerMatch Match(string html)
    {
        if (html.AsSpan().IndexOfAny(s_markers) >= 0) return MathMarkerMatch.Marker;
        return s_command.IsMatch(html) ? MathMarkerMatch.BackslashCommand : MathMarkerMatch.None;
    }

    /// <summary>The same test on raw bytes (Latin-1 view: all markers are ASCII).</summary>
    public static MathMarkerMatch Match(ReadOnlySpan<byte> html) => Match(System.Text.Encoding.Latin1.GetString(html));
}
