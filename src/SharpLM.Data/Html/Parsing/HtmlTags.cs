using System.Collections.Frozen;

namespace SharpLM.Data.Html.Parsing;

/// <summary>The element classes of the HTML5 parsing rules that the tree builder and the extractor use.</summary>
public static class HtmlTags
{
    /// <summary>Elements that never have children or an end tag.</summary>
    public static readonly FrozenSet<string> Void = FrozenSet.ToFrozenSet(
    [
        "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "img", "input", "keygen",
        "link", "meta", "param", "source", "track", "wbr",
    ], StringComparer.Ordinal);

    /// <summary>Elements whose content is raw text up to their end tag (no tags, no references).</summary>
    public static readonly FrozenSet<string> RawText = FrozenSet.ToFrozenSet(
        ["script", "style", "xmp", "iframe", "noembed", "noframes", "noscript"], StringComparer.Ordinal);

    /// <summary>Elements whose content is text with references decoded but no tags (RCDATA).</summary>
    public static readonly FrozenSet<string> RcData = FrozenSet.ToFrozenSet(["title", "textarea"], StringComparer.Ordinal);

    /// <summary>Start tags that close an open <c>p</c> (HTML5 "close a p element" in the in-body rules).</summary>
    public static readonly FrozenSet<string> ClosesParagraph = FrozenSet.ToFrozenSet(
    [
        "address", "article", "aside", "blockquote", "center", "details", "dialog", "dir", "div", "dl",
        "fieldset", "figcaption", "figure", "footer", "header", "hgroup", "main", "menu", "nav", "ol", "p",
        "search", "section", "summary", "ul", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "listing", "form",
        "table", "hr", "xmp", "plaintext", "li", "dd", "dt",
    ], StringComparer.Ordinal);

    public static readonly FrozenSet<string> Headings = FrozenSet.ToFrozenSet(
        ["h1", "h2", "h3", "h4", "h5", "h6"], StringComparer.Ordinal);

    /// <summary>Elements that bound the search for an open element to close (HTML5 "has an element in scope").</summary>
    public static readonly FrozenSet<string> ScopeBoundary = FrozenSet.ToFrozenSet(
    [
        "applet", "caption", "html", "table", "td", "th", "marquee", "object", "template", "body",
        "mi", "mo", "mn", "ms", "mtext", "annotation-xml", "foreignobject", "desc",
    ], StringComparer.Ordinal);

    /// <summary>HTML start tags that break out of svg/math foreign content.</summary>
    public static readonly FrozenSet<string> ForeignBreakout = FrozenSet.ToFrozenSet(
    [
        "b", "big", "blockquote", "body", "br", "center", "code", "dd", "div", "dl", "dt", "em", "embed",
        "h1", "h2", "h3", "h4", "h5", "h6", "head", "hr", "i", "img", "li", "listing", "menu", "meta", "nobr",
        "ol", "p", "pre", "ruby", "s", "small", "span", "strong", "strike", "sub", "sup", "table", "tt", "u",
        "ul", "var",
    ], StringComparer.Ordinal);

    /// <summary>Elements that start a new block of text (a line break before and after when rendered).</summary>
    public static readonly FrozenSet<string> Block = FrozenSet.ToFrozenSet(
    [
        "address", "article", "aside", "blockquote", "body", "center", "dd", "details", "dialog", "dir", "div",
        "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
        "header", "hgroup", "hr", "html", "li", "listing", "main", "menu", "nav", "ol", "p", "pre", "section",
        "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "caption", "legend", "option",
        "optgroup", "search", "plaintext", "xmp", "br", "frameset", "noframes",
    ], StringComparer.Ordinal);

    /// <summary>Names interned up front by the tokenizer (tags and attributes seen on most pages).</summary>
    public static readonly string[] Known =
    [
        "a", "abbr", "address", "annotation", "annotation-xml", "area", "article", "aside", "audio", "b", "base",
        "bdi", "bdo", "blockquote", "body", "br", "button", "canvas", "caption", "center", "cite", "code", "col",
        "colgroup", "dd", "del", "details", "dfn", "dialog", "dir", "div", "dl", "dt", "em", "embed", "fieldset",
        "figcaption", "figure", "font", "footer", "form", "frame", "frameset", "h1", "h2", "h3", "h4", "h5", "h6",
        "head", "header", "hgroup", "hr", "html", "i", "iframe", "img", "input", "ins", "kbd", "label", "legend",
        "li", "link", "main", "mark", "math", "menu", "meta", "nav", "nobr", "noembed", "noframes", "noscript",
        "object", "ol", "optgroup", "option", "p", "param", "picture", "plaintext", "pre", "q", "s", "samp",
        "script", "search", "section", "select", "small", "source", "span", "strike", "strong", "style", "sub",
        "summary", "sup", "svg", "table", "tbody", "td", "template", "textarea", "tfoot", "th", "thead", "time",
        "title", "tr", "track", "tt", "u", "ul", "var", "video", "wbr", "xmp",
        // MathML
        "semantics", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "mfrac", "msqrt", "mroot", "msup", "msub",
        "msubsup", "munder", "mover", "munderover", "mtable", "mtr", "mtd", "mlabeledtr", "mstyle", "mpadded",
        "mphantom", "mfenced", "menclose", "merror", "mmultiscripts", "mprescripts", "none",
        // attributes
        "id", "class", "style", "href", "src", "alt", "title", "type", "name", "content", "charset", "http-equiv",
        "rel", "lang", "dir", "width", "height", "alttext", "encoding", "display", "mode", "data-expr",
        "hidden", "aria-hidden", "role", "itemprop", "property", "datetime", "rel", "target",
    ];
}
