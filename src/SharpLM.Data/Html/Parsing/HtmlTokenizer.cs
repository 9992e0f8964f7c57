using System.Text;

namespace SharpLM.Data.Html.Parsing;

/// <summary>
/// The HTML tokenizer: one forward pass over the decoded text, no backtracking beyond the current token, so
/// time is linear in the page. It follows the HTML5 states that matter for text: tags with attributes
/// (quoted, unquoted, valueless, duplicates keep the first), comments (including the <c>&lt;!--&gt;</c> and
/// unterminated forms), doctype and bogus comments (<c>&lt;?…&gt;</c>, <c>&lt;!…&gt;</c>), CDATA sections
/// (in foreign content only), character references, and the raw-text states that the tree builder switches
/// on after <c>script style xmp iframe noembed noframes noscript</c> (raw) and <c>title textarea</c>
/// (RCDATA: references decoded). A lone <c>&lt;</c> that starts no tag is text.
/// </summary>
public sealed class HtmlTokenizer
{
    readonly string _s;
    int _pos;
    string? _rawTextEnd;         // set while in a raw-text/RCDATA element: its tag name
    bool _rawTextDecodes;
    readonly List<HtmlAttribute> _attributes = [];
    readonly StringBuilder _sb = new();
    readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);
    readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _nameLookup;

    public HtmlTokenizer(string html)
    {
        _s = html;
        _nameLookup = _names.GetAlternateLookup<ReadOnlySpan<char>>();
        foreach (var n in HtmlTags.Known) _names[n] = n;
    }

    /// <summary>Tag name of the current start/end tag (lower-case, interned).</summary>
    public string TagName { get; private set; } = "";

    /// <summary>Text of the current text or comment token.</summary>
    public string Text { get; private set; } = "";

    /// <summary>True when the current start tag ended with <c>/&gt;</c>.</summary>
    public bool SelfClosing { get; private set; }

    /// <summary>Attributes of the current start tag (reused between tokens: copy them).</summary>
    public List<HtmlAttribute> Attributes => _attributes;

    /// <summary>Whether CDATA sections are recognised (the tree builder sets this inside svg/math).</summary>
    public bool AllowCData { get; set; }

    /// <summary>Character offset of the next unread character.</summary>
    public int Position => _pos;

    /// <summary>
    /// Switches to the raw-text state for element <paramref name="tagName"/>: everything up to
    /// <c>&lt;/tagName</c> is one text token (with references decoded when <paramref name="decodeReferences"/>).
    /// </summary>
    public void EnterRawText(string tagName, bool decodeReferences)
    {
        _rawTextEnd = tagName;
        _rawTextDecodes = decodeReferences;
    }

    public HtmlTokenKind Next()
    {
        if (_rawTextEnd is not null) return ReadRawText();
        if (_pos >= _s.Length) return HtmlTokenKind.EndOfFile;
        var s = _s;
        int start = _pos;
        while (true)
        {
            int lt = s.AsSpan(_pos).IndexOf('<');
            if (lt < 0) { _pos = s.Length; break; }
            int p = _pos + lt;
            if (start < p && !StartsMarkup(p)) { _pos = p + 1; continue; }
            if (start < p) { _pos = p; break; }
            // The text before is empty: read the markup at p (or treat the '<' as text).
            _pos = p;
            var kind = ReadMarkup();
            if (kind is not null) return kind.Value;
            _pos = p + 1;
        }
        SetText(start, _pos);
        return HtmlTokenKind.Text;
    }

    /// <summary>True when the '&lt;' at <paramref name="p"/> opens a tag, comment, doctype or the like.</summary>
    bool StartsMarkup(int p)
    {
        if (p + 1 >= _s.Length) return false;
        char c = _s[p + 1];
        if (char.IsAsciiLetter(c) || c == '!' || c == '?') return true;
        return c == '/' && p + 2 < _s.Length && (char.IsAsciiLetter(_s[p + 2]) || _s[p + 2] == '>');
    }

    void SetText(int start, int end)
    {
        var span = _s.AsSpan(start, end - start);
        if (span.IndexOf('&') < 0) { Text = _s.Substring(start, end - start); return; }
        _sb.Clear();
        HtmlEntities.Decode(span, inAttribute: false, _sb);
        Text = _sb.ToString();
    }

    HtmlTokenKind? ReadMarkup()
    {
        var s = _s;
        int p = _pos;
        if (p + 1 >= s.Length) return null;
        char c = s[p + 1];
        if (char.IsAsciiLetter(c)) return ReadTag(p + 1, end: false);
        if (c == '/')
        {
            if (p + 2 < s.Length && char.IsAsciiLetter(s[p + 2])) return ReadTag(p + 2, end: true);
            if (p + 2 < s.Length && s[p + 2] == '>') { _pos = p + 3; Text = ""; return HtmlTokenKind.Comment; } // "</>" is dropped
            return null;
        }
        if (c == '!')
        {
            if (string.CompareOrdinal(s, p, "<!--", 0, 4) == 0) return ReadComment(p + 4);
            if (AllowCData && string.CompareOrdinal(s, p, "<![CDATA[", 0, 9) == 0)
            {
                int e = s.IndexOf("]]>", p + 9, StringComparison.Ordinal);
                int end = e < 0 ? s.Length : e;
                Text = s.Substring(p + 9, end - p - 9);
                _pos = e < 0 ? s.Length : e + 3;
                return HtmlTokenKind.Text;
            }
            bool doctype = p + 9 <= s.Length && s.AsSpan(p + 2, 7).Equals("doctype", StringComparison.OrdinalIgnoreCase);
            return ReadBogus(p + 2, doctype ? HtmlTokenKind.Doctype : HtmlTokenKind.Comment);
        }
        if (c == '?') return ReadBogus(p + 1, HtmlTokenKind.Comment);
        return null;
    }

    HtmlTokenKind ReadComment(int bodyStart)
    {
        var s = _s;
        // "<!-->" and "<!--->" are complete (empty) comments.
        if (bodyStart < s.Length && s[bodyStart] == '>') { _pos = bodyStart + 1; Text = ""; return HtmlTokenKind.Comment; }
        if (bodyStart + 1 < s.Length && s[bodyStart] == '-' && s[bodyStart + 1] == '>') { _pos = bodyStart + 2; Text = ""; return HtmlTokenKind.Comment; }
        int e = s.IndexOf("-->", bodyStart, StringComparison.Ordinal);
        if (e < 0)
        {
            Text = s[bodyStart..];
            _pos = s.Length;
        }
        else
        {
            Text = s.Substring(bodyStart, e - bodyStart);
            _pos = e + 3;
        }
        return HtmlTokenKind.Comment;
    }

    HtmlTokenKind ReadBogus(int bodyStart, HtmlTokenKind kind)
    {
        int e = _s.IndexOf('>', bodyStart);
        int end = e < 0 ? _s.Length : e;
        Text = _s.Substring(bodyStart, end - bodyStart);
        _pos = e < 0 ? _s.Length : e + 1;
        return kind;
    }

    HtmlTokenKind ReadTag(int nameStart, bool end)
    {
        var s = _s;
        int i = nameStart;
        while (i < s.Length && !IsTagNameEnd(s[i])) i++;
        TagName = Intern(s.AsSpan(nameStart, i - nameStart));
        SelfClosing = false;
        _attributes.Clear();
        // Attributes.
        while (true)
        {
            while (i < s.Length && (char.IsWhiteSpace(s[i]) || s[i] == '/'))
            {
                if (s[i] == '/' && i + 1 < s.Length && s[i + 1] == '>') { SelfClosing = true; }
                i++;
            }
            if (i >= s.Length) return FinishEof(); // EOF inside a tag: the tag is dropped (HTML5)
            if (s[i] == '>') { _pos = i + 1; break; }
            int an = i;
            i++; // the first character may be '=' (HTML5 makes it part of the name)
            while (i < s.Length && !IsAttrNameEnd(s[i])) i++;
            var attrName = s.AsSpan(an, i - an);
            while (i < s.Length && char.IsWhiteSpace(s[i])) i++;
            string value = "";
            if (i < s.Length && s[i] == '=')
            {
                i++;
                while (i < s.Length && char.IsWhiteSpace(s[i])) i++;
                if (i < s.Length && (s[i] == '"' || s[i] == '\''))
                {
                    char q = s[i];
                    int vs = i + 1;
                    int ve = s.IndexOf(q, vs);
                    if (ve < 0) return FinishEof();
                    value = AttributeValue(vs, ve);
                    i = ve + 1;
                }
                else
                {
                    int vs = i;
                    while (i < s.Length && !char.IsWhiteSpace(s[i]) && s[i] != '>') i++;
                    value = AttributeValue(vs, i);
                }
            }
            if (!end) AddAttribute(attrName, value);
        }
        return end ? HtmlTokenKind.EndTag : HtmlTokenKind.StartTag;
    }

    /// <summary>A tag cut off by the end of the input is not emitted (HTML5); report end of file.</summary>
    HtmlTokenKind FinishEof()
    {
        _pos = _s.Length;
        return HtmlTokenKind.EndOfFile;
    }

    string AttributeValue(int start, int end)
    {
        var span = _s.AsSpan(start, end - start);
        if (span.IndexOf('&') < 0) return _s.Substring(start, end - start);
        _sb.Clear();
        HtmlEntities.Decode(span, inAttribute: true, _sb);
        return _sb.ToString();
    }

    void AddAttribute(ReadOnlySpan<char> name, string value)
    {
        string n = Intern(name);
        foreach (var a in _attributes) if (a.Name == n) return; // duplicates: the first wins
        _attributes.Add(new HtmlAttribute(n, value));
    }

    static bool IsTagNameEnd(char c) => c is '>' or '/' or ' ' or '\t' or '\n' or '\r' or '\f';

    static bool IsAttrNameEnd(char c) => c is '>' or '/' or '=' or ' ' or '\t' or '\n' or '\r' or '\f';

    /// <summary>Lower-cases and interns a tag or attribute name, so names compare by reference and allocate once.</summary>
    string Intern(ReadOnlySpan<char> name)
    {
        Span<char> lower = name.Length <= 64 ? stackalloc char[name.Length] : new char[name.Length];
        bool changed = false;
        for (int k = 0; k < name.Length; k++)
        {
            char c = name[k];
            if (c is >= 'A' and <= 'Z') { c = (char)(c | 0x20); changed = true; }
            lower[k] = c;
        }
        ReadOnlySpan<char> key = changed ? lower : name;
        if (_nameLookup.TryGetValue(key, out var known)) return known;
        var str = key.ToString();
        if (_names.Count < 4096) _names[str] = str; // bounded: a hostile page cannot grow this without limit
        return str;
    }

    HtmlTokenKind ReadRawText()
    {
        var s = _s;
        var name = _rawTextEnd!;
        int start = _pos;
        int i = start;
        int end = s.Length;
        while (true)
        {
            int lt = s.IndexOf("</", i, StringComparison.Ordinal);
            if (lt < 0) break;
            int ne = lt + 2 + name.Length;
            if (ne <= s.Length && s.AsSpan(lt + 2, name.Length).Equals(name, StringComparison.OrdinalIgnoreCase)
                && (ne == s.Length || IsTagNameEnd(s[ne])))
            {
                end = lt;
                break;
            }
            i = lt + 2;
        }
        _rawTextEnd = null;
        _pos = end;
        if (end == start) return Next();
        if (_rawTextDecodes) SetText(start, end);
        else Text = s.Substring(start, end - start);
        return HtmlTokenKind.Text;
    }
}
