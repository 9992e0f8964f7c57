using System.Text;
using SharpLM.Data.Html.Parsing;

namespace SharpLM.Data.Html.Rendering;

/// <summary>
/// Renders a content subtree as Markdown-ish text: <c>#</c> headings, paragraphs separated by a blank line,
/// <c>-</c> and <c>1.</c> list items (nested lists indented), fenced <c>pre</c> blocks kept verbatim, inline
/// <c>`code`</c>, <c>&gt;</c> block quotes, pipe tables (a header rule after a first row of <c>th</c>), and each
/// formula as <c>$…$</c> or, on its own line, <c>$$…$$</c>. Whitespace follows HTML (runs collapse outside
/// <c>pre</c>). The walk is iterative, so nesting depth cannot overflow the stack.
/// </summary>
public sealed class MarkdownWriter
{
    readonly StringBuilder _out = new();
    int _pendingNewlines;   // line breaks owed before the next text (0, 1 or 2)
    bool _pendingSpace;     // a collapsed space owed before the next inline text
    int _preDepth;
    int _codeDepth;
    readonly List<ListState> _lists = [];
    readonly Stack<(HtmlNode Node, int Start)> _captures = new();
    int _tableRowCells;
    bool _rowHasHeader;
    bool _headerRuleDone;

    sealed class ListState(bool ordered) { public bool Ordered = ordered; public int Index; }

    public static string Render(HtmlNode root)
    {
        var w = new MarkdownWriter();
        w.Walk(root);
        return Finish(w._out);
    }

    void Walk(HtmlNode root)
    {
        var n = root.FirstChild;
        if (n is null) { Visit(root, enter: true); Visit(root, enter: false); return; }
        // Iterative pre/post-order walk using the sibling and parent pointers.
        while (n is not null)
        {
            bool descend = Visit(n, enter: true);
            if (descend && n.FirstChild is not null) { n = n.FirstChild; continue; }
            if (descend || n.IsElement) Visit(n, enter: false);
            while (n is not null && n != root && n.NextSibling is null)
            {
                n = n.Parent;
                if (n is null || n == root) { n = null; break; }
                Visit(n, enter: false);
            }
            n = n?.NextSibling;
        }
    }

    /// <summary>Handles entering/leaving a node; on enter, returns whether to visit its children.</summary>
    bool Visit(HtmlNode n, bool enter)
    {
        switch (n.Type)
        {
            case HtmlNodeType.Text:
                if (enter) WriteText(n.Text!);
                return false;
            case HtmlNodeType.Math:
                if (enter) WriteMath(n.Text!, n.Display);
                return false;
            case HtmlNodeType.Document:
                return true;
        }
        switch (n.Name)
        {
            case "script" or "style" or "noscript" or "template" or "head" or "title" or "iframe" or "object" or "embed"
                or "select" or "button" or "input" or "textarea" or "svg" or "canvas" or "video" or "audio" or "img" or "picture"
                or "math" or "map" or "dialog":
                return false;
            case "br":
                if (enter) { if (_preDepth > 0) AppendRaw("\n"); else Newline(1); }
                return false;
            case "hr":
                if (enter) Newline(2);
                return false;
            case "p" or "div" or "section" or "article" or "main" or "header" or "footer" or "aside" or "nav" or "figure"
                or "figcaption" or "address" or "details" or "summary" or "center" or "form" or "fieldset" or "dl" or "caption"
                or "legend" or "body" or "html" or "hgroup" or "search" or "tbody" or "thead" or "tfoot":
                Newline(n.Name is "div" or "section" or "article" or "main" or "header" or "footer" or "aside" or "nav" or "tbody" or "thead" or "tfoot" or "body" or "html" ? 1 : 2);
                return true;
            case "h1" or "h2" or "h3" or "h4" or "h5" or "h6":
                if (enter)
                {
                    Newline(2);
                    FlushBreaks();
                    _out.Append('#', n.Name[1] - '0').Append(' ');
                }
                else Newline(2);
                return true;
            case "ul" or "ol" or "menu" or "dir":
                if (enter) { _lists.Add(new ListState(n.Name == "ol")); Newline(_lists.Count == 1 ? 2 : 1); }
                else { _lists.RemoveAt(_lists.Count - 1); Newline(_lists.Count == 0 ? 2 : 1); }
                return true;
            case "li":
                if (enter)
                {
                    Newline(1);
                    FlushBreaks();
                    int depth = Math.Max(0, _lists.Count - 1);
                    _out.Append(' ', depth * 2);
                    if (_lists.Count > 0 && _lists[^1].Ordered) _out.Append(++_lists[^1].Index).Append(". ");
                    else _out.Append("- ");
                    _pendingSpace = false;
                }
                else Newline(1);
                return true;
            case "dt":
                Newline(1);
                return true;
            case "dd":
                if (enter) { Newline(1); FlushBreaks(); _out.Append("  "); _pendingSpace = false; }
                else Newline(1);
                return true;
            case "pre" or "listing" or "xmp" or "plaintext":
                if (enter)
                {
                    Newline(2);
                    FlushBreaks();
                    _out.Append("```\n");
                    _preDepth++;
                }
                else
                {
                    _preDepth--;
                    while (_out.Length > 0 && _out[^1] is ' ' or '\n' or '\t' or '\r') _out.Length--;
                    _out.Append('\n');
                    _out.Append("```");
                    Newline(2);
                }
                return true;
            case "code" or "kbd" or "samp" or "tt":
                if (_preDepth > 0) return true;
                if (enter) { FlushSpace(); _out.Append('`'); _codeDepth++; }
                else { _codeDepth--; TrimTrailingSpace(); _out.Append('`'); }
                return true;
            case "blockquote":
                if (enter) { Newline(2); FlushBreaks(); _captures.Push((n, _out.Length)); }
                else
                {
                    var (_, start) = _captures.Pop();
                    var inner = _out.ToString(start, _out.Length - start).Trim('\n');
                    _out.Length = start;
                    _out.Append("> ").Append(inner.Replace("\n", "\n> "));
                    Newline(2);
                }
                return true;
            case "table":
                if (enter) { Newline(2); _headerRuleDone = false; }
                else Newline(2);
                return true;
            case "tr":
                if (enter) { Newline(1); FlushBreaks(); _out.Append('|'); _tableRowCells = 0; _rowHasHeader = false; }
                else
                {
                    if (!_headerRuleDone && _rowHasHeader && _tableRowCells > 0)
                    {
                        _out.Append('\n').Append('|');
                        for (int i = 0; i < _tableRowCells; i++) _out.Append(" --- |");
                    }
                    _headerRuleDone = true;
                    Newline(1);
                }
                return true;
            case "td" or "th":
                if (enter)
                {
                    _captures.Push((n, _out.Length));
                    _pendingNewlines = 0;
                    _pendingSpace = false;
                    if (n.Name == "th") _rowHasHeader = true;
                }
                else
                {
                    var (_, start) = _captures.Pop();
                    var cell = TextUtil.CollapseWhitespace(_out.ToString(start, _out.Length - start).Replace('|', '/'));
                    _out.Length = start;
                    _out.Append(' ').Append(cell).Append(" |");
                    _tableRowCells++;
                    _pendingNewlines = 0;
                    _pendingSpace = false;
                }
                return true;
            default:
                return true; // inline elements: their text flows
        }
    }

    void Newline(int count)
    {
        if (_captures.Count > 0 && _captures.Peek().Node.Name is "td" or "th") { _pendingSpace = true; return; }
        if (_out.Length == 0) return;
        _pendingNewlines = Math.Max(_pendingNewlines, count);
        _pendingSpace = false;
    }

    void FlushBreaks()
    {
        if (_pendingNewlines == 0) return;
        TrimTrailingSpace();
        int have = 0;
        for (int i = _out.Length - 1; i >= 0 && _out[i] == '\n' && have < 2; i--) have++;
        for (int i = have; i < _pendingNewlines; i++) _out.Append('\n');
        _pendingNewlines = 0;
        _pendingSpace = false;
    }

    void FlushSpace()
    {
        FlushBreaks();
        if (_pendingSpace && _out.Length > 0 && _out[^1] is not ('\n' or ' ')) _out.Append(' ');
        _pendingSpace = false;
    }

    void TrimTrailingSpace()
    {
        while (_out.Length > 0 && _out[^1] == ' ') _out.Length--;
    }

    void AppendRaw(string s)
    {
        FlushBreaks();
        _out.Append(s);
    }

    void WriteText(string text)
    {
        if (_preDepth > 0) { AppendRaw(text); return; }
        int i = 0;
        while (i < text.Length)
        {
            if (TextUtil.IsSpace(text[i]))
            {
                if (text[i] == '\u00A0' && _codeDepth == 0) { } // fall through to collapse like any space
                _pendingSpace = true;
                i++;
                continue;
            }
            int start = i;
            while (i < text.Length && !TextUtil.IsSpace(text[i])) i++;
            if (_out.Length == 0 || _pendingNewlines > 0) _pendingSpace = false;
            FlushSpace();
            _out.Append(text, start, i - start);
        }
    }

    void WriteMath(string tex, bool display)
    {
        if (_preDepth > 0) { AppendRaw(display ? "$$" + tex + "$$" : "$" + tex + "$"); return; }
        bool inCell = _captures.Count > 0 && _captures.Peek().Node.Name is "td" or "th";
        if (display && !inCell)
        {
            Newline(1);
            FlushBreaks();
            _out.Append("$$").Append(tex).Append("$$");
            Newline(1);
            return;
        }
        FlushSpace();
        _out.Append(display ? "$$" : "$").Append(tex).Append(display ? "$$" : "$");
    }

    /// <summary>Trailing spaces off every line, at most one blank line in a row, no leading/trailing blank lines.</summary>
    static string Finish(StringBuilder sb)
    {
        var lines = sb.ToString().Split('\n');
        var result = new StringBuilder(sb.Length);
        int blank = 0;
        bool inFence = false;
        foreach (var raw in lines)
        {
            var line = raw.TrimEnd();
            if (line.StartsWith("```", StringComparison.Ordinal)) inFence = !inFence;
            if (line.Length == 0 && !inFence)
            {
                if (result.Length == 0) continue;
                if (++blank > 1) continue;
            }
            else blank = 0;
            result.Append(line).Append('\n');
        }
        return result.ToString().TrimEnd('\n', ' ');
    }
}
