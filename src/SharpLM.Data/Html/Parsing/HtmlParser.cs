namespace SharpLM.Data.Html.Parsing;

/// <summary>Limits that keep parsing bounded on hostile pages.</summary>
/// <param name="MaxDepth">Deepest nesting kept; deeper elements are attached flat at this depth (browsers do the same at 512).</param>
/// <param name="MaxElements">Most elements built; a page with more is refused with a <see cref="HtmlTooLargeException"/>.</param>
public sealed record HtmlParseOptions(int MaxDepth = 256, int MaxElements = 1_000_000)
{
    public static readonly HtmlParseOptions Default = new();
}

/// <summary>A page the parser refuses because it exceeds a limit of <see cref="HtmlParseOptions"/>.</summary>
public sealed class HtmlTooLargeException(string message) : Exception(message);

/// <summary>
/// Builds the tree from <see cref="HtmlTokenizer"/> tokens with the HTML5 tree-construction rules that change
/// where text ends up: implied <c>html/head/body</c>, head-only elements before the body, implied end tags
/// (<c>p</c> closed by blocks, <c>li dd dt option tr td th thead tbody tfoot</c> closed by their siblings,
/// headings by headings, nested <c>a</c>), end tags matched within scope (stray ones ignored), void
/// elements, raw text and RCDATA, and foreign content (<c>svg</c>, <c>math</c>: self-closing tags, CDATA,
/// HTML elements that break out). Not modelled: the adoption agency's reconstruction of formatting
/// elements and table foster-parenting, which move no text out of its block.
/// </summary>
public static class HtmlParser
{
    public static HtmlDocument Parse(string html, HtmlParseOptions? options = null)
    {
        options ??= HtmlParseOptions.Default;
        var doc = new HtmlDocument();
        var builder = new TreeBuilder(doc, new HtmlTokenizer(html), options);
        builder.Run();
        return doc;
    }

    sealed class TreeBuilder(HtmlDocument doc, HtmlTokenizer tok, HtmlParseOptions options)
    {
        readonly List<HtmlNode> _stack = [];   // open elements below body/head; [0] is head or body
        readonly Dictionary<string, int> _open = new(StringComparer.Ordinal); // open elements per name: scope searches skip absent names
        bool _inBody;
        bool _dropLeadingNewline;              // HTML5: a newline right after <pre>, <listing>, <textarea> is not content

        HtmlNode Current => _stack.Count > 0 ? _stack[^1] : (_inBody ? doc.Body : doc.Head);

        public void Run()
        {
            while (true)
            {
                var kind = tok.Next();
                if (_dropLeadingNewline && kind == HtmlTokenKind.Text)
                {
                    _dropLeadingNewline = false;
                    var t = tok.Text;
                    if (t.StartsWith("\r\n", StringComparison.Ordinal)) t = t[2..];
                    else if (t.StartsWith('\n')) t = t[1..];
                    if (t.Length > 0) AddText(t);
                    continue;
                }
                _dropLeadingNewline = false;
                switch (kind)
                {
                    case HtmlTokenKind.EndOfFile: return;
                    case HtmlTokenKind.Text: AddText(tok.Text); break;
                    case HtmlTokenKind.StartTag: StartTag(); break;
                    case HtmlTokenKind.EndTag: EndTag(tok.TagName); break;
                    default: break; // comments and doctype carry no text
                }
                tok.AllowCData = _stack.Count > 0 && _stack[^1].IsForeign;
            }
        }

        void AddText(string text)
        {
            if (!_inBody)
            {
                if (_stack.Count > 0) { AppendText(_stack[^1], text); return; } // title/script/style in head
                if (TextUtil.IsBlank(text)) return;
                _inBody = true;
            }
            AppendText(Current, text);
        }

        static void AppendText(HtmlNode parent, string text)
        {
            // Adjacent text (split by a comment or a dropped tag) merges, as in the DOM.
            if (parent.LastChild is { Type: HtmlNodeType.Text } last) last.Text += text;
            else parent.AppendChild(new HtmlNode(HtmlNodeType.Text, "#text", text));
        }

        static bool IsHeadElement(string n) =>
            n is "meta" or "title" or "link" or "script" or "style" or "base" or "noscript" or "template" or "basefont" or "bgsound";

        void StartTag()
        {
            string name = tok.TagName;
            bool selfClosing = tok.SelfClosing;
            if (name is "html" or "body" or "head")
            {
                var target = name == "html" ? doc.Html : name == "body" ? doc.Body : doc.Head;
                MergeAttributes(target);
                if (name == "body" && !_inBody) { _inBody = true; PopTo(0); }
                return;
            }
            if (!_inBody && _stack.Count == 0 && !IsHeadElement(name)) _inBody = true;

            bool foreignParent = _stack.Count > 0 && _stack[^1].IsForeign;
            if (foreignParent && HtmlTags.ForeignBreakout.Contains(name) && !IsIntegrationPoint(_stack[^1]))
            {
                while (_stack.Count > 0 && _stack[^1].IsForeign) _stack.RemoveAt(_stack.Count - 1);
                foreignParent = false;
            }
            bool foreign = name is "svg" or "math" || (foreignParent && !IsIntegrationPoint(_stack[^1]));

            if (!foreign) ApplyImpliedEndTags(name);

            if (++doc.ElementCount > options.MaxElements)
                throw new HtmlTooLargeException($"more than {options.MaxElements} elements");
            var el = new HtmlNode(HtmlNodeType.Element, name) { IsForeign = foreign };
            if (tok.Attributes.Count > 0) el.Attributes = [.. tok.Attributes];
            Current.AppendChild(el);

            bool isVoid = foreign ? selfClosing : HtmlTags.Void.Contains(name);
            if (isVoid) return;
            if (!foreign && HtmlTags.RawText.Contains(name)) { tok.EnterRawText(name, false); Push(el); return; }
            if (!foreign && HtmlTags.RcData.Contains(name)) { tok.EnterRawText(name, true); Push(el); _dropLeadingNewline = name == "textarea"; return; }
            Push(el);
            _dropLeadingNewline = !foreign && name is "pre" or "listing";
        }

        static bool IsIntegrationPoint(HtmlNode n) =>
            n.Name is "mi" or "mo" or "mn" or "ms" or "mtext" or "foreignobject" or "desc"
            || (n.Name == "annotation-xml" && (n.GetAttribute("encoding") ?? "").ToLowerInvariant() is "text/html" or "application/xhtml+xml");

        void Push(HtmlNode el)
        {
            if (_stack.Count >= options.MaxDepth)
            {
                // Too deep: the element stays in the tree but is not opened, so its content lands beside it.
                doc.DepthLimited = true;
                return;
            }
            _stack.Add(el);
            _open[el.Name] = _open.GetValueOrDefault(el.Name) + 1;
        }

        void MergeAttributes(HtmlNode target)
        {
            foreach (var a in tok.Attributes)
                if (target.GetAttribute(a.Name) is null) target.Attributes = [.. target.Attributes, a];
        }

        void ApplyImpliedEndTags(string name)
        {
            if (HtmlTags.ClosesParagraph.Contains(name)) CloseInScope("p", buttonScope: true);
            switch (name)
            {
                case "li": CloseListItem("li", ["ul", "ol"]); break;
                case "dd" or "dt": CloseListItem(name, ["dl"], "dd", "dt"); break;
                case "h1" or "h2" or "h3" or "h4" or "h5" or "h6":
                    if (_stack.Count > 0 && HtmlTags.Headings.Contains(_stack[^1].Name)) Pop();
                    break;
                case "option": if (_stack.Count > 0 && _stack[^1].Name == "option") Pop(); break;
                case "optgroup":
                    if (_stack.Count > 0 && _stack[^1].Name == "option") Pop();
                    if (_stack.Count > 0 && _stack[^1].Name == "optgroup") Pop();
                    break;
                case "td" or "th": CloseUntilTable("td", "th"); break;
                case "tr": CloseUntilTable("td", "th", "tr"); break;
                case "thead" or "tbody" or "tfoot" or "caption" or "colgroup":
                    CloseUntilTable("td", "th", "tr", "thead", "tbody", "tfoot", "caption", "colgroup"); break;
                case "a": if (FindInScope("a", false) >= 0) CloseInScope("a", false); break;
                case "button": if (FindInScope("button", false) >= 0) CloseInScope("button", false); break;
                case "nobr": if (FindInScope("nobr", false) >= 0) CloseInScope("nobr", false); break;
                case "form": break;
            }
        }

        /// <summary>Closes the nearest open <paramref name="name"/> (and what is inside it) if one is open before a list boundary.</summary>
        void CloseListItem(string name, string[] boundaries, params string[] alsoClose)
        {
            for (int i = _stack.Count - 1; i >= 0; i--)
            {
                var n = _stack[i].Name;
                if (n == name || Array.IndexOf(alsoClose, n) >= 0) { PopTo(i); return; }
                if (Array.IndexOf(boundaries, n) >= 0 || HtmlTags.ScopeBoundary.Contains(n)) return;
                // Only formatting/inline elements and address/div/p may sit between items.
                if (HtmlTags.Block.Contains(n) && n is not ("address" or "div" or "p")) return;
            }
        }

        /// <summary>Inside the current table: closes the outermost open cell/row/section named in <paramref name="names"/> (and what is inside it).</summary>
        void CloseUntilTable(params string[] names)
        {
            int lowest = -1;
            for (int i = _stack.Count - 1; i >= 0; i--)
            {
                var el = _stack[i];
                if (el.IsForeign || el.Name == "table") break;
                if (Array.IndexOf(names, el.Name) >= 0) lowest = i;
            }
            if (lowest >= 0) PopTo(lowest);
        }

        int FindInScope(string name, bool buttonScope)
        {
            if (_open.GetValueOrDefault(name) == 0) return -1;
            for (int i = _stack.Count - 1; i >= 0; i--)
            {
                var el = _stack[i];
                if (el.Name == name && !el.IsForeign) return i;
                if (HtmlTags.ScopeBoundary.Contains(el.Name) || (buttonScope && el.Name == "button")) return -1;
            }
            return -1;
        }

        void CloseInScope(string name, bool buttonScope)
        {
            int i = FindInScope(name, buttonScope);
            if (i >= 0) PopTo(i);
        }

        void Pop() => PopTo(_stack.Count - 1);

        /// <summary>Pops the element at <paramref name="index"/> and everything above it.</summary>
        void PopTo(int index)
        {
            for (int i = index; i < _stack.Count; i++) _open[_stack[i].Name]--;
            _stack.RemoveRange(index, _stack.Count - index);
        }

        void EndTag(string name)
        {
            if (name is "html" or "body") return; // content after </body> still belongs to the body
            if (name == "head") { if (_stack.Count == 0) _inBody = true; return; }
            if (name == "br") { tok.Attributes.Clear(); StartTagBr(); return; }
            if (name == "p" && FindInScope("p", true) < 0) return;
            // The nearest open element of that name; HTML scoping stops at table/td/etc. unless we are in foreign content.
            for (int i = _stack.Count - 1; i >= 0; i--)
            {
                var el = _stack[i];
                if (el.Name == name) { PopTo(i); return; }
                if (!el.IsForeign && HtmlTags.ScopeBoundary.Contains(el.Name) && name is not ("table" or "td" or "th" or "caption")) return;
            }
        }

        void StartTagBr()
        {
            if (++doc.ElementCount > options.MaxElements)
                throw new HtmlTooLargeException($"more than {options.MaxElements} elements");
            if (!_inBody) _inBody = true;
            Current.AppendChild(new HtmlNode(HtmlNodeType.Element, "br"));
        }
    }
}
