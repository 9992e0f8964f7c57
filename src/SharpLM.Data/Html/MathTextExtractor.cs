using SharpLM.Data.Html.Formulas;
using SharpLM.Data.Html.Parsing;
using SharpLM.Data.Html.Readability;
using SharpLM.Data.Html.Rendering;

namespace SharpLM.Data.Html;

/// <summary>
/// Math-preserving HTML → text, OpenWebMath-style: parse (our own HTML5-rules parser), turn every formula
/// into TeX (<see cref="MathRecovery"/>: MathJax scripts, MathML, KaTeX, data-expr, Stack Exchange, TeX
/// images, then TeX between the page's own delimiters in the text), drop scripts, styles and form controls,
/// keep the main content (<see cref="MainContentFinder"/>, which never drops a formula), and write
/// Markdown-ish text with <c>$…$</c>/<c>$$…$$</c> math (<see cref="MarkdownWriter"/>).
/// Thread-safe: one instance may serve every worker.
/// </summary>
public sealed class MathTextExtractor(ExtractionOptions? options = null)
{
    readonly ExtractionOptions _options = options ?? ExtractionOptions.Default;

    /// <summary>Extracts with the default options.</summary>
    public static ExtractedPage Extract(string html, string? url = null) => Shared.Run(html, url);

    static readonly MathTextExtractor Shared = new();

    /// <summary>
    /// Extracts <paramref name="html"/>. Throws <see cref="SharpLMDataException"/> (path = <paramref name="url"/>
    /// or <c>&lt;html&gt;</c>) for a page over the size limits; the pipeline records its reason and moves on.
    /// </summary>
    public ExtractedPage Run(string html, string? url = null)
    {
        ArgumentNullException.ThrowIfNull(html);
        string name = url ?? "<html>";
        if (html.Length > _options.MaxHtmlChars)
            throw new SharpLMDataException(name, $"page too large: {html.Length} characters (limit {_options.MaxHtmlChars})");

        string? title = null;
        HtmlDocument Prepare()
        {
            HtmlDocument doc;
            try
            {
                doc = HtmlParser.Parse(html, new HtmlParseOptions(_options.MaxDepth, _options.MaxElements));
            }
            catch (HtmlTooLargeException e)
            {
                throw new SharpLMDataException(name, "page too large: " + e.Message);
            }
            title ??= FindTitle(doc);
            var delimiters = TexDelimiterSet.FromScripts(ScriptTexts(doc));
            var recovery = new MathRecovery();
            recovery.ReplaceMarkup(doc.Root);
            RemoveNonContent(doc.Root);
            recovery.ReplaceTextMath(doc.Body, delimiters);
            return doc;
        }

        HtmlNode content;
        bool found;
        if (_options.MainContentOnly)
        {
            // Title first (the finder drops headings that repeat it).
            var (c, doc, f) = MainContentFinder.Find(Prepare, null);
            content = c;
            found = f;
            if (found) AddMathOutside(content, doc);
        }
        else
        {
            var doc = Prepare();
            content = doc.Body;
            found = false;
        }
        var text = MarkdownWriter.Render(content);
        return new ExtractedPage(text, title, CountMath(content), found);
    }

    /// <summary>Counts the formulas that made it into the output (not those of dropped boilerplate or earlier attempts).</summary>
    static MathCounts CountMath(HtmlNode content)
    {
        var counts = new MathCounts();
        for (var n = content.NextInTree(content); n is not null; n = n.NextInTree(content))
            if (n.Type == HtmlNodeType.Math) counts.Add(n.MathSource, n.Display);
        return counts;
    }

    static IEnumerable<string> ScriptTexts(HtmlDocument doc)
    {
        foreach (var s in doc.Root.DescendantElements("script"))
        {
            var type = s.GetAttribute("type");
            if (type is null || type.Contains("javascript", StringComparison.OrdinalIgnoreCase) || type.Contains("x-mathjax-config", StringComparison.OrdinalIgnoreCase)
                || type == "module")
                yield return s.TextContent;
        }
    }

    static string? FindTitle(HtmlDocument doc)
    {
        var t = doc.Title;
        if (t is not null) return t;
        foreach (var m in doc.Head.DescendantElements("meta"))
            if (m.GetAttribute("property") == "og:title" && m.GetAttribute("content") is { Length: > 0 } og) return TextUtil.CollapseWhitespace(og);
        var h1 = doc.Body.DescendantElements("h1").FirstOrDefault();
        return h1 is null ? null : TextUtil.CollapseWhitespace(h1.TextContent) is { Length: > 0 } h ? h : null;
    }

    /// <summary>Elements that never carry readable text (after math was recovered from them).</summary>
    static void RemoveNonContent(HtmlNode root)
    {
        var n = root.NextInTree(root);
        while (n is not null)
        {
            if (n.IsElement && n.Name is "script" or "style" or "noscript" or "template" or "link" or "meta" or "iframe"
                    or "object" or "embed" or "svg" or "canvas" or "select" or "button" or "input" or "textarea" or "nav"
                    or "math" or "noembed" or "noframes")
            {
                var next = n.NextInTree(root, skipChildren: true);
                n.Detach();
                n = next;
                continue;
            }
            if (n.IsElement && n.Name == "font") n.Name = "span";
            n = n.NextInTree(root);
        }
    }

    /// <summary>
    /// Formulas outside the chosen content come back with their block (paragraph, list item, cell…), in
    /// document order after the content: the finder chooses blocks by prose, and math must not be lost to it.
    /// </summary>
    static void AddMathOutside(HtmlNode content, HtmlDocument doc)
    {
        var blocks = new List<HtmlNode>();
        var seen = new HashSet<HtmlNode>(ReferenceEqualityComparer.Instance);
        for (var n = doc.Body.NextInTree(doc.Body); n is not null; n = n.NextInTree(doc.Body))
        {
            if (n == content) { n = SkipSubtree(n, doc.Body); if (n is null) break; }
            if (n.Type != HtmlNodeType.Math) continue;
            var block = n.Parent;
            while (block is not null && block != doc.Body && !(block.IsElement && HtmlTags.Block.Contains(block.Name))) block = block.Parent;
            if (block is null || block == doc.Body) block = n;
            if (IsInside(block, content) || IsInside(content, block) || !seen.Add(block)) continue;
            if (blocks.Any(b => IsInside(block, b))) continue;
            blocks.Add(block);
        }
        foreach (var b in blocks)
        {
            var copy = b;
            copy.Detach();
            content.AppendChild(copy);
        }
    }

    static HtmlNode? SkipSubtree(HtmlNode n, HtmlNode root) => n.NextInTree(root, skipChildren: true);

    static bool IsInside(HtmlNode n, HtmlNode ancestor)
    {
        for (var p = n; p is not null; p = p.Parent) if (p == ancestor) return true;
        return false;
    }
}
