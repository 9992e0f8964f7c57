namespace SharpLM.Data.Html;

/// <summary>The result of <see cref="MathTextExtractor.Extract"/>.</summary>
/// <param name="Text">Main content as Markdown-ish text: <c>#</c> headings, blank-line paragraphs, <c>-</c>/<c>1.</c>
/// lists, fenced code, pipe tables, <c>&gt;</c> quotes; every formula as <c>$…$</c> or <c>$$…$$</c>.</param>
/// <param name="Title">The page title (<c>&lt;title&gt;</c>, else <c>og:title</c>, else the first <c>h1</c>), or null.</param>
/// <param name="Math">Formulas kept in <paramref name="Text"/>, per source.</param>
/// <param name="MainContentFound">False when no main-content block stood out and the whole body was kept.</param>
public sealed record ExtractedPage(string Text, string? Title, MathCounts Math, bool MainContentFound)
{
    /// <summary>True when at least one formula was recovered.</summary>
    public bool HasMath => Math.Total > 0;
}
