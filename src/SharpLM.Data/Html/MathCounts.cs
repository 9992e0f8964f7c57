namespace SharpLM.Data.Html;

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
