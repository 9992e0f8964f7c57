using System.Collections.Frozen;
using System.Text;
using SharpLM.Data.Html.Parsing;

namespace SharpLM.Data.Html.Formulas;

/// <summary>
/// Presentation MathML → LaTeX for the elements real pages use: token elements (<c>mi mn mo mtext ms mspace</c>,
/// with Greek letters, operators, arrows, relations and big operators mapped to TeX commands), layout
/// (<c>mrow mstyle mpadded mphantom semantics merror</c>), <c>mfrac</c> (and <c>linethickness=0</c> as
/// <c>\binom</c>-style <c>\atop</c>), <c>msqrt mroot</c>, scripts (<c>msup msub msubsup munder mover munderover
/// mmultiscripts</c>, with accents such as <c>\hat \bar \vec \dot \tilde \overline \underline</c>), <c>mfenced</c>
/// as <c>\left…\right</c>, <c>menclose</c> and tables (<c>mtable mtr mlabeledtr mtd</c> as a matrix/aligned block).
/// Walks with an explicit depth bound; unknown elements contribute their children.
/// </summary>
public static class MathMlToTex
{
    const int MaxDepth = 200;

    public static string Convert(HtmlNode math)
    {
        var sb = new StringBuilder();
        Children(math, sb, 0);
        return TexCleanup.Clean(sb.ToString(), decodeReferences: false);
    }

    static void Children(HtmlNode n, StringBuilder sb, int depth)
    {
        for (var c = n.FirstChild; c is not null; c = c.NextSibling) Node(c, sb, depth + 1);
    }

    static List<HtmlNode> ElementChildren(HtmlNode n)
    {
        var list = new List<HtmlNode>();
        for (var c = n.FirstChild; c is not null; c = c.NextSibling) if (c.IsElement || c.Type == HtmlNodeType.Math) list.Add(c);
        return list;
    }

    /// <summary>TeX of one node as a standalone string.</summary>
    static string Of(HtmlNode? n, int depth)
    {
        if (n is null) return "";
        var sb = new StringBuilder();
        Node(n, sb, depth + 1);
        return sb.ToString().Trim();
    }

    /// <summary>TeX of a node wrapped in braces when it is more than one token (for scripts and arguments).</summary>
    static string Group(HtmlNode? n, int depth)
    {
        var s = Of(n, depth);
        return IsAtom(s) ? s : "{" + s + "}";
    }

    static bool IsAtom(string s) =>
        s.Length == 1 || (s.Length > 1 && s[0] == '\\' && s.Skip(1).All(char.IsAsciiLetter))
        || (s.Length > 1 && s.All(char.IsAsciiDigit));

    static void Append(StringBuilder sb, string piece)
    {
        if (piece.Length == 0) return;
        // "\alpha" followed by a letter needs a space, or it reads as another command.
        if (sb.Length > 0 && char.IsAsciiLetter(piece[0]) && EndsWithCommand(sb)) sb.Append(' ');
        sb.Append(piece);
    }

    static bool EndsWithCommand(StringBuilder sb)
    {
        int i = sb.Length - 1;
        if (!char.IsAsciiLetter(sb[i])) return false;
        while (i >= 0 && char.IsAsciiLetter(sb[i])) i--;
        return i >= 0 && sb[i] == '\\';
    }

    static void Node(HtmlNode n, StringBuilder sb, int depth)
    {
        if (depth > MaxDepth) return;
        if (n.Type == HtmlNodeType.Text) return; // whitespace between elements; token text is read by its element
        if (n.Type == HtmlNodeType.Math) { Append(sb, n.Text ?? ""); return; }
        if (!n.IsElement) return;
        var kids = ElementChildren(n);
        HtmlNode? K(int i) => i < kids.Count ? kids[i] : null;
        switch (n.Name)
        {
            case "mi":
            {
                var t = TokenText(n);
                if (t.Length == 0) return;
                string tex = t.Length > 1 && !t.Any(c => c > 127) && t.All(char.IsLetter)
                    ? Functions.Contains(t) ? "\\" + t : "\\mathrm{" + t + "}"
                    : MapChars(t);
                Append(sb, WithVariant(tex, n.GetAttribute("mathvariant")));
                return;
            }
            case "mn": Append(sb, WithVariant(MapChars(TokenText(n)), n.GetAttribute("mathvariant"))); return;
            case "mo":
            {
                var t = TokenText(n);
                if (t.Length == 0) return;
                if (t.Length > 1 && t.All(char.IsAsciiLetter)) { Append(sb, Functions.Contains(t) ? "\\" + t : "\\operatorname{" + t + "}"); return; }
                var m = MapChars(t);
                Append(sb, m is "{" ? "\\{" : m is "}" ? "\\}" : m);
                return;
            }
            case "mtext":
            {
                var t = TokenText(n, trim: false).Replace('\u00A0', ' ');
                if (t.Trim().Length == 0) { if (t.Length > 0) Append(sb, "\\ "); return; }
                Append(sb, "\\text{" + EscapeText(t.Trim()) + "}");
                return;
            }
            case "ms": Append(sb, "\\text{\"" + EscapeText(TokenText(n)) + "\"}"); return;
            case "mspace":
            {
                var w = n.GetAttribute("width") ?? "";
                Append(sb, w switch
                {
                    "1em" or "veryverythickmathspace" => "\\quad ",
                    "2em" => "\\qquad ",
                    "thickmathspace" or "0.278em" or "0.2778em" => "\\;",
                    "mediummathspace" or "0.222em" or "0.2222em" => "\\:",
                    "thinmathspace" or "0.167em" or "0.1667em" => "\\,",
                    "negativethinmathspace" or "-0.167em" or "-0.1667em" => "\\!",
                    _ => " ",
                });
                return;
            }
            case "mfrac":
            {
                string a = Of(K(0), depth), b = Of(K(1), depth);
                var lt = n.GetAttribute("linethickness");
                if (lt is "0" or "0pt" or "0em" or "0px") Append(sb, "{" + a + " \\atop " + b + "}");
                else Append(sb, "\\frac{" + a + "}{" + b + "}");
                return;
            }
            case "msqrt":
            {
                var inner = new StringBuilder();
                Children(n, inner, depth);
                Append(sb, "\\sqrt{" + inner.ToString().Trim() + "}");
                return;
            }
            case "mroot": Append(sb, "\\sqrt[" + Of(K(1), depth) + "]{" + Of(K(0), depth) + "}"); return;
            case "msup": Append(sb, Base(K(0), depth) + "^" + Group(K(1), depth)); return;
            case "msub": Append(sb, Base(K(0), depth) + "_" + Group(K(1), depth)); return;
            case "msubsup": Append(sb, Base(K(0), depth) + "_" + Group(K(1), depth) + "^" + Group(K(2), depth)); return;
            case "munder": Append(sb, Under(K(0), K(1), depth)); return;
            case "mover": Append(sb, Over(K(0), K(1), depth)); return;
            case "munderover":
            {
                var b = Of(K(0), depth);
                Append(sb, (BigOperators.Contains(b) ? b : "\\mathop{" + b + "}") + "_" + Group(K(1), depth) + "^" + Group(K(2), depth));
                return;
            }
            case "mmultiscripts":
            {
                // base (sub sup)* <mprescripts/> (presub presup)*
                var post = new StringBuilder();
                var pre = new StringBuilder();
                bool inPre = false;
                for (int i = 1; i < kids.Count; i += 2)
                {
                    if (kids[i].Name == "mprescripts") { inPre = true; i--; continue; }
                    var target = inPre ? pre : post;
                    var sub = kids[i].Name == "none" ? "" : Of(kids[i], depth);
                    var sup = i + 1 < kids.Count && kids[i + 1].Name != "none" ? Of(kids[i + 1], depth) : "";
                    if (sub.Length > 0) target.Append("_{").Append(sub).Append('}');
                    if (sup.Length > 0) target.Append("^{").Append(sup).Append('}');
                }
                Append(sb, (pre.Length > 0 ? "{}" + pre : "") + Base(K(0), depth) + post);
                return;
            }
            case "mfenced":
            {
                string open = n.GetAttribute("open") ?? "(", close = n.GetAttribute("close") ?? ")";
                var seps = (n.GetAttribute("separators") ?? ",").Where(c => !char.IsWhiteSpace(c)).ToArray();
                var parts = new StringBuilder();
                for (int i = 0; i < kids.Count; i++)
                {
                    if (i > 0 && seps.Length > 0) parts.Append(seps[Math.Min(i - 1, seps.Length - 1)]).Append(' ');
                    parts.Append(Of(kids[i], depth));
                }
                Append(sb, "\\left" + Fence(open) + " " + parts + " \\right" + Fence(close));
                return;
            }
            case "menclose":
            {
                var inner = new StringBuilder();
                Children(n, inner, depth);
                var body = inner.ToString().Trim();
                var notation = (n.GetAttribute("notation") ?? "longdiv").Split(' ', StringSplitOptions.RemoveEmptyEntries);
                string wrapped = notation.FirstOrDefault() switch
                {
                    "box" or "roundedbox" or "circle" => "\\boxed{" + body + "}",
                    "updiagonalstrike" or "downdiagonalstrike" or "horizontalstrike" or "verticalstrike" => "\\cancel{" + body + "}",
                    "radical" => "\\sqrt{" + body + "}",
                    "top" => "\\overline{" + body + "}",
                    "bottom" => "\\underline{" + body + "}",
                    _ => "\\boxed{" + body + "}",
                };
                Append(sb, wrapped);
                return;
            }
            case "mtable":
            {
                var rows = new List<string>();
                foreach (var tr in kids)
                {
                    if (tr.Name is not ("mtr" or "mlabeledtr")) continue;
                    var cells = ElementChildren(tr).Where(c => c.Name == "mtd").ToList();
                    if (tr.Name == "mlabeledtr" && cells.Count > 0) cells.RemoveAt(0); // the equation label
                    rows.Add(string.Join(" & ", cells.Select(c => Of(c, depth))));
                }
                var align = n.GetAttribute("columnalign") ?? "";
                string env = align.Contains("right") && align.Contains("left") ? "aligned" : "matrix";
                Append(sb, "\\begin{" + env + "} " + string.Join(" \\\\ ", rows) + " \\end{" + env + "}");
                return;
            }
            case "semantics":
                // The presentation child; annotations are alternatives, not content.
                if (K(0) is { } first && first.Name is not ("annotation" or "annotation-xml")) Node(first, sb, depth + 1);
                return;
            case "annotation" or "annotation-xml" or "mprescripts" or "none" or "maligngroup" or "malignmark":
                return;
            case "mphantom":
            {
                var inner = new StringBuilder();
                Children(n, inner, depth);
                Append(sb, "\\phantom{" + inner.ToString().Trim() + "}");
                return;
            }
            default:
                // mrow, mstyle, mpadded, merror, math, and anything unknown: the children in order.
                foreach (var k in kids) Append(sb, Of(k, depth));
                return;
        }
    }

    static string Base(HtmlNode? n, int depth)
    {
        var s = Of(n, depth);
        if (s.Length == 0) return "{}";
        return IsAtom(s) || (s.StartsWith('\\') && !s.Contains(' ') && s.Count(c => c == '\\') == 1 && !s.Contains('^') && !s.Contains('_') && s.EndsWith('}')) ? s : "{" + s + "}";
    }

    static string Under(HtmlNode? baseNode, HtmlNode? under, int depth)
    {
        string b = Of(baseNode, depth), u = Of(under, depth);
        if (u is "_" or "\u0332" or "\u2015" or "\u2014" or "\u00AF" or "\\_") return "\\underline{" + b + "}";
        if (u is "\u23DF" or "\\underbrace") return "\\underbrace{" + b + "}";
        if (BigOperators.Contains(b) || Functions.Contains(b.TrimStart('\\'))) return b + "_" + Brace(u);
        return "\\underset{" + u + "}{" + b + "}";
    }

    static string Over(HtmlNode? baseNode, HtmlNode? over, int depth)
    {
        string b = Of(baseNode, depth), o = Of(over, depth);
        string? accent = o switch
        {
            "^" or "\u02C6" or "\u0302" or "\\hat" => "\\hat",
            "\u00AF" or "\u203E" or "\u0304" or "\u0305" or "\\bar" or "_" or "\u2015" => b.Length > 1 ? "\\overline" : "\\bar",
            "\u2192" or "\u20D7" or "\\to" or "\\rightarrow" or "\\vec" => "\\vec",
            "~" or "\u02DC" or "\u0303" or "\\sim" => "\\tilde",
            "\u02D9" or "\u0307" or "." or "\\dot" or "\\cdot" => "\\dot",
            "\u00A8" or "\u0308" or ".." => "\\ddot",
            "\u02C7" or "\u030C" => "\\check",
            "\u02D8" or "\u0306" => "\\breve",
            "\u00B4" or "\u0301" => "\\acute",
            "`" or "\u0300" => "\\grave",
            "\u23DE" => "\\overbrace",
            "\u2190" or "\\leftarrow" => "\\overleftarrow",
            "\u2194" => "\\overleftrightarrow",
            _ => null,
        };
        if (accent is not null) return accent + "{" + b + "}";
        if (BigOperators.Contains(b) || Functions.Contains(b.TrimStart('\\'))) return b + "^" + Brace(o);
        return "\\overset{" + o + "}{" + b + "}";
    }

    /// <summary>Applies <c>mathvariant</c> (bold, double-struck, script, fraktur, sans-serif, monospace) as a font command.</summary>
    static string WithVariant(string tex, string? variant) => variant switch
    {
        "bold" => "\\mathbf{" + tex + "}",
        "double-struck" => "\\mathbb{" + tex + "}",
        "script" or "bold-script" => "\\mathcal{" + tex + "}",
        "fraktur" or "bold-fraktur" => "\\mathfrak{" + tex + "}",
        "sans-serif" => "\\mathsf{" + tex + "}",
        "monospace" => "\\mathtt{" + tex + "}",
        "bold-italic" => "\\boldsymbol{" + tex + "}",
        _ => tex,
    };

    static string Brace(string s) => IsAtom(s) ? s : "{" + s + "}";

    static string Fence(string f) => f switch
    {
        "" => ".",
        "{" => "\\{",
        "}" => "\\}",
        "\u27E8" or "\u2329" or "<" => "\\langle",
        "\u27E9" or "\u232A" or ">" => "\\rangle",
        "\u2016" or "\u2225" => "\\|",
        "\u230A" => "\\lfloor",
        "\u230B" => "\\rfloor",
        "\u2308" => "\\lceil",
        "\u2309" => "\\rceil",
        _ => f,
    };

    /// <summary>A token element's text: whitespace-trimmed (MathML trims token content), Math nodes' TeX kept.</summary>
    static string TokenText(HtmlNode n, bool trim = true)
    {
        var t = n.TextContent;
        return trim ? t.Trim(' ', '\t', '\n', '\r', '\f') : t;
    }

    static string EscapeText(string t)
    {
        var sb = new StringBuilder(t.Length);
        foreach (char c in t)
        {
            if (c is '{' or '}' or '%' or '#' or '&' or '_' or '$') sb.Append('\\');
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>Maps each character that has a TeX command (Greek, operators, relations, arrows…), leaving others as they are.</summary>
    static string MapChars(string t)
    {
        if (t.Length == 1 && t[0] < 128) return t;
        var sb = new StringBuilder();
        foreach (var rune in t.EnumerateRunes())
        {
            if (Symbols.TryGetValue(rune.Value, out var cmd)) Append(sb, cmd);
            else if (rune.Value is >= 0x1D400 and <= 0x1D7FF && MathAlphanumeric(rune.Value) is { } plain) Append(sb, plain);
            else Append(sb, rune.ToString());
        }
        return sb.ToString();
    }

    /// <summary>Mathematical italic/bold letters (U+1D400…) as plain letters, which is how TeX sources write them.</summary>
    static string? MathAlphanumeric(int cp)
    {
        int off = cp - 0x1D400;
        if (off < 52 * 13)
        {
            int k = off % 52;
            return ((char)(k < 26 ? 'A' + k : 'a' + k - 26)).ToString();
        }
        int digits = cp - 0x1D7CE;
        if (digits is >= 0 and < 50) return ((char)('0' + digits % 10)).ToString();
        return null;
    }

    static readonly FrozenSet<string> Functions = FrozenSet.ToFrozenSet(
    [
        "sin", "cos", "tan", "cot", "sec", "csc", "sinh", "cosh", "tanh", "coth", "arcsin", "arccos", "arctan",
        "log", "ln", "lg", "exp", "lim", "liminf", "limsup", "max", "min", "sup", "inf", "det", "dim", "ker", "deg",
        "gcd", "arg", "Pr", "hom",
    ], StringComparer.Ordinal);

    static readonly FrozenSet<string> BigOperators = FrozenSet.ToFrozenSet(
    [
        "\\sum", "\\prod", "\\coprod", "\\int", "\\iint", "\\iiint", "\\oint", "\\bigcup", "\\bigcap", "\\bigoplus",
        "\\bigotimes", "\\bigvee", "\\bigwedge", "\\lim", "\\max", "\\min", "\\sup", "\\inf", "\\limsup", "\\liminf",
    ], StringComparer.Ordinal);

    static readonly FrozenDictionary<int, string> Symbols = new Dictionary<int, string>
    {
        // Greek
        [0x3B1] = "\\alpha", [0x3B2] = "\\beta", [0x3B3] = "\\gamma", [0x3B4] = "\\delta", [0x3B5] = "\\epsilon",
        [0x3F5] = "\\epsilon", [0x3B6] = "\\zeta", [0x3B7] = "\\eta", [0x3B8] = "\\theta", [0x3D1] = "\\vartheta",
        [0x3B9] = "\\iota", [0x3BA] = "\\kappa", [0x3BB] = "\\lambda", [0x3BC] = "\\mu", [0x3BD] = "\\nu",
        [0x3BE] = "\\xi", [0x3C0] = "\\pi", [0x3D6] = "\\varpi", [0x3C1] = "\\rho", [0x3F1] = "\\varrho",
        [0x3C3] = "\\sigma", [0x3C2] = "\\varsigma", [0x3C4] = "\\tau", [0x3C5] = "\\upsilon", [0x3C6] = "\\phi",
        [0x3D5] = "\\phi", [0x3C7] = "\\chi", [0x3C8] = "\\psi", [0x3C9] = "\\omega", [0x393] = "\\Gamma",
        [0x394] = "\\Delta", [0x398] = "\\Theta", [0x39B] = "\\Lambda", [0x39E] = "\\Xi", [0x3A0] = "\\Pi",
        [0x3A3] = "\\Sigma", [0x3A5] = "\\Upsilon", [0x3A6] = "\\Phi", [0x3A8] = "\\Psi", [0x3A9] = "\\Omega",
        // binary operators
        [0x2212] = "-", [0xB1] = "\\pm", [0x2213] = "\\mp", [0xD7] = "\\times", [0xF7] = "\\div", [0x22C5] = "\\cdot",
        [0xB7] = "\\cdot", [0x2217] = "\\ast", [0x2218] = "\\circ", [0x2219] = "\\bullet", [0x2295] = "\\oplus",
        [0x2297] = "\\otimes", [0x2296] = "\\ominus", [0x2299] = "\\odot", [0x2227] = "\\wedge", [0x2228] = "\\vee",
        [0x2229] = "\\cap", [0x222A] = "\\cup", [0x2216] = "\\setminus", [0x2020] = "\\dagger", [0x2062] = "", [0x2061] = "",
        [0x2063] = "", [0x2064] = "", [0x200B] = "",
        // relations
        [0x2260] = "\\neq", [0x2264] = "\\leq", [0x2265] = "\\geq", [0x2266] = "\\leqq", [0x2267] = "\\geqq",
        [0x226A] = "\\ll", [0x226B] = "\\gg", [0x2248] = "\\approx", [0x2261] = "\\equiv", [0x2245] = "\\cong",
        [0x223C] = "\\sim", [0x2243] = "\\simeq", [0x221D] = "\\propto", [0x2208] = "\\in", [0x2209] = "\\notin",
        [0x220B] = "\\ni", [0x2282] = "\\subset", [0x2283] = "\\supset", [0x2286] = "\\subseteq", [0x2287] = "\\supseteq",
        [0x228A] = "\\subsetneq", [0x2223] = "\\mid", [0x2225] = "\\parallel", [0x22A5] = "\\perp", [0x22A2] = "\\vdash",
        [0x22A8] = "\\models", [0x2254] = "\\coloneqq", [0x225C] = "\\triangleq", [0x227A] = "\\prec", [0x227B] = "\\succ",
        // arrows
        [0x2192] = "\\to", [0x2190] = "\\leftarrow", [0x2194] = "\\leftrightarrow", [0x21D2] = "\\Rightarrow",
        [0x21D0] = "\\Leftarrow", [0x21D4] = "\\Leftrightarrow", [0x27F9] = "\\Longrightarrow", [0x27F8] = "\\Longleftarrow",
        [0x27FA] = "\\iff", [0x27F6] = "\\longrightarrow", [0x21A6] = "\\mapsto", [0x27FC] = "\\longmapsto",
        [0x2191] = "\\uparrow", [0x2193] = "\\downarrow", [0x21AA] = "\\hookrightarrow", [0x21C0] = "\\rightharpoonup",
        // big operators and misc
        [0x2211] = "\\sum", [0x220F] = "\\prod", [0x2210] = "\\coprod", [0x222B] = "\\int", [0x222C] = "\\iint",
        [0x222D] = "\\iiint", [0x222E] = "\\oint", [0x22C3] = "\\bigcup", [0x22C2] = "\\bigcap", [0x2A01] = "\\bigoplus",
        [0x2A02] = "\\bigotimes", [0x221E] = "\\infty", [0x2202] = "\\partial", [0x2207] = "\\nabla", [0x2200] = "\\forall",
        [0x2203] = "\\exists", [0x2204] = "\\nexists", [0x2205] = "\\emptyset", [0x2205] = "\\emptyset", [0xAC] = "\\neg",
        [0x2220] = "\\angle", [0x25B3] = "\\triangle", [0x2032] = "'", [0x2033] = "''", [0x2034] = "'''",
        [0x2026] = "\\ldots", [0x22EF] = "\\cdots", [0x22EE] = "\\vdots", [0x22F1] = "\\ddots", [0x210F] = "\\hbar",
        [0x2113] = "\\ell", [0x2118] = "\\wp", [0x211C] = "\\Re", [0x2111] = "\\Im", [0x2135] = "\\aleph",
        [0x221A] = "\\surd", [0xB0] = "^\\circ", [0x2016] = "\\|", [0x27E8] = "\\langle", [0x27E9] = "\\rangle",
        [0x2308] = "\\lceil", [0x2309] = "\\rceil", [0x230A] = "\\lfloor", [0x230B] = "\\rfloor", [0x2032] = "'",
        [0x2102] = "\\mathbb{C}", [0x2115] = "\\mathbb{N}", [0x211A] = "\\mathbb{Q}", [0x211D] = "\\mathbb{R}",
        [0x2124] = "\\mathbb{Z}", [0x2119] = "\\mathbb{P}", [0x2020] = "\\dagger", [0x22A4] = "\\top", [0x25A1] = "\\square",
        [0xA0] = "~", [0x2009] = "\\,", [0x2005] = "\\:", [0x2004] = "\\;", [0x2003] = "\\quad",
    }.ToFrozenDictionary();
}
