namespace SharpLM.Data.Html.Parsing;

/// <summary>Limits that keep parsing bounded on hostile pages.</summary>
/// <param name="MaxDepth">Deepest nesting kept; deeper elements are attached flat at this depth (browsers do the same at 512).</param>
/// <param name="MaxElements">Most elements built; a page with more is refused with a <see cref="HtmlTooLargeException"/>.</param>
public sealed record HtmlParseOptions(int MaxDepth = 256, int MaxElements = 1_000_000)
{
    public static readonly HtmlParseOptions Default = new();
}
