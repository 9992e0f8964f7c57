namespace SharpLM.Data.Html;

/// <summary>Text decoded from a page's raw bytes, with the encoding used and why.</summary>
/// <param name="Text">The page as text (invalid sequences replaced by U+FFFD).</param>
/// <param name="Charset">The WHATWG-style name of the encoding used, e.g. <c>utf-8</c>, <c>windows-1252</c>, <c>shift_jis</c>.</param>
/// <param name="Source">Where that choice came from.</param>
/// <param name="Declared">The label found in the header or the page, when there was one (even if not used).</param>
public sealed record DecodedHtml(string Text, string Charset, CharsetSource Source, string? Declared);
