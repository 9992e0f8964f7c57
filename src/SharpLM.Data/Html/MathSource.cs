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

/// <summary>Formula counts per <see cref="MathSource"/> for one page.</summary>
public sealed class MathCounts
{
    static readonly MathSource[] All = Enum.GetValues<MathSource>();
    readonly int[] _counts = new int[All.Length];

    public int this[MathSource source] => _counts[(int)source];

    /// <summary>All formulas found.</summary>
    public int Total => _counts.Sum();

    /// <summary>Display formulas among them.</summary>
    public int Display { get; private set; }

    internal void Add(MathSource source, bool display)
    {
        _counts[(int)source]++;
        if (display) Display++;
    }

    /// <summary>The JSON key of a source, e.g. <c>script_math_tex</c>.</summary>
    public static string Key(MathSource source) => source switch
    {
        MathSource.ScriptMathTex => "script_math_tex",
        MathSource.MathAnnotation => "math_annotation",
        MathSource.MathAlttext => "math_alttext",
        MathSource.MathMl => "mathml",
        MathSource.Katex => "katex",
        MathSource.KatexDataExpr => "katex_data_expr",
        MathSource.WpKatex => "wp_katex",
        MathSource.MathContainer => "math_container",
        MathSource.ImageAlt => "image_alt",
        MathSource.ImageUrl => "image_url",
        MathSource.MathJaxTag => "mathjax_tag",
        MathSource.TextDelimiters => "text_delimiters",
        MathSource.TexEnvironment => "tex_environment",
        _ => throw new ArgumentOutOfRangeException(nameof(source)),
    };

    /// <summary>Non-zero counts keyed by <see cref="Key"/>, in enum order (for the Parquet metadata column and <c>--json</c>).</summary>
    public IReadOnlyDictionary<string, int> ToDictionary()
    {
        var d = new Dictionary<string, int>();
        foreach (var s in All) if (_counts[(int)s] > 0) d[Key(s)] = _counts[(int)s];
        return d;
    }

    public override string ToString() => string.Join(", ", ToDictionary().Select(kv => $"{kv.Key}={kv.Value}"));
}
