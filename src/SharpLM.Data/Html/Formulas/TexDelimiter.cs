namespace SharpLM.Data.Html.Formulas;

/// <summary>One pair of math delimiters, e.g. <c>\(</c> … <c>\)</c> inline or <c>$$</c> … <c>$$</c> display.</summary>
/// <param name="Guarded">For a bare <c>$</c> that the page did not configure itself: apply the Pandoc rule (no space after the
/// opening <c>$</c>, none before the closing one, no digit right after it) so prices such as "$5 and $10" stay text.</param>
public sealed record TexDelimiter(string Open, string Close, bool Display, bool Guarded = false);
