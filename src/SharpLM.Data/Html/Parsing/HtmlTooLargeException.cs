namespace SharpLM.Data.Html.Parsing;

/// <summary>A page the parser refuses because it exceeds a limit of <see cref="HtmlParseOptions"/>.</summary>
public sealed class HtmlTooLargeException(string message) : Exception(message);
