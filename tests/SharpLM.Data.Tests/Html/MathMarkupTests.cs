using SharpLM.Data.Html;
using SharpLM.Data.Html.Formulas;

namespace SharpLM.Data.Tests.Html;

/// <summary>
/// One test per math markup family on small hand-written pages (the shared fixtures have no WordPress,
/// codecogs, Stack Exchange or KaTeX-rendered pages), expected TeX derived by hand from the markup.
/// </summary>
public sealed class MathMarkupTests
{
    static ExtractedPage Whole(string body, string head = "") =>
        new MathTextExtractor(new ExtractionOptions(MainContentOnly: false)).Run("<html><head>" + head + "</head><body>" + body + "</body></html>");

    [Fact]
    public void MathJaxScriptsWithEntitiesAndRenderedCopiesDropped()
    {
        var p = Whole("<p>Let <span class=\"MathJax_Preview\">x&lt;1</span><span class=\"MathJax\" id=\"MathJax-Element-1-Frame\"><span>x</span><span>&lt;</span></span>"
            + "<script type=\"math/tex\" id=\"MathJax-Element-1\">x &lt; 1</script> and</p>"
            + "<div class=\"MathJax_Display\"><span>junk</span></div><script type=\"math/tex; mode=display\">% <![CDATA[\n\\sum_i a_i\n%]]></script>");
        Assert.Equal("Let $x < 1$ and\n\n$$\\sum_i a_i$$", p.Text);
        Assert.Equal(2, p.Math[MathSource.ScriptMathTex]);
        Assert.Equal(1, p.Math.Display);
    }

    [Fact]
    public void KatexRenderedKeepsTheAnnotationAndDropsTheVisualPart()
    {
        var p = Whole("<p>Area <span class=\"katex\"><span class=\"katex-mathml\"><math><semantics><mrow><mi>π</mi><msup><mi>r</mi><mn>2</mn></msup></mrow>"
            + "<annotation encoding=\"application/x-tex\">\\pi r^2</annotation></semantics></math></span><span class=\"katex-html\" aria-hidden=\"true\">πr2</span></span>.</p>"
            + "<span class=\"katex-display\"><span class=\"katex\"><span class=\"katex-mathml\"><math><semantics><mi>E</mi><annotation encoding=\"application/x-tex\">E=mc^2</annotation></semantics></math></span><span class=\"katex-html\">E=mc2</span></span></span>");
        Assert.Equal("Area $\\pi r^2$.\n\n$$E=mc^2$$", p.Text);
        Assert.Equal(2, p.Math[MathSource.Katex]);
    }

    [Fact]
    public void MathMlAnnotationThenAlttextThenConversion()
    {
        var p = Whole("<p><math alttext=\"a+b\"><mi>a</mi><mo>+</mo><mi>b</mi></math>, "
            + "<math><semantics><mi>x</mi><annotation encoding=\"TeX\">x_0</annotation></semantics></math>, "
            + "<math display=\"block\"><mfrac><mn>1</mn><msqrt><mi>n</mi></msqrt></mfrac><mo>≤</mo><mroot><mi>y</mi><mn>3</mn></mroot></math></p>");
        Assert.Equal("$a+b$, $x_0$,\n$$\\frac{1}{\\sqrt{n}}\\leq\\sqrt[3]{y}$$", p.Text);
        Assert.Equal(1, p.Math[MathSource.MathAlttext]);
        Assert.Equal(1, p.Math[MathSource.MathAnnotation]);
        Assert.Equal(1, p.Math[MathSource.MathMl]);
    }

    [Theory]
    [InlineData("<msubsup><mo>∫</mo><mn>0</mn><mi>∞</mi></msubsup><msup><mi>e</mi><mrow><mo>−</mo><mi>x</mi></mrow></msup><mi>d</mi><mi>x</mi>", @"\int_0^\infty e^{-x}dx")]
    [InlineData("<munderover><mo>∑</mo><mrow><mi>i</mi><mo>=</mo><mn>1</mn></mrow><mi>n</mi></munderover><msub><mi>a</mi><mi>i</mi></msub>", @"\sum_{i=1}^na_i")]
    [InlineData("<munder><mi>lim</mi><mrow><mi>x</mi><mo>→</mo><mn>0</mn></mrow></munder><mfrac><mrow><mi>sin</mi><mi>x</mi></mrow><mi>x</mi></mfrac>", @"\lim_{x\to0}\frac{\sin x}{x}")]
    [InlineData("<mover><mi>v</mi><mo>→</mo></mover><mo>·</mo><mover><mi>x</mi><mo>^</mo></mover><mo>+</mo><mover><mrow><mi>a</mi><mi>b</mi></mrow><mo>¯</mo></mover>", @"\vec{v}\cdot\hat{x}+\overline{ab}")]
    [InlineData("<mfenced><mi>a</mi><mi>b</mi></mfenced><mfenced open=\"[\" close=\"]\"><mi>c</mi></mfenced>", @"\left( a, b \right)\left[ c \right]")]
    [InlineData("<menclose notation=\"box\"><mi>x</mi></menclose><mtext>if </mtext><mi mathvariant=\"double-struck\">R</mi>", @"\boxed{x}\text{if}\mathbb{R}")]
    [InlineData("<mrow><mo>(</mo><mtable><mtr><mtd><mn>1</mn></mtd><mtd><mn>0</mn></mtd></mtr><mtr><mtd><mn>0</mn></mtd><mtd><mn>1</mn></mtd></mtr></mtable><mo>)</mo></mrow>", @"(\begin{matrix} 1 & 0 \\ 0 & 1 \end{matrix})")]
    [InlineData("<mi>α</mi><mi>x</mi><mo>≠</mo><mi>Ω</mi><mspace width=\"thinmathspace\"/><mi>&#x1D465;</mi>", @"\alpha x\neq\Omega\,x")]
    [InlineData("<mfrac linethickness=\"0\"><mi>n</mi><mi>k</mi></mfrac>", @"{n \atop k}")]
    [InlineData("<mmultiscripts><mi>F</mi><mi>b</mi><none/><mprescripts/><mi>a</mi><none/></mmultiscripts>", @"{}_{a}F_{b}")]
    public void MathMlConversion(string mathml, string tex)
    {
        var p = Whole("<p><math>" + mathml + "</math></p>");
        Assert.Equal("$" + tex + "$", p.Text);
    }

    [Fact]
    public void TexImagesFromAltOrUrl()
    {
        var p = Whole("<p>A <img src=\"https://s0.wp.com/latex.php?latex=x%5E2&bg=ffffff\" alt=\"x^2\" class=\"latex\"> "
            + "B <img src=\"https://latex.codecogs.com/gif.latex?\\dpi{110}&space;\\frac{a}{b}\"> "
            + "C <img src=\"/cgi-bin/mimetex.cgi?e^{i\\pi}+1=0\"> "
            + "D <img src=\"https://chart.googleapis.com/chart?cht=tx&chl=%5Csqrt%7B2%7D\"> "
            + "E <img class=\"tex\" alt=\"\\alpha+\\beta\" src=\"eq.png\"> F <img src=\"photo.jpg\" alt=\"a cat\"></p>");
        Assert.Equal("A $x^2$ B $\\frac{a}{b}$ C $e^{i\\pi}+1=0$ D $\\sqrt{2}$ E $\\alpha+\\beta$ F", p.Text);
        Assert.Equal(2, p.Math[MathSource.ImageAlt]);
        Assert.Equal(3, p.Math[MathSource.ImageUrl]);
    }

    [Fact]
    public void StackExchangeMathContainerAndDataExprAndWpKatex()
    {
        var p = Whole("<p>If <span class=\"math-container\">$x &gt; 0$</span> then</p><div class=\"math-container\">$$\\int f$$</div>"
            + "<p><span class=\"tex\" data-expr=\"\\sqrt{2}\"></span> and <span class=\"wp-katex-eq\" data-display=\"false\">a^b</span> and <mathjax>\\(q\\)</mathjax></p>");
        Assert.Equal("If $x > 0$ then\n\n$$\\int f$$\n\n$\\sqrt{2}$ and $a^b$ and $q$", p.Text);
        Assert.Equal(2, p.Math[MathSource.MathContainer]);
        Assert.Equal(1, p.Math[MathSource.KatexDataExpr]);
        Assert.Equal(1, p.Math[MathSource.WpKatex]);
        Assert.Equal(1, p.Math[MathSource.MathJaxTag]);
    }

    [Fact]
    public void PagesOwnDelimiterConfigIsUsed()
    {
        var head = "<script type=\"text/x-mathjax-config\">MathJax.Hub.Config({tex2jax: {inlineMath: [['[m]','[/m]']], displayMath: [['@@','@@']], processEscapes: true}});</script>";
        var p = Whole("<p>Inline [m]x^2[/m] and @@\\int_0^1 f@@ and \\(y\\) stay.</p>", head);
        // A configured inlineMath list replaces MathJax's defaults, so \(y\) is not math on this page.
        Assert.Equal("Inline $x^2$ and\n$$\\int_0^1 f$$\nand \\(y\\) stay.", p.Text);
        var k = Whole("<p>Sum %%a+b%% here</p><script>renderMathInElement(document.body, {delimiters: [{left: \"%%\", right: \"%%\", display: false}]});</script>");
        Assert.Equal("Sum $a+b$ here", k.Text);
    }

    [Theory]
    [InlineData("It costs $5 and $10 today.", "It costs $5 and $10 today.", 0)]
    [InlineData("Prices: $5-$10.", "Prices: $5-$10.", 0)]
    [InlineData("Take $x^2$ now", "Take $x^2$ now", 1)]
    [InlineData(@"Escaped \$x\$ stays", @"Escaped \$x\$ stays", 0)]
    [InlineData(@"Env \begin{align} a &= b \\ c &= d \end{align} done", "Env\n$$\\begin{align} a &= b \\\\ c &= d \\end{align}$$\ndone", 1)]
    [InlineData(@"Not math \begin{itemize} x \end{itemize}", @"Not math \begin{itemize} x \end{itemize}", 0)]
    [InlineData(@"Unclosed \( x and more", @"Unclosed \( x and more", 0)]
    public void TextDelimitersAreGuarded(string text, string expected, int formulas)
    {
        var p = Whole("<p>" + text + "</p>");
        Assert.Equal(expected, p.Text);
        Assert.Equal(formulas, p.Math.Total);
    }

    [Fact]
    public void TexFromImageUrlStripsRenderingOptions() =>
        Assert.Equal(@"\frac{1}{2}", MathRecovery.TexFromImageUrl(@"https://latex.codecogs.com/png.latex?\dpi{150}\bg_white\frac{1}{2}"));

    [Fact]
    public void MathOutsideTheMainContentIsKept()
    {
        var prose = string.Concat(Enumerable.Repeat("<p>This is a long paragraph of ordinary prose, with commas, that makes the article block score well. </p>", 8));
        var html = "<html><body><div class=\"sidebar-comments\"><p>Note: <script type=\"math/tex\">e^{i\\pi}=-1</script></p></div>"
            + "<div class=\"article-content\">" + prose + "</div><div class=\"footer\"><a href=\"/\">Home</a></div></body></html>";
        var p = MathTextExtractor.Extract(html);
        Assert.True(p.MainContentFound);
        Assert.Contains("$e^{i\\pi}=-1$", p.Text);
        Assert.DoesNotContain("Home", p.Text);
    }
}
