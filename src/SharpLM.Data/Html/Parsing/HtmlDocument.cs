namespace SharpLM.Data.Html.Parsing;

/// <summary>A parsed page: the document node with its <c>html</c>, <c>head</c> and <c>body</c> elements.</summary>
public sealed class HtmlDocument
{
    public HtmlNode Root { get; }
    public HtmlNode Html { get; }
    public HtmlNode Head { get; }
    public HtmlNode Body { get; }

    /// <summary>Elements created while parsing (a bound on the tree's size).</summary>
    public int ElementCount { get; internal set; }

    /// <summary>True when nesting deeper than the parser's limit was flattened.</summary>
    public bool DepthLimited { get; internal set; }

    internal HtmlDocument()
    {
        Root = new HtmlNode(HtmlNodeType.Document, "#document");
        Html = new HtmlNode(HtmlNodeType.Element, "html");
        Head = new HtmlNode(HtmlNodeType.Element, "head");
        Body = new HtmlNode(HtmlNodeType.Element, "body");
        Root.AppendChild(Html);
        Html.AppendChild(Head);
        Html.AppendChild(Body);
    }

    /// <summary>The text of the first <c>title</c> element (whitespace collapsed), or null.</summary>
    public string? Title
    {
        get
        {
            foreach (var t in Root.DescendantElements("title"))
            {
                if (t.IsForeign) continue;
                var s = TextUtil.CollapseWhitespace(t.TextContent);
                if (s.Length > 0) return s;
            }
            return null;
        }
    }
}
