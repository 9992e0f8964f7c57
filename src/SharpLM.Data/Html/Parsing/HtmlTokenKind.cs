namespace SharpLM.Data.Html.Parsing;

/// <summary>What <see cref="HtmlTokenizer.Next"/> found.</summary>
public enum HtmlTokenKind : byte { EndOfFile, Text, StartTag, EndTag, Comment, Doctype }
