namespace SharpLM.Data.Html;

/// <summary>Settings of <see cref="MathTextExtractor"/>.</summary>
/// <param name="MainContentOnly">Keep only the main content (Readability-style boilerplate removal); false keeps the whole body.</param>
/// <param name="MaxHtmlChars">Longest page accepted, in UTF-16 characters; longer pages are refused with a reason (bounded memory).</param>
/// <param name="MaxElements">Most elements a page may have (bounded memory for tag-dense hostile pages).</param>
/// <param name="MaxDepth">Nesting depth kept by the parser; deeper elements are flattened.</param>
public sealed record ExtractionOptions(
    bool MainContentOnly = true,
    int MaxHtmlChars = 64 << 20,
    int MaxElements = 1_000_000,
    int MaxDepth = 256)
{
    public static readonly ExtractionOptions Default = new();
}
