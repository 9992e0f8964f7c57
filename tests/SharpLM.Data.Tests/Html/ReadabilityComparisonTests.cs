using System.Globalization;
using System.Text;
using SharpLM.Data.Html;
using Xunit.Abstractions;

namespace SharpLM.Data.Tests.Html;

/// <summary>
/// Main-content quality on Mozilla Readability's own test pages (shared/data/html-readability): token F1 of
/// our text and of SmartReader 0.11.1 (a C# port of Readability) against each page's expected.html, whose
/// text is read with AngleSharp (SmartReader's HTML parser, independent of ours). Ours must be at least as
/// good on average. The per-page table is printed.
/// </summary>
public sealed class ReadabilityComparisonTests(ITestOutputHelper output)
{
    public static IEnumerable<string> PageNames() =>
        Directory.GetDirectories(Path.Combine(TestPaths.Shared("html-readability"), "pages")).Select(Path.GetFileName).Order(StringComparer.Ordinal)!;

    [Fact]
    public void AverageF1IsAtLeastSmartReaders()
    {
        // Pages in parallel (both cores); the table is sorted afterwards, so the output is the same every run.
        var rows = new System.Collections.Concurrent.ConcurrentBag<(string Page, TextF1.Score Ours, TextF1.Score Peer)>();
        Parallel.ForEach(PageNames(), name =>
        {
            var dir = Path.Combine(TestPaths.Shared("html-readability"), "pages", name);
            var bytes = File.ReadAllBytes(Path.Combine(dir, "source.html"));
            var html = HtmlCharset.Decode(bytes).Text;
            var reference = ReferenceText(File.ReadAllText(Path.Combine(dir, "expected.html")));
            var ours = MathTextExtractor.Extract(html, "http://fakehost/test/page.html").Text;
            var peer = SmartReaderText(html);
            rows.Add((name, TextF1.Compute(ours, reference), TextF1.Compute(peer, reference)));
        });
        var sorted = rows.OrderBy(r => r.Page, StringComparer.Ordinal).ToList();
        var sb = new StringBuilder();
        sb.AppendLine("| page | ours P | ours R | ours F1 | SmartReader P | SmartReader R | SmartReader F1 |");
        sb.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var (page, o, p) in sorted)
            sb.AppendLine($"| {page} | {TextF1.Format(o.Precision)} | {TextF1.Format(o.Recall)} | {TextF1.Format(o.F1)} | {TextF1.Format(p.Precision)} | {TextF1.Format(p.Recall)} | {TextF1.Format(p.F1)} |");
        double ourAvg = sorted.Average(r => r.Ours.F1), peerAvg = sorted.Average(r => r.Peer.F1);
        sb.AppendLine($"| **average ({rows.Count} pages)** | {TextF1.Format(rows.Average(r => r.Ours.Precision))} | {TextF1.Format(rows.Average(r => r.Ours.Recall))} | **{TextF1.Format(ourAvg)}** | {TextF1.Format(rows.Average(r => r.Peer.Precision))} | {TextF1.Format(rows.Average(r => r.Peer.Recall))} | **{TextF1.Format(peerAvg)}** |");
        output.WriteLine(sb.ToString());
        Assert.Equal(44, rows.Count);
        Assert.True(ourAvg >= peerAvg, $"average F1 {ourAvg:F3} < SmartReader's {peerAvg:F3}");
    }

    /// <summary>The reference: the text content of Readability's expected.html, parsed by AngleSharp.</summary>
    public static string ReferenceText(string expectedHtml)
    {
        var parser = new AngleSharp.Html.Parser.HtmlParser();
        var doc = parser.ParseDocument(expectedHtml);
        return doc.Body?.TextContent ?? "";
    }

    public static string SmartReaderText(string html)
    {
        var reader = new SmartReader.Reader("http://fakehost/test/page.html", html);
        var article = reader.GetArticle();
        return article.IsReadable || !string.IsNullOrEmpty(article.Content) ? ReferenceText(article.Content ?? "") : "";
    }
}
