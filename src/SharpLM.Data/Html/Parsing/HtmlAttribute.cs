namespace SharpLM.Data.Html.Parsing;

/// <summary>One attribute, name lower-cased, value with character references decoded.</summary>
public readonly record struct HtmlAttribute(string Name, string Value);
