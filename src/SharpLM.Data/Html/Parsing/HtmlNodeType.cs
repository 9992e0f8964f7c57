namespace SharpLM.Data.Html.Parsing;

/// <summary>What a <see cref="HtmlNode"/> is.</summary>
public enum HtmlNodeType : byte
{
    Document,
    Element,
    Text,
    /// <summary>A formula the extractor recovered (TeX in <see cref="HtmlNode.Text"/>); replaces its markup in the tree.</summary>
    Math,
}
