using System.Text;
using SharpLM.Data.DomainRecall;
using SharpLM.Data.Filters;
using SharpLM.Data.Pipeline;
using SharpLM.Data.Pipeline.Steps;

namespace SharpLM.Data.Tests.Pipeline;

public class StepTests
{
    static Document Html(string url, string html) => new()
    {
        Url = url, Source = "a.warc.gz", Offset = 0, Length = 1, Body = Encoding.UTF8.GetBytes(html), ContentTypeHeader = "text/html",
    };

    [Fact]
    public void RecalledDomainsSkipThePrefilterAndTheLatexCheck()
    {
        var recall = new RecallList(["mathforum.org"]);
        var docs = new[]
        {
            Html("https://www.mathforum.org/t/1", "<p>Plain words, no markers at all.</p>"),
            Html("https://other.org/1", "<p>Plain words, no markers at all.</p>"),
            Html("https://other.org/2", "<script>MathJax.config</script><p>x</p>"),
            Html("https://other.org/3", "<p>we write \\alpha here</p>"),
        };
        var stats = new StepStats();
        var kept = new PrefilterStep("owm", recall).Run(docs, stats).ToList();
        Assert.Equal(["https://www.mathforum.org/t/1", "https://other.org/2", "https://other.org/3"], kept.Select(d => d.Url));
        Assert.Equal(1, stats.Counters["recalled"]);
        Assert.Equal(1, stats.Dropped["no_math_markers"]);
        Assert.True(kept[0].Recalled);
        Assert.Equal(MathMarkerMatch.BackslashCommand, kept[2].Prefilter);

        // After extraction: the recalled page needs no LaTeX command; the \word page does.
        kept[0].Text = "Plain words.";
        kept[2].Text = "we write \\alpha here";
        var latex = new StepStats();
        Assert.Equal(3, new LatexCommandStep().Run(kept, latex).Count());
        kept[2].Text = "we write \\foo here";
        Assert.Equal(2, new LatexCommandStep().Run(kept, latex = new StepStats()).Count());
        Assert.Equal(1, latex.Dropped["no_latex_commands"]);
    }

    sealed class Throwing : PipelineStep
    {
        public override string Name => "throwing";
        protected override string? Apply(Document doc) => doc.Url.EndsWith("bad", StringComparison.Ordinal) ? throw new InvalidOperationException("boom") : null;
    }

    [Fact]
    public void AStepThatThrowsDropsThePageAndTheRunContinues()
    {
        var errors = new List<string>();
        var stats = new StepStats();
        var kept = new Throwing().Run([Html("https://a/ok", ""), Html("https://a/bad", ""), Html("https://a/ok2", "")], stats,
            (d, e) => errors.Add(d.Url + " " + e.Message)).ToList();
        Assert.Equal(2, kept.Count);
        Assert.Equal(1, stats.Dropped["error:InvalidOperationException"]);
        Assert.Equal(["https://a/bad boom"], errors);
        Assert.Equal((3L, 2L), (stats.In, stats.Out));
    }
}
