using SharpLM.Data.Html.Parsing;

namespace SharpLM.Data.Html.Readability;

/// <summary>
/// What Readability's conditional cleaning asks of a subtree, gathered in one iterative walk: the length of
/// its whitespace-collapsed text and of the parts of it under lists, headings, "textish" elements (span, li,
/// td and the div-to-p block set) and links (in-page <c>#</c> links weighted 0.3), element counts, commas,
/// and whether a formula is inside.
/// </summary>
struct SubtreeStats
{
    public int TextLength, ListTextLength, HeadingTextLength, TextishTextLength, Commas;
    public double LinkTextLength;
    public int P, Img, Li, Input, Embeds, Tables;
    public bool HasMath;

    /// <summary>A collapsed-whitespace length counter for one category of text.</summary>
    struct Counter
    {
        public int Length;
        bool _space, _started;
        public void Reset() { _space = false; _started = false; }
        public void Add(string s)
        {
            foreach (char c in s)
            {
                if (TextUtil.IsSpace(c)) { _space = _started; continue; }
                if (_space) { Length++; _space = false; }
                Length++;
                _started = true;
            }
        }
    }

    public static SubtreeStats Measure(HtmlNode root)
    {
        var st = new SubtreeStats();
        Counter all = default, list = default, heading = default, textish = default, link = default;
        HtmlNode? listOwner = null, headingOwner = null, textishOwner = null, linkOwner = null;
        double linkWeight = 1;
        var n = root.FirstChild;
        while (n is not null)
        {
            // Enter n.
            if (n.IsElement)
            {
                switch (n.Name)
                {
                    case "p": st.P++; break;
                    case "img": st.Img++; break;
                    case "li": st.Li++; break;
                    case "input": st.Input++; break;
                    case "table": st.Tables++; break;
                    case "object" or "embed" or "iframe": if (!IsVideo(n)) st.Embeds++; break;
                }
                if (listOwner is null && n.Name is "ul" or "ol") { listOwner = n; list.Reset(); }
                if (headingOwner is null && n.Name is "h1" or "h2" or "h3" or "h4" or "h5" or "h6") { headingOwner = n; heading.Reset(); }
                if (textishOwner is null && (n.Name is "span" or "li" or "td" || ReadabilityRules.DivToPElements.Contains(n.Name))) { textishOwner = n; textish.Reset(); }
                if (linkOwner is null && n.Name == "a")
                {
                    linkOwner = n;
                    link.Reset();
                    linkWeight = n.GetAttribute("href") is { } href && href.StartsWith('#') ? 0.3 : 1;
                }
            }
            else if (n.Type is HtmlNodeType.Text or HtmlNodeType.Math)
            {
                var t = n.Text!;
                if (n.Type == HtmlNodeType.Math) st.HasMath = true;
                all.Add(t);
                if (listOwner is not null) list.Add(t);
                if (headingOwner is not null) heading.Add(t);
                if (textishOwner is not null) textish.Add(t);
                if (linkOwner is not null) { int before = link.Length; link.Add(t); st.LinkTextLength += (link.Length - before) * linkWeight; }
                foreach (char c in t) if (c is ',' ) st.Commas++;
            }
            // Next: first child, else leave n (and finished ancestors), moving to the next sibling.
            if (n.FirstChild is not null) { n = n.FirstChild; continue; }
            while (n is not null && n != root)
            {
                if (n == listOwner) listOwner = null;
                if (n == headingOwner) headingOwner = null;
                if (n == textishOwner) textishOwner = null;
                if (n == linkOwner) linkOwner = null;
                if (n.NextSibling is not null) { n = n.NextSibling; break; }
                n = n.Parent;
            }
            if (n == root) break;
        }
        st.TextLength = all.Length;
        st.ListTextLength = list.Length;
        st.HeadingTextLength = heading.Length;
        st.TextishTextLength = textish.Length;
        return st;
    }

    static bool IsVideo(HtmlNode n)
    {
        foreach (var a in n.Attributes)
            if (a.Value.Contains("youtube", StringComparison.OrdinalIgnoreCase) || a.Value.Contains("vimeo", StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }
}
