namespace SharpLM.Data.Html;

/// <summary>Where a recovered formula came from (the keys of <see cref="MathCounts"/>, as OpenWebMath's extraction_info counts them).</summary>
public enum MathSource
{
    /// <summary><c>&lt;script type="math/tex"&gt;</c> (MathJax v2 source; also <c>text/tex</c>), display with <c>mode=display</c>.</summary>
    ScriptMathTex,
    /// <summary>MathML with an <c>&lt;annotation encoding="application/x-tex"&gt;</c>.</summary>
    MathAnnotation,
    /// <summary>MathML without a TeX annotation but with an <c>alttext</c> attribute.</summary>
    MathAlttext,
    /// <summary>Presentation MathML converted to LaTeX here.</summary>
    MathMl,
    /// <summary>KaTeX rendered output (<c>.katex</c> with its TeX annotation; the visual <c>.katex-html</c> part dropped).</summary>
    Katex,
    /// <summary>TeX held in a <c>data-expr</c> attribute (KaTeX pages rendering client-side).</summary>
    KatexDataExpr,
    /// <summary>The WordPress KaTeX plugin's <c>.wp-katex-eq</c>.</summary>
    WpKatex,
    /// <summary>Stack Exchange <c>.math-container</c>.</summary>
    MathContainer,
    /// <summary>An image whose alt text is the TeX (WordPress <c>latex.php</c>, <c>img.latex</c>, <c>img.tex</c>, Wikipedia fallbacks).</summary>
    ImageAlt,
    /// <summary>An image whose URL carries the TeX (codecogs, mimetex, mathtex, Google chart <c>cht=tx</c>, <c>latex.php?latex=</c>).</summary>
    ImageUrl,
    /// <summary>A <c>&lt;mathjax&gt;</c> element.</summary>
    MathJaxTag,
    /// <summary>TeX between delimiters in the page text (<c>$…$</c>, <c>\(…\)</c>, <c>\[…\]</c>, <c>$$…$$</c> or the page's own configured ones).</summary>
    TextDelimiters,
    /// <summary>A raw <c>\begin{equation|align|…}</c> environment in the page text.</summary>
    TexEnvironment,
}

