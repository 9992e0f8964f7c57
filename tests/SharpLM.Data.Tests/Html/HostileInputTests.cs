using System.Text;
using SharpLM.Data.Html;

namespace SharpLM.Data.Tests.Html;

/// <summary>Hostile pages: bounded work, a clear refusal where a limit is hit, never a crash or a hang.</summary>
public sealed class HostileInputTests
{
    [Fact]
    public void HundredThousandDeepNesting()
    {
        foreach (var tag in new[] { "div", "span", "b", "table", "li" })
        {
            var sb = new StringBuilder();
            for (int i = 0; i < 100_000; i++) sb.Append('<').Append(tag).Append('>');
            sb.Append("bottom text with $x^2$");
            var p = MathTextExtractor.Extract(sb.ToString());
            Assert.Contains("bottom text", p.Text);
        }
    }

    [Fact]
    public void DeepMathMlDoesNotOverflow()
    {
        var sb = new StringBuilder("<p><math>");
        for (int i = 0; i < 50_000; i++) sb.Append("<mrow><msup><mi>x</mi>");
        var p = new MathTextExtractor(new ExtractionOptions(MainContentOnly: false)).Run(sb.ToString());
        Assert.Equal(1, p.Math[MathSource.MathMl]);
    }

    [Fact]
    public void TwoMegabytePageIsExtracted() => HugePage(2_000_000);

    [Fact]
    [Trait("Category", "Slow")]
    public void FiftyMegabytePageIsExtractedWithBoundedMemory() => HugePage(50_000_000);

    static void HugePage(int bytes)
    {
        // Many paragraphs with unclosed delimiters and dollar signs (worst cases for the scanners).
        var chunk = "<div class=\"c\"><p>Some text, with commas, and \\( an unclosed delimiter and $5 prices $ here.</p><span>x</span></div>\n";
        int repeats = bytes / chunk.Length;
        var sb = new StringBuilder(chunk.Length * repeats);
        for (int i = 0; i < repeats; i++) sb.Append(chunk);
        var html = sb.ToString();
        long before = GC.GetTotalMemory(true);
        var p = new MathTextExtractor(new ExtractionOptions(MaxElements: 2_000_000)).Run(html);
        Assert.Contains("Some text", p.Text);
        GC.KeepAlive(html);
        Assert.True(GC.GetTotalMemory(false) - before < 3L << 30);
    }

    [Fact]
    public void TooLargeAndTooManyElementsAreRefusedWithAReason()
    {
        var small = new MathTextExtractor(new ExtractionOptions(MaxHtmlChars: 1000));
        var e = Assert.Throws<SharpLMDataException>(() => small.Run(new string('a', 1001), "http://x/"));
        Assert.Equal("http://x/", e.Path);
        Assert.Contains("page too large", e.Reason);
        var few = new MathTextExtractor(new ExtractionOptions(MaxElements: 100));
        var e2 = Assert.Throws<SharpLMDataException>(() => few.Run(string.Concat(Enumerable.Repeat("<i>", 500))));
        Assert.Contains("more than 100 elements", e2.Reason);
    }

    [Fact]
    public void RandomBytesDecodeAndExtractWithoutThrowing()
    {
        var rng = new Random(1234);
        for (int i = 0; i < 200; i++)
        {
            var bytes = new byte[rng.Next(0, 4000)];
            rng.NextBytes(bytes);
            if (!HtmlCharset.TryDecode(bytes, "text/html", null, out var d, out _)) continue;
            MathTextExtractor.Extract(d!.Text);
        }
    }

    [Fact]
    public void RandomTagSoupIsHandled()
    {
        var rng = new Random(42);
        string[] pieces = ["<div>", "</div>", "<p>", "</p>", "<table>", "<tr>", "<td>", "</table>", "<math>", "<mi>", "</math>", "<svg>", "<![CDATA[", "]]>",
            "<!--", "-->", "<script>", "</script>", "<li>", "<ul>", "$", "$$", "\\(", "\\)", "\\begin{align}", "\\end{align}", "&amp", "&#x", "<a href=", "'", "\"", ">", "<", "text ", "<br>", "<pre>", "</pre>"];
        for (int i = 0; i < 300; i++)
        {
            var sb = new StringBuilder();
            int n = rng.Next(1, 400);
            for (int k = 0; k < n; k++) sb.Append(pieces[rng.Next(pieces.Length)]);
            MathTextExtractor.Extract(sb.ToString());
        }
    }
}
