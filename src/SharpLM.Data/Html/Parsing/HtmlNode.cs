namespace SharpLM.Data.Html.Parsing;

/// <summary>
/// A node of the parsed tree. Children are a doubly linked list so the extractor can replace, unwrap and
/// remove nodes in O(1); every walk over the tree is iterative (parent/sibling pointers), never recursive,
/// so a deep tree cannot overflow the stack.
/// </summary>
public sealed class HtmlNode
{
    static readonly HtmlAttribute[] NoAttributes = [];

    public HtmlNodeType Type { get; internal set; }

    /// <summary>Lower-case tag name for elements (<c>#text</c>, <c>#math</c>, <c>#document</c> otherwise).</summary>
    public string Name { get; internal set; }

    /// <summary>Character data of a text node, or the TeX of a math node.</summary>
    public string? Text { get; internal set; }

    /// <summary>For math nodes: display (<c>$$…$$</c>) rather than inline (<c>$…$</c>).</summary>
    public bool Display { get; internal set; }

    /// <summary>For math nodes: which markup the formula was recovered from.</summary>
    public MathSource MathSource { get; internal set; }

    /// <summary>True for elements inside <c>&lt;svg&gt;</c> or <c>&lt;math&gt;</c> (foreign content).</summary>
    public bool IsForeign { get; internal set; }

    public HtmlAttribute[] Attributes { get; internal set; } = NoAttributes;

    public HtmlNode? Parent { get; private set; }
    public HtmlNode? FirstChild { get; private set; }
    public HtmlNode? LastChild { get; private set; }
    public HtmlNode? NextSibling { get; private set; }
    public HtmlNode? PreviousSibling { get; private set; }

    internal HtmlNode(HtmlNodeType type, string name, string? text = null)
    {
        Type = type;
        Name = name;
        Text = text;
    }

    public bool IsElement => Type == HtmlNodeType.Element;

    /// <summary>True for an element named <paramref name="name"/>.</summary>
    public bool Is(string name) => Type == HtmlNodeType.Element && Name == name;

    /// <summary>The value of attribute <paramref name="name"/> (lower-case), or null.</summary>
    public string? GetAttribute(string name)
    {
        foreach (var a in Attributes) if (a.Name == name) return a.Value;
        return null;
    }

    /// <summary>The element's id and class attributes joined (what class/id hints are matched against).</summary>
    public string ClassAndId
    {
        get
        {
            string? c = GetAttribute("class"), i = GetAttribute("id");
            return c is null ? i ?? "" : i is null ? c : c + " " + i;
        }
    }

    /// <summary>True when the class attribute contains <paramref name="cls"/> as a whole word.</summary>
    public bool HasClass(string cls)
    {
        var c = GetAttribute("class");
        if (c is null) return false;
        int i = 0;
        while ((i = c.IndexOf(cls, i, StringComparison.Ordinal)) >= 0)
        {
            bool startOk = i == 0 || char.IsWhiteSpace(c[i - 1]);
            int e = i + cls.Length;
            if (startOk && (e == c.Length || char.IsWhiteSpace(c[e]))) return true;
            i = e;
        }
        return false;
    }

    public void AppendChild(HtmlNode child)
    {
        child.Detach();
        child.Parent = this;
        child.PreviousSibling = LastChild;
        if (LastChild is null) FirstChild = child; else LastChild.NextSibling = child;
        LastChild = child;
    }

    /// <summary>Inserts <paramref name="child"/> before <paramref name="reference"/> (a child of this node).</summary>
    public void InsertBefore(HtmlNode child, HtmlNode reference)
    {
        child.Detach();
        child.Parent = this;
        child.NextSibling = reference;
        child.PreviousSibling = reference.PreviousSibling;
        if (reference.PreviousSibling is null) FirstChild = child; else reference.PreviousSibling.NextSibling = child;
        reference.PreviousSibling = child;
    }

    /// <summary>Removes this node (with its subtree) from its parent.</summary>
    public void Detach()
    {
        var p = Parent;
        if (p is null) return;
        if (PreviousSibling is null) p.FirstChild = NextSibling; else PreviousSibling.NextSibling = NextSibling;
        if (NextSibling is null) p.LastChild = PreviousSibling; else NextSibling.PreviousSibling = PreviousSibling;
        Parent = null;
        NextSibling = PreviousSibling = null;
    }

    /// <summary>Puts <paramref name="replacement"/> where this node is, and detaches this node.</summary>
    public void ReplaceWith(HtmlNode replacement)
    {
        var p = Parent ?? throw new InvalidOperationException("node has no parent");
        p.InsertBefore(replacement, this);
        Detach();
    }

    /// <summary>Moves this node's children up into its parent in its place, then detaches it.</summary>
    public void Unwrap()
    {
        var p = Parent ?? throw new InvalidOperationException("node has no parent");
        while (FirstChild is { } c) p.InsertBefore(c, this);
        Detach();
    }

    /// <summary>The next node in document order (pre-order) within the subtree of <paramref name="root"/>.</summary>
    public HtmlNode? NextInTree(HtmlNode root, bool skipChildren = false)
    {
        if (!skipChildren && FirstChild is not null) return FirstChild;
        for (var n = this; n is not null && n != root; n = n.Parent)
            if (n.NextSibling is not null) return n.NextSibling;
        return null;
    }

    /// <summary>Elements in the subtree (excluding this node) in document order.</summary>
    public IEnumerable<HtmlNode> Descendants()
    {
        for (var n = NextInTree(this); n is not null; n = n.NextInTree(this)) yield return n;
    }

    /// <summary>Descendant elements named <paramref name="name"/>.</summary>
    public IEnumerable<HtmlNode> DescendantElements(string name)
    {
        for (var n = NextInTree(this); n is not null; n = n.NextInTree(this))
            if (n.Type == HtmlNodeType.Element && n.Name == name) yield return n;
    }

    /// <summary>The first ancestor element named <paramref name="name"/>, up to <paramref name="maxDepth"/> levels.</summary>
    public HtmlNode? Ancestor(string name, int maxDepth = int.MaxValue)
    {
        int d = 0;
        for (var p = Parent; p is not null && d < maxDepth; p = p.Parent, d++)
            if (p.Type == HtmlNodeType.Element && p.Name == name) return p;
        return null;
    }

    /// <summary>Concatenated character data of the subtree (math nodes contribute their TeX).</summary>
    public string TextContent
    {
        get
        {
            if (Type is HtmlNodeType.Text or HtmlNodeType.Math) return Text ?? "";
            var sb = new System.Text.StringBuilder();
            for (var n = NextInTree(this); n is not null; n = n.NextInTree(this))
                if (n.Type is HtmlNodeType.Text or HtmlNodeType.Math) sb.Append(n.Text);
            return sb.ToString();
        }
    }

    public override string ToString() => Type switch
    {
        HtmlNodeType.Text => "#text " + Text,
        HtmlNodeType.Math => (Display ? "$$" : "$") + Text + (Display ? "$$" : "$"),
        _ => "<" + Name + (Attributes.Length > 0 ? " " + string.Join(" ", Attributes.Select(a => a.Name + "=\"" + a.Value + "\"")) : "") + ">",
    };
}
