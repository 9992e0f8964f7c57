using SharpLM.Data.Filters;

namespace SharpLM.Data.Tests.Filters;

public class FilterTests
{
    [Theory]
    [InlineData("<script src=\"https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js\"></script>", MathMarkerMatch.Marker)]
    [InlineData("<span class=\"math-container\">$x$</span>", MathMarkerMatch.Marker)]
    [InlineData("<img src=\"https://s0.wp.com/latex.php?latex=x%5E2\">", MathMarkerMatch.Marker)]
    [InlineData("<math><mi>x</mi></math>", MathMarkerMatch.Marker)]
    [InlineData("<p>We have \\frac{a}{b} here</p>", MathMarkerMatch.BackslashCommand)]
    [InlineData("<p>C:\\Users\\Me</p>", MathMarkerMatch.None)] // upper case: not a command pattern
    [InlineData("<p>Just a recipe for bread.</p>", MathMarkerMatch.None)]
    public void PrefilterFindsOwmMarkers(string html, MathMarkerMatch expected) =>
        Assert.Equal(expected, MathMarkers.Match(html));

    [Fact]
    public void LatexCommandsAreRecognised()
    {
        Assert.True(LatexCommands.AnyIn("so $\\frac{1}{2}$"));
        Assert.True(LatexCommands.AnyIn("\\begin{align} x \\end{align}"));
        Assert.False(LatexCommands.AnyIn("path \\windows\\system32 and \\foo"));
    }

    static readonly string Good = string.Join("\n", Enumerable.Range(0, 12).Select(i =>
        $"Step {i}: we multiply both sides by {i + 2} and simplify the fraction to get a new equation for x."));

    [Fact]
    public void QualityKeepsOrdinaryMathProse() => Assert.Null(QualityHeuristics.Check(Good, new QualityOptions()));

    [Theory]
    [InlineData("short", "too_short")]
    public void QualityDropsWithAReason(string text, string reason) =>
        Assert.Equal(reason, QualityHeuristics.Check(text, new QualityOptions()));

    [Fact]
    public void QualityReasons()
    {
        var o = new QualityOptions();
        Assert.Equal("duplicate_lines", QualityHeuristics.Check(string.Join("\n", Enumerable.Repeat("Buy cheap calculators online now today.", 20)), o));
        Assert.Equal("too_many_accented", QualityHeuristics.Check(string.Concat(Enumerable.Repeat("élève café à côté très général opération ", 10)), o));
        Assert.Equal("few_alpha_words", QualityHeuristics.Check(string.Join(" ", Enumerable.Range(0, 200).Select(i => $"{i}={i * i}")), o));
        Assert.Equal("too_few_words", QualityHeuristics.Check(new string('x', 150), o));
        Assert.Equal("bullet_lines", QualityHeuristics.Check(string.Join("\n", Enumerable.Range(0, 20).Select(i => $"- item number {i} in the long list of things we sell")), o));
        Assert.Equal("ellipsis_lines", QualityHeuristics.Check(string.Join("\n", Enumerable.Range(0, 20).Select(i => $"Read more about topic {i} in our article here...")), o));
    }
}
