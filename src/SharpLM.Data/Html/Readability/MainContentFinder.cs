using System.Text;
using SharpLM.Data.Html.Parsing;

namespace SharpLM.Data.Html.Readability;

/// <summary>Which of Readability's passes are on; each failed attempt (too little text) turns one off.</summary>
[Flags]
enum ReadabilityFlags
{
    None = 0,
    StripUnlikely = 1,
    WeightClasses = 2,
    CleanConditionally = 4,
    All = StripUnlikely | WeightClasses | CleanConditionally,
}

/// <summary>
/// Finds the main content of a page, Readability-style: drops hidden and unlikely nodes (class/id/role
/// hints), turns text-only divs into paragraphs, scores paragraphs (1 + commas + length/100, at most 3) into
/// their parent (full) and grandparents (halved, then divided by 3·level), scales candidates by
/// 1 − link density, picks the best (climbing to a parent shared by other strong candidates), adds siblings
/// that score well or read like prose, then cleans the result (forms, share widgets, link-heavy or
/// image-heavy blocks, headers with negative class weight). Fewer than 500 characters ⇒ retry with a pass
/// turned off, keeping the longest attempt.
///
/// Math is protected throughout: a node holding a recovered formula is never removed as unlikely, hidden
/// (its formulas are kept), conditionally cleaned, or left out because it sits outside the chosen block —
/// the blocks around such formulas are added back in document order.
/// </summary>
sealed class MainContentFinder
{
    public const int CharThreshold = 500;
    const int TopCandidateCount = 5;
    const int MinimumTopCandidates = 3;

    readonly Dictionary<HtmlNode, double> _scores = new(ReferenceEqualityComparer.Instance);
    readonly HashSet<HtmlNode> _dataTables = new(ReferenceEqualityComparer.Instance);
    readonly string? _articleTitle;
    ReadabilityFlags _flags;
    bool _bylineFound;

    MainContentFinder(ReadabilityFlags flags, string? articleTitle)
    {
        _flags = flags;
        _articleTitle = articleTitle;
    }

    /// <summary>
    /// Runs the attempts; <paramref name="prepare"/> must build a fresh prepared document each time (the
    /// passes mutate the tree). Returns the content element and the document it belongs to.
    /// </summary>
    public static (HtmlNode Content, HtmlDocument Document, bool Found) Find(Func<HtmlDocument> prepare, string? title)
    {
        var attempts = new List<(HtmlNode Content, HtmlDocument Doc, int Length)>();
        var flags = ReadabilityFlags.All;
        while (true)
        {
            var doc = prepare();
            var finder = new MainContentFinder(flags, title);
            var content = finder.GrabArticle(doc);
            int length = content is null ? 0 : InnerTextLength(content);
            if (content is not null && length >= CharThreshold) return (content, doc, true);
            if (content is not null) attempts.Add((content, doc, length));
            if ((flags & ReadabilityFlags.StripUnlikely) != 0) flags &= ~ReadabilityFlags.StripUnlikely;
            else if ((flags & ReadabilityFlags.WeightClasses) != 0) flags &= ~ReadabilityFlags.WeightClasses;
            else if ((flags & ReadabilityFlags.CleanConditionally) != 0) flags &= ~ReadabilityFlags.CleanConditionally;
            else break;
        }
        if (attempts.Count == 0 || attempts.Max(a => a.Length) == 0)
        {
            var doc = prepare();
            return (doc.Body, doc, false);
        }
        var best = attempts.OrderByDescending(a => a.Length).First();
        return (best.Content, best.Doc, true);
    }

    bool Flag(ReadabilityFlags f) => (_flags & f) != 0;

    /// <summary>False when the page has no formula at all, which spares every subtree search for one.</summary>
    bool _pageHasMath = true;

    bool HasMath(HtmlNode n) => _pageHasMath && ContainsMath(n);

    // ---------------------------------------------------------------- the main pass

    HtmlNode? GrabArticle(HtmlDocument doc)
    {
        var body = doc.Body;
        _pageHasMath = ContainsMath(body);
        var elementsToScore = new List<HtmlNode>();
        var root = doc.Html;
        var node = root.NextInTree(root);
        while (node is not null)
        {
            if (!node.IsElement) { node = node.NextInTree(root); continue; }
            if (node.Name is "head") { node = node.NextInTree(root, skipChildren: true); continue; }
            string match = node.ClassAndId;

            if (!IsProbablyVisible(node)) { node = RemoveKeepingMath(node, root); continue; }
            if (node.GetAttribute("aria-modal") == "true" && node.GetAttribute("role") == "dialog" && !HasMath(node))
            { node = RemoveAndGetNext(node, root); continue; }
            if (!_bylineFound && IsByline(node, match)) { _bylineFound = true; node = RemoveAndGetNext(node, root); continue; }
            if (_articleTitle is not null && node.Name is "h1" or "h2" && TextSimilarity(_articleTitle, InnerText(node)) > 0.75 && !HasMath(node))
            { node = RemoveAndGetNext(node, root); continue; }

            if (Flag(ReadabilityFlags.StripUnlikely) && node != body && node.Name != "a" && match.Length + (node.GetAttribute("role")?.Length ?? 0) > 0)
            {
                bool unlikely = (ReadabilityRules.UnlikelyCandidates().IsMatch(match) && !ReadabilityRules.MaybeCandidate().IsMatch(match)
                                 && node.Ancestor("table") is null && node.Ancestor("code") is null)
                                || (node.GetAttribute("role") is { } role && ReadabilityRules.UnlikelyRoles.Contains(role));
                if (unlikely && !HasMath(node)) { node = RemoveAndGetNext(node, root); continue; }
            }

            if (node.Name is "div" or "section" or "header" or "h1" or "h2" or "h3" or "h4" or "h5" or "h6" && IsElementWithoutContent(node))
            { node = RemoveAndGetNext(node, root); continue; }

            if (ReadabilityRules.TagsToScore.Contains(node.Name)) elementsToScore.Add(node);

            if (node.Name == "div")
            {
                WrapPhrasingRuns(node);
                if (HasSingleTagInside(node, "p") && LinkDensity(node) < 0.25)
                {
                    var p = FirstElementChild(node)!;
                    node.ReplaceWith(p);
                    node = p;
                    elementsToScore.Add(node);
                }
                else if (!HasChildBlockElement(node))
                {
                    node.Name = "p";
                    elementsToScore.Add(node);
                }
            }
            node = node.NextInTree(root);
        }

        // Score paragraphs into their ancestors.
        var candidates = new List<HtmlNode>();
        foreach (var el in elementsToScore)
        {
            if (el.Parent is null || !el.Parent.IsElement) continue;
            var text = InnerText(el);
            if (text.Length < 25) continue;
            var ancestors = Ancestors(el, 5);
            if (ancestors.Count == 0) continue;
            // 1, plus the number of comma-separated pieces, plus a point per 100 characters (at most 3).
            double score = 1 + (CountCommas(text) + 1) + Math.Min(text.Length / 100, 3);
            for (int level = 0; level < ancestors.Count; level++)
            {
                var a = ancestors[level];
                if (a.Parent is null || !a.Parent.IsElement) continue;
                if (!_scores.ContainsKey(a)) { Initialize(a); candidates.Add(a); }
                double divider = level == 0 ? 1 : level == 1 ? 2 : level * 3;
                _scores[a] += score / divider;
            }
        }

        var top = new List<HtmlNode>();
        foreach (var c in candidates)
        {
            double s = _scores[c] * (1 - LinkDensity(c));
            _scores[c] = s;
            int at = top.FindIndex(t => s > _scores[t]);
            if (at < 0) { if (top.Count < TopCandidateCount) top.Add(c); }
            else { top.Insert(at, c); if (top.Count > TopCandidateCount) top.RemoveAt(top.Count - 1); }
        }

        HtmlNode topCandidate;
        if (top.Count == 0 || top[0] == body)
        {
            topCandidate = new HtmlNode(HtmlNodeType.Element, "div");
            while (body.FirstChild is { } k) topCandidate.AppendChild(k);
            body.AppendChild(topCandidate);
            Initialize(topCandidate);
        }
        else
        {
            topCandidate = top[0];
            var alternatives = new List<HashSet<HtmlNode>>();
            for (int i = 1; i < top.Count; i++)
                if (_scores[top[i]] / _scores[topCandidate] >= 0.75)
                    alternatives.Add(new HashSet<HtmlNode>(Ancestors(top[i], 0), ReferenceEqualityComparer.Instance));
            if (alternatives.Count >= MinimumTopCandidates)
            {
                var p = topCandidate.Parent;
                while (p is not null && p != body && p.IsElement)
                {
                    int lists = alternatives.Count(set => set.Contains(p));
                    if (lists >= MinimumTopCandidates) { topCandidate = p; break; }
                    p = p.Parent;
                }
            }
            if (!_scores.ContainsKey(topCandidate)) Initialize(topCandidate);

            // Climb while the parent's score keeps up (content split across sibling blocks).
            var parent = topCandidate.Parent;
            double lastScore = _scores[topCandidate];
            double threshold = lastScore / 3;
            while (parent is not null && parent != body && parent.IsElement)
            {
                if (!_scores.TryGetValue(parent, out var ps)) { parent = parent.Parent; continue; }
                if (ps < threshold) break;
                if (ps > lastScore) { topCandidate = parent; break; }
                lastScore = ps;
                parent = parent.Parent;
            }
            // A lone child carries no information: use its parent.
            parent = topCandidate.Parent;
            while (parent is not null && parent != body && parent.IsElement && ElementChildCount(parent) == 1)
            {
                topCandidate = parent;
                parent = topCandidate.Parent;
            }
            if (!_scores.ContainsKey(topCandidate)) Initialize(topCandidate);
        }

        // Gather the top candidate and its worthy siblings.
        var article = new HtmlNode(HtmlNodeType.Element, "div");
        double topScore = _scores[topCandidate];
        double siblingThreshold = Math.Max(10, topScore * 0.2);
        var container = topCandidate.Parent;
        if (container is null)
        {
            article.AppendChild(topCandidate);
        }
        else
        {
            var topClass = topCandidate.GetAttribute("class") ?? "";
            var sibling = container.FirstChild;
            while (sibling is not null)
            {
                var next = sibling.NextSibling;
                if (!sibling.IsElement) { sibling = next; continue; }
                bool append = sibling == topCandidate;
                if (!append)
                {
                    double bonus = topClass.Length > 0 && (sibling.GetAttribute("class") ?? "") == topClass ? topScore * 0.2 : 0;
                    if (_scores.TryGetValue(sibling, out var ss) && ss + bonus >= siblingThreshold) append = true;
                    else if (sibling.Name == "p")
                    {
                        double ld = LinkDensity(sibling);
                        var text = InnerText(sibling);
                        if (text.Length > 80 && ld < 0.25) append = true;
                        else if (text.Length < 80 && text.Length > 0 && ld == 0 && ReadabilityRules.SentenceEnd().IsMatch(text)) append = true;
                    }
                }
                if (append)
                {
                    if (!ReadabilityRules.AlterToDivExceptions.Contains(sibling.Name)) sibling.Name = "div";
                    article.AppendChild(sibling);
                }
                sibling = next;
            }
            // Keep the article in the tree (for math outside it to be found in document order).
            container.AppendChild(article);
        }
        PrepArticle(article);
        return article;
    }

    // ---------------------------------------------------------------- cleaning the chosen content

    void PrepArticle(HtmlNode article)
    {
        MarkDataTables(article);
        CleanConditionally(article, "form");
        CleanConditionally(article, "fieldset");
        Clean(article, "object");
        Clean(article, "embed");
        Clean(article, "footer");
        Clean(article, "link");
        Clean(article, "aside");
        for (var top = article.FirstChild; top is not null; top = top.NextSibling)
        {
            if (!top.IsElement) continue;
            foreach (var n in top.Descendants().Where(d => d.IsElement).ToList())
                if (n.Parent is not null && ReadabilityRules.ShareElements().IsMatch(n.ClassAndId) && InnerTextLength(n) < CharThreshold && !HasMath(n))
                    n.Detach();
        }
        Clean(article, "iframe");
        Clean(article, "input");
        Clean(article, "textarea");
        Clean(article, "select");
        Clean(article, "button");
        foreach (var h in article.Descendants().Where(d => d.Is("h1") || d.Is("h2")).ToList())
            if (ClassWeight(h) < 0 && !HasMath(h)) h.Detach();
        CleanConditionally(article, "table");
        CleanConditionally(article, "ul");
        CleanConditionally(article, "div");
        foreach (var h1 in article.DescendantElements("h1").ToList()) h1.Name = "h2";
        foreach (var p in article.DescendantElements("p").ToList())
        {
            bool media = p.Descendants().Any(d => d.IsElement && d.Name is "img" or "embed" or "object" or "iframe") || HasMath(p);
            if (!media && TextUtil.IsBlank(p.TextContent)) p.Detach();
        }
        foreach (var br in article.DescendantElements("br").ToList())
        {
            var next = br.NextSibling;
            while (next is { Type: HtmlNodeType.Text } t && TextUtil.IsBlank(t.Text)) next = next.NextSibling;
            if (next is not null && next.Is("p")) br.Detach();
        }
    }

    void Clean(HtmlNode root, string tag)
    {
        foreach (var n in root.DescendantElements(tag).ToList())
        {
            if (HasMath(n)) continue;
            if (tag is "object" or "embed" or "iframe" && IsVideo(n)) continue;
            n.Detach();
        }
    }

    static bool IsVideo(HtmlNode n)
    {
        foreach (var a in n.Attributes)
            if (a.Value.Contains("youtube", StringComparison.OrdinalIgnoreCase) || a.Value.Contains("vimeo", StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    void MarkDataTables(HtmlNode root)
    {
        foreach (var table in root.DescendantElements("table"))
        {
            if (table.GetAttribute("role") == "presentation") continue;
            if (table.GetAttribute("datatable") == "0") continue;
            if (table.GetAttribute("summary") is not null) { _dataTables.Add(table); continue; }
            HtmlNode? caption = null;
            for (var c = table.FirstChild; c is not null && caption is null; c = c.NextSibling) if (c.Is("caption")) caption = c;
            if (caption is not null && caption.FirstChild is not null) { _dataTables.Add(table); continue; }
            // Nested layout tables are checked first: that search stops at the first inner table, so a page of
            // thousands of nested tables stays linear; the header-cell search below then only sees leaf tables.
            if (table.DescendantElements("table").Any()) continue;
            if (table.Descendants().Any(d => d.IsElement && d.Name is "col" or "colgroup" or "tfoot" or "thead" or "th")) { _dataTables.Add(table); continue; }
            int rows = 0, columns = 0;
            foreach (var tr in table.DescendantElements("tr"))
            {
                rows++;
                int cells = 0;
                for (var c = tr.FirstChild; c is not null; c = c.NextSibling)
                    if (c.Is("td") || c.Is("th")) cells += int.TryParse(c.GetAttribute("colspan"), out var span) ? Math.Clamp(span, 1, 1000) : 1;
                columns = Math.Max(columns, cells);
            }
            if (rows >= 10 || columns > 4 || rows * columns > 10) _dataTables.Add(table);
        }
    }

    void CleanConditionally(HtmlNode root, string tag)
    {
        if (!Flag(ReadabilityFlags.CleanConditionally)) return;
        // Reverse document order: a node's ancestors come before it, so none of them has been removed yet
        // when it is examined (no attachment check needed).
        var nodes = root.DescendantElements(tag).ToList();
        _ancestry.Clear();
        for (int i = nodes.Count - 1; i >= 0; i--)
        {
            var node = nodes[i];
            if (node.Parent is null) continue;
            if (ShouldRemoveConditionally(node, tag)) node.Detach();
        }
    }

    [Flags]
    enum Ancestry : byte { None = 0, DataTableOrCode = 1, Figure = 2 }

    readonly Dictionary<HtmlNode, Ancestry> _ancestry = new(ReferenceEqualityComparer.Instance);

    /// <summary>What lies above <paramref name="n"/> (a data table or code, a figure), memoised per node so deep pages stay linear.</summary>
    Ancestry AncestryOf(HtmlNode n)
    {
        var chain = new List<HtmlNode>();
        var result = Ancestry.None;
        for (var a = n.Parent; a is not null; a = a.Parent)
        {
            if (_ancestry.TryGetValue(a, out var known)) { result = known; break; }
            chain.Add(a);
        }
        for (int i = chain.Count - 1; i >= 0; i--)
        {
            var a = chain[i];
            if ((a.Is("table") && _dataTables.Contains(a)) || a.Is("code")) result |= Ancestry.DataTableOrCode;
            if (a.Is("figure")) result |= Ancestry.Figure;
            _ancestry[a] = result;
        }
        return result;
    }

    bool ShouldRemoveConditionally(HtmlNode node, string tag)
    {
        // One walk gathers every count the rules below need (Readability walks the subtree once per count;
        // on deeply nested pages that is what turns linear into quadratic).
        var st = SubtreeStats.Measure(node);
        if (_pageHasMath && st.HasMath) return false;
        bool isList = tag is "ul" or "ol";
        if (!isList) isList = st.TextLength > 0 && (double)st.ListTextLength / st.TextLength > 0.9;
        if (tag == "table" && _dataTables.Contains(node)) return false;
        var ancestry = AncestryOf(node);
        if ((ancestry & Ancestry.DataTableOrCode) != 0) return false;
        if (st.Tables > 0 && _dataTables.Count > 0 && node.DescendantElements("table").Any(_dataTables.Contains)) return false;

        int weight = ClassWeight(node);
        if (weight < 0) return true;
        if (st.Commas >= 10) return false;

        int p = st.P, img = st.Img, li = st.Li - 100, input = st.Input, embeds = st.Embeds;
        if (st.TextLength < 40)
        {
            var text = InnerText(node);
            if (ReadabilityRules.AdWords().IsMatch(text) || ReadabilityRules.LoadingWords().IsMatch(text)) return true;
        }
        int contentLength = st.TextLength;
        double headingDensity = contentLength == 0 ? 0 : (double)st.HeadingTextLength / contentLength;
        double textDensity = contentLength == 0 ? 0 : (double)st.TextishTextLength / contentLength;
        double linkDensity = contentLength == 0 ? 0 : st.LinkTextLength / contentLength;
        bool isFigureChild = (ancestry & Ancestry.Figure) != 0;

        bool remove =
            (!isFigureChild && img > 1 && (double)p / img < 0.5)
            || (!isList && li > p)
            || (input > p / 3)
            || (!isList && !isFigureChild && headingDensity < 0.9 && contentLength < 25 && (img == 0 || img > 2) && linkDensity > 0)
            || (!isList && weight < 25 && linkDensity > 0.2)
            || (weight >= 25 && linkDensity > 0.5)
            || ((embeds == 1 && contentLength < 75) || embeds > 1)
            || (img == 0 && textDensity == 0);
        if (isList && remove)
        {
            for (var c = node.FirstChild; c is not null; c = c.NextSibling)
                if (c.IsElement && ElementChildCount(c) > 1) return true;
            if (img == st.Li) return false;
        }
        return remove;
    }

    // ---------------------------------------------------------------- helpers

    void Initialize(HtmlNode n)
    {
        double s = n.Name switch
        {
            "div" => 5,
            "pre" or "td" or "blockquote" => 3,
            "address" or "ol" or "ul" or "dl" or "dd" or "dt" or "li" or "form" => -3,
            "h1" or "h2" or "h3" or "h4" or "h5" or "h6" or "th" => -5,
            _ => 0,
        };
        _scores[n] = s + ClassWeight(n);
    }

    int ClassWeight(HtmlNode n)
    {
        if (!Flag(ReadabilityFlags.WeightClasses)) return 0;
        int w = 0;
        var cls = n.GetAttribute("class");
        if (!string.IsNullOrEmpty(cls))
        {
            if (ReadabilityRules.Negative().IsMatch(cls)) w -= 25;
            if (ReadabilityRules.Positive().IsMatch(cls)) w += 25;
        }
        var id = n.GetAttribute("id");
        if (!string.IsNullOrEmpty(id))
        {
            if (ReadabilityRules.Negative().IsMatch(id)) w -= 25;
            if (ReadabilityRules.Positive().IsMatch(id)) w += 25;
        }
        return w;
    }

    static bool IsProbablyVisible(HtmlNode n)
    {
        var style = n.GetAttribute("style");
        if (style is not null && (HasDeclaration(style, "display", "none") || HasDeclaration(style, "visibility", "hidden"))) return false;
        if (n.GetAttribute("hidden") is not null) return false;
        if (n.GetAttribute("aria-hidden") == "true" && !(n.GetAttribute("class") ?? "").Contains("fallback-image", StringComparison.Ordinal)) return false;
        return true;
    }

    static bool HasDeclaration(string style, string property, string value)
    {
        int i = style.IndexOf(property, StringComparison.OrdinalIgnoreCase);
        while (i >= 0)
        {
            int j = i + property.Length;
            while (j < style.Length && style[j] == ' ') j++;
            if (j < style.Length && style[j] == ':')
            {
                j++;
                while (j < style.Length && style[j] == ' ') j++;
                if (string.Compare(style, j, value, 0, value.Length, StringComparison.OrdinalIgnoreCase) == 0) return true;
            }
            i = style.IndexOf(property, i + property.Length, StringComparison.OrdinalIgnoreCase);
        }
        return false;
    }

    bool IsByline(HtmlNode n, string match)
    {
        bool hint = n.GetAttribute("rel") == "author" || (n.GetAttribute("itemprop") ?? "").Contains("author", StringComparison.Ordinal)
                    || ReadabilityRules.Byline().IsMatch(match);
        if (!hint) return false;
        var text = n.TextContent.Trim();
        return text.Length > 0 && text.Length < 100 && !HasMath(n);
    }

    static bool IsElementWithoutContent(HtmlNode n)
    {
        for (var c = n.FirstChild; c is not null; c = c.NextSibling)
            if (c.IsElement && c.Name is not ("br" or "hr")) return false;
        // Only br/hr/text children left: empty when all the text is blank (stops at the first character).
        for (var d = n.NextInTree(n); d is not null; d = d.NextInTree(n))
        {
            if (d.Type == HtmlNodeType.Math) return false;
            if (d.Type == HtmlNodeType.Text && !TextUtil.IsBlank(d.Text)) return false;
        }
        return true;
    }

    static void WrapPhrasingRuns(HtmlNode div)
    {
        HtmlNode? p = null;
        var child = div.FirstChild;
        while (child is not null)
        {
            var next = child.NextSibling;
            if (IsPhrasing(child))
            {
                if (p is not null) p.AppendChild(child);
                else if (!IsWhitespace(child))
                {
                    p = new HtmlNode(HtmlNodeType.Element, "p");
                    div.InsertBefore(p, child);
                    p.AppendChild(child);
                }
            }
            else if (p is not null)
            {
                while (p.LastChild is { } last && IsWhitespace(last)) last.Detach();
                p = null;
            }
            child = next;
        }
    }

    static bool IsPhrasing(HtmlNode n)
    {
        if (n.Type is HtmlNodeType.Text or HtmlNodeType.Math) return true;
        if (!n.IsElement) return false;
        if (ReadabilityRules.Phrasing.Contains(n.Name)) return true;
        if (n.Name is "a" or "del" or "ins")
        {
            for (var c = n.FirstChild; c is not null; c = c.NextSibling) if (!IsPhrasing(c)) return false;
            return true;
        }
        return false;
    }

    static bool IsWhitespace(HtmlNode n) =>
        (n.Type == HtmlNodeType.Text && TextUtil.IsBlank(n.Text)) || n.Is("br");

    static bool HasSingleTagInside(HtmlNode n, string tag)
    {
        HtmlNode? only = null;
        for (var c = n.FirstChild; c is not null; c = c.NextSibling)
        {
            if (c.IsElement) { if (only is not null) return false; only = c; }
            else if (c.Type == HtmlNodeType.Math) return false;
            else if (c.Type == HtmlNodeType.Text && !TextUtil.IsBlank(c.Text)) return false;
        }
        return only is not null && only.Name == tag;
    }

    static bool HasChildBlockElement(HtmlNode n)
    {
        for (var d = n.NextInTree(n); d is not null; d = d.NextInTree(n))
            if (d.IsElement && ReadabilityRules.DivToPElements.Contains(d.Name)) return true;
        return false;
    }

    static HtmlNode? FirstElementChild(HtmlNode n)
    {
        for (var c = n.FirstChild; c is not null; c = c.NextSibling) if (c.IsElement) return c;
        return null;
    }

    static int ElementChildCount(HtmlNode n)
    {
        int k = 0;
        for (var c = n.FirstChild; c is not null; c = c.NextSibling) if (c.IsElement) k++;
        return k;
    }

    static List<HtmlNode> Ancestors(HtmlNode n, int maxDepth)
    {
        var list = new List<HtmlNode>();
        for (var p = n.Parent; p is not null && p.IsElement; p = p.Parent)
        {
            list.Add(p);
            if (maxDepth > 0 && list.Count == maxDepth) break;
        }
        return list;
    }

    static HtmlNode? RemoveAndGetNext(HtmlNode n, HtmlNode root)
    {
        var next = n.NextInTree(root, skipChildren: true);
        n.Detach();
        return next;
    }

    /// <summary>Removes a hidden node but keeps the formulas inside it (MediaWiki hides its MathML copy, for instance).</summary>
    static HtmlNode? RemoveKeepingMath(HtmlNode n, HtmlNode root)
    {
        var next = n.NextInTree(root, skipChildren: true);
        if (ContainsMath(n))
        {
            var parent = n.Parent!;
            foreach (var m in n.Descendants().Where(d => d.Type == HtmlNodeType.Math).ToList()) parent.InsertBefore(m, n);
        }
        n.Detach();
        return next;
    }

    public static bool ContainsMath(HtmlNode n)
    {
        if (n.Type == HtmlNodeType.Math) return true;
        for (var d = n.NextInTree(n); d is not null; d = d.NextInTree(n))
            if (d.Type == HtmlNodeType.Math) return true;
        return false;
    }

    /// <summary>Readability's getInnerText: text content trimmed, whitespace runs collapsed.</summary>
    public static string InnerText(HtmlNode n) => TextUtil.CollapseWhitespace(n.TextContent);

    /// <summary>Length of <see cref="InnerText"/> without building the string.</summary>
    static int InnerTextLength(HtmlNode n)
    {
        int length = 0;
        bool space = false;
        if (n.Type is HtmlNodeType.Text or HtmlNodeType.Math) return TextUtil.CollapseWhitespace(n.Text ?? "").Length;
        for (var d = n.NextInTree(n); d is not null; d = d.NextInTree(n))
        {
            if (d.Type is not (HtmlNodeType.Text or HtmlNodeType.Math)) continue;
            foreach (char c in d.Text!)
            {
                if (TextUtil.IsSpace(c)) { space = length > 0; continue; }
                if (space) { length++; space = false; }
                length++;
            }
        }
        return length;
    }

    double LinkDensity(HtmlNode n)
    {
        int length = InnerTextLength(n);
        if (length == 0) return 0;
        double links = 0;
        foreach (var a in n.DescendantElements("a"))
        {
            var href = a.GetAttribute("href");
            double coefficient = href is not null && href.StartsWith('#') ? 0.3 : 1;
            links += InnerTextLength(a) * coefficient;
        }
        return links / length;
    }

    static int CountCommas(string s)
    {
        int k = 0;
        foreach (char c in s) if (c is ',' or '\u060C' or '\uFE50' or '\uFE10' or '\uFE11' or '\u2E41' or '\u2E34' or '\u2E32' or '\uFF0C') k++;
        return k;
    }

    /// <summary>Readability's textSimilarity: share of <paramref name="b"/>'s word characters also in <paramref name="a"/>.</summary>
    static double TextSimilarity(string a, string b)
    {
        var ta = Tokens(a);
        var tb = Tokens(b);
        if (ta.Count == 0 || tb.Count == 0) return 0;
        var setA = new HashSet<string>(ta);
        var uniqB = tb.Where(t => !setA.Contains(t)).ToList();
        double distance = (double)string.Join(" ", uniqB).Length / string.Join(" ", tb).Length;
        return 1 - distance;
    }

    static List<string> Tokens(string s)
    {
        var list = new List<string>();
        var sb = new StringBuilder();
        foreach (char c in s.ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(c) || c == '_') sb.Append(c);
            else if (sb.Length > 0) { list.Add(sb.ToString()); sb.Clear(); }
        }
        if (sb.Length > 0) list.Add(sb.ToString());
        return list;
    }
}
