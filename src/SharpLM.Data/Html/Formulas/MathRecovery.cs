using System.Net;
using SharpLM.Data.Html.Parsing;

namespace SharpLM.Data.Html.Formulas;

/// <summary>
/// Replaces every piece of math markup in the tree by a <see cref="HtmlNodeType.Math"/> node holding its TeX,
/// one handler per markup family (OpenWebMath's rules, each counted under its <see cref="MathSource"/>):
/// MathJax v2 scripts (rendered MathJax output and previews beside them dropped), MathJax v3 containers,
/// MediaWiki math spans, MathML, KaTeX, <c>data-expr</c>, WordPress KaTeX, Stack Exchange containers, TeX
/// images and <c>&lt;mathjax&gt;</c>. Text delimiters are a separate pass (<see cref="ReplaceTextMath"/>).
/// </summary>
public sealed class MathRecovery
{
    /// <summary>Runs every element handler over <paramref name="root"/>'s subtree.</summary>
    public void ReplaceMarkup(HtmlNode root)
    {
        var n = root.NextInTree(root);
        while (n is not null)
        {
            if (!n.IsElement) { n = n.NextInTree(root); continue; }
            var handled = TryHandle(n);
            if (handled is null) { n = n.NextInTree(root); continue; }
            // The element was replaced (or removed): continue after the replacement, skipping its subtree.
            n = handled.Value.Next;
        }
    }

    /// <summary>The node to continue from after a handler replaced an element.</summary>
    readonly record struct Continuation(HtmlNode? Next);

    Continuation? TryHandle(HtmlNode el)
    {
        switch (el.Name)
        {
            case "script": return HandleScript(el);
            case "math": return HandleMathMl(el, el);
            case "mathjax":
            {
                var tex = TexCleanup.StripOwnDelimiters(TexCleanup.Clean(el.TextContent, false), out var d);
                return Replace(el, tex, d ?? false, MathSource.MathJaxTag);
            }
            case "img": return HandleImage(el);
            case "mjx-container":
            {
                var math = el.DescendantElements("math").FirstOrDefault();
                bool display = el.GetAttribute("display") is "true" or "block";
                if (math is not null) return HandleMathMl(math, el, display);
                return Remove(el); // CHTML/SVG glyphs only: nothing readable
            }
        }
        var cls = el.GetAttribute("class");
        if (cls is null)
        {
            if (el.GetAttribute("data-expr") is { } expr0 && el.Name is "span" or "div") return Replace(el, expr0, false, MathSource.KatexDataExpr);
            return null;
        }
        if (el.HasClass("MathJax_Preview") || el.HasClass("MJX_Assistive_MathML") && NextScriptIsMath(el)) return Remove(el);
        if (IsRenderedMathJax2(el))
        {
            if (NextScriptIsMath(el)) return Remove(el);
            var math = el.DescendantElements("math").FirstOrDefault();
            if (math is not null) return HandleMathMl(math, el, el.HasClass("MathJax_Display") || el.HasClass("MathJax_SVG_Display"));
            return null;
        }
        if (el.HasClass("mwe-math-element"))
        {
            var math = el.DescendantElements("math").FirstOrDefault();
            bool display = el.Descendants().Any(d => d.IsElement && d.HasClass("mwe-math-mathml-display")) || el.HasClass("mwe-math-element-block");
            if (math is not null) return HandleMathMl(math, el, display);
            var img = el.DescendantElements("img").FirstOrDefault(i => i.GetAttribute("alt") is not null);
            if (img is not null) return Replace(el, img.GetAttribute("alt")!, display, MathSource.ImageAlt);
            return null;
        }
        if (el.HasClass("katex-display") || el.HasClass("katex"))
        {
            var ann = el.DescendantElements("annotation").FirstOrDefault(a => IsTexEncoding(a.GetAttribute("encoding")));
            if (ann is not null) return Replace(el, ann.TextContent, el.HasClass("katex-display") || el.Ancestor("span", 1)?.HasClass("katex-display") == true, MathSource.Katex);
            if (el.GetAttribute("data-expr") is { } e) return Replace(el, e, el.HasClass("katex-display"), MathSource.KatexDataExpr);
            var math = el.DescendantElements("math").FirstOrDefault();
            if (math is not null) return HandleMathMl(math, el, el.HasClass("katex-display"));
            return null;
        }
        if (el.HasClass("katex-html")) return Remove(el); // the visual half of a KaTeX rendering
        if (el.GetAttribute("data-expr") is { } expr)
        {
            bool display = el.HasClass("display") || el.GetAttribute("data-display") is "true" or "1" or "block";
            return Replace(el, expr, display, MathSource.KatexDataExpr);
        }
        if (el.HasClass("wp-katex-eq"))
        {
            bool display = el.GetAttribute("data-display") is "true" or "1";
            return Replace(el, el.TextContent, display, MathSource.WpKatex);
        }
        if (el.HasClass("math-container"))
        {
            var tex = TexCleanup.StripOwnDelimiters(TexCleanup.Clean(el.TextContent, false), out var d);
            return Replace(el, tex, d ?? el.Name == "div", MathSource.MathContainer);
        }
        return null;
    }

    static bool IsRenderedMathJax2(HtmlNode el) =>
        el.Name is "span" or "div" && (el.HasClass("MathJax") || el.HasClass("MathJax_Display") || el.HasClass("MathJax_SVG")
            || el.HasClass("MathJax_SVG_Display") || el.HasClass("MathJax_CHTML") || el.HasClass("MathJax_MathML")
            || el.HasClass("MathJax_PHTML") || el.HasClass("MathJax_PlainSource"));

    /// <summary>MathJax v2 keeps the source script right after its rendering; the rendering is then redundant.</summary>
    static bool NextScriptIsMath(HtmlNode el)
    {
        for (var s = el.NextSibling; s is not null; s = s.NextSibling)
        {
            if (s.Type == HtmlNodeType.Text && TextUtil.IsBlank(s.Text)) continue;
            if (s.IsElement && s.HasClass("MathJax_Preview")) continue;
            if (s.IsElement && (s.HasClass("MathJax") || s.HasClass("MathJax_Display") || s.HasClass("MJX_Assistive_MathML"))) continue;
            return s.Is("script") && IsTexScriptType(s.GetAttribute("type"));
        }
        return false;
    }

    static bool IsTexScriptType(string? type) =>
        type is not null && (type.StartsWith("math/tex", StringComparison.OrdinalIgnoreCase) || type.StartsWith("text/tex", StringComparison.OrdinalIgnoreCase));

    static bool IsTexEncoding(string? enc) =>
        enc is not null && (enc.Equals("application/x-tex", StringComparison.OrdinalIgnoreCase) || enc.Equals("TeX", StringComparison.OrdinalIgnoreCase)
            || enc.Equals("text/x-tex", StringComparison.OrdinalIgnoreCase) || enc.Equals("application/x-latex", StringComparison.OrdinalIgnoreCase)
            || enc.Equals("LaTeX", StringComparison.OrdinalIgnoreCase));

    Continuation? HandleScript(HtmlNode el)
    {
        var type = el.GetAttribute("type");
        if (!IsTexScriptType(type)) return null;
        bool display = type!.Contains("mode=display", StringComparison.OrdinalIgnoreCase);
        return Replace(el, el.TextContent, display, MathSource.ScriptMathTex, decode: true);
    }

    Continuation? HandleMathMl(HtmlNode math, HtmlNode replaceTarget, bool? displayHint = null)
    {
        bool display = displayHint ?? false;
        if (math.GetAttribute("display") is "block") display = true;
        if (math.GetAttribute("mode") is "display") display = true;
        var ann = math.DescendantElements("annotation").FirstOrDefault(a => IsTexEncoding(a.GetAttribute("encoding")));
        if (ann is not null && !TextUtil.IsBlank(ann.TextContent))
            return Replace(replaceTarget, ann.TextContent, display, MathSource.MathAnnotation);
        var alt = math.GetAttribute("alttext");
        if (!string.IsNullOrWhiteSpace(alt)) return Replace(replaceTarget, alt, display, MathSource.MathAlttext);
        var tex = MathMlToTex.Convert(math);
        return Replace(replaceTarget, tex, display, MathSource.MathMl, clean: false);
    }

    Continuation? HandleImage(HtmlNode img)
    {
        var src = img.GetAttribute("src") ?? img.GetAttribute("data-src") ?? "";
        var alt = img.GetAttribute("alt");
        var cls = img.GetAttribute("class") ?? "";
        bool display = img.HasClass("latexcenter") || img.HasClass("displaymath") || img.HasClass("display");
        if (src.Contains("latex.php", StringComparison.OrdinalIgnoreCase) || src.Contains("wp.com/latex", StringComparison.OrdinalIgnoreCase))
        {
            if (!string.IsNullOrWhiteSpace(alt)) return Replace(img, alt, display, MathSource.ImageAlt);
            if (QueryParameter(src, "latex") is { } fromUrl) return Replace(img, fromUrl, display, MathSource.ImageUrl);
        }
        if (TexFromImageUrl(src) is { } tex) return Replace(img, tex, display, MathSource.ImageUrl);
        if (!string.IsNullOrWhiteSpace(alt))
        {
            bool texClass = img.HasClass("latex") || img.HasClass("tex") || img.HasClass("latexcenter") || img.HasClass("math")
                || img.HasClass("equation") || img.HasClass("wp-latex") || cls.Contains("mwe-math-fallback-image", StringComparison.Ordinal);
            var trimmed = alt.Trim();
            bool dollarAlt = trimmed.Length > 2 && trimmed[0] == '$' && trimmed[^1] == '$';
            if (texClass || dollarAlt) return Replace(img, trimmed, display, MathSource.ImageAlt);
        }
        return null;
    }

    /// <summary>TeX carried in an equation-image URL (codecogs, mimetex/mathtex CGIs, Google chart <c>cht=tx</c>), or null.</summary>
    public static string? TexFromImageUrl(string src)
    {
        if (src.Length == 0) return null;
        int q = src.IndexOf('?');
        if (q < 0) return null;
        bool known = src.Contains("codecogs.com", StringComparison.OrdinalIgnoreCase) || src.Contains("/mimetex", StringComparison.OrdinalIgnoreCase)
            || src.Contains("mathtex.cgi", StringComparison.OrdinalIgnoreCase) || src.Contains("tex.cgi", StringComparison.OrdinalIgnoreCase)
            || src.Contains("/images/math/codecogs", StringComparison.OrdinalIgnoreCase);
        if (src.Contains("chart.googleapis.com", StringComparison.OrdinalIgnoreCase) || src.Contains("chart.apis.google.com", StringComparison.OrdinalIgnoreCase))
            return QueryParameter(src, "cht") == "tx" ? QueryParameter(src, "chl") : null;
        if (!known) return null;
        // codecogs' editor writes spaces as "&space;" (not an HTML entity, so it survives attribute decoding).
        var tex = WebUtility.UrlDecode(src[(q + 1)..].Replace("+", "%2B")).Replace("&space;", " ");
        // Rendering options that precede the formula: \dpi{110}, \bg_white, \bg{white}, \fn_cm, \inline, \large…
        while (true)
        {
            tex = tex.TrimStart();
            var m = System.Text.RegularExpressions.Regex.Match(tex, @"^\\(dpi\{\d+\}|bg_\w+|bg\{\w+\}|fn_\w+|inline|large|Large|LARGE|small|tiny|huge|Huge|normalsize|png|gif|svg|space)\b?");
            if (!m.Success || m.Length == 0) break;
            tex = tex[m.Length..];
        }
        return tex.Trim();
    }

    static string? QueryParameter(string url, string name)
    {
        int q = url.IndexOf('?');
        if (q < 0) return null;
        foreach (var part in url[(q + 1)..].Split('&'))
        {
            int eq = part.IndexOf('=');
            if (eq > 0 && part[..eq] == name) return WebUtility.UrlDecode(part[(eq + 1)..]);
        }
        return null;
    }

    Continuation Replace(HtmlNode target, string tex, bool display, MathSource source, bool decode = false, bool clean = true)
    {
        if (clean) tex = TexCleanup.Clean(tex, decode);
        var next = NextAfter(target);
        if (tex.Length == 0) { target.Detach(); return new Continuation(next); }
        var node = new HtmlNode(HtmlNodeType.Math, "#math", tex) { Display = display, MathSource = source };
        target.ReplaceWith(node);
        return new Continuation(next);
    }

    Continuation Remove(HtmlNode target)
    {
        var next = NextAfter(target);
        target.Detach();
        return new Continuation(next);
    }

    /// <summary>The node after <paramref name="n"/>'s subtree in document order.</summary>
    static HtmlNode? NextAfter(HtmlNode n)
    {
        for (var x = n; x is not null; x = x.Parent)
            if (x.NextSibling is not null) return x.NextSibling;
        return null;
    }

    /// <summary>
    /// Splits text nodes at formulas written between delimiters. Text inside <c>pre code kbd samp textarea
    /// script style</c> (and anything marked <c>tex2jax_ignore</c>/<c>nohighlight</c>) is left literal, as MathJax and KaTeX do.
    /// </summary>
    public void ReplaceTextMath(HtmlNode root, TexDelimiterSet set)
    {
        var n = root.NextInTree(root);
        while (n is not null)
        {
            if (n.IsElement && (n.Name is "pre" or "code" or "kbd" or "samp" or "textarea" or "script" or "style" or "noscript" or "tt"
                                || n.HasClass("tex2jax_ignore") || n.HasClass("mathjax_ignore")))
            {
                n = n.NextInTree(root, skipChildren: true);
                continue;
            }
            if (n.Type != HtmlNodeType.Text) { n = n.NextInTree(root); continue; }
            var segments = TexTextScanner.Scan(n.Text!, set);
            var next = n.NextInTree(root, skipChildren: true);
            if (segments is not null)
            {
                var parent = n.Parent!;
                foreach (var seg in segments)
                {
                    HtmlNode piece;
                    if (seg.IsMath)
                    {
                        var tex = TexCleanup.Clean(seg.Text, decodeReferences: false);
                        piece = new HtmlNode(HtmlNodeType.Math, "#math", tex) { Display = seg.Display, MathSource = seg.Source };
                    }
                    else piece = new HtmlNode(HtmlNodeType.Text, "#text", seg.Text);
                    parent.InsertBefore(piece, n);
                }
                n.Detach();
            }
            n = next;
        }
    }
}
