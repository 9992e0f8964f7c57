using SharpLM.Data.Html.Parsing;

namespace SharpLM.Data.Tests.Html;

/// <summary>The tree builder against the HTML5 rules (expected trees worked out by hand from the spec's algorithm).</summary>
public sealed class HtmlParserTests
{
    /// <summary>A compact dump of the body: elements as name(children), text quoted.</summary>
    static string Dump(HtmlNode n)
    {
        var parts = new List<string>();
        for (var c = n.FirstChild; c is not null; c = c.NextSibling)
        {
            if (c.Type == HtmlNodeType.Text) parts.Add("'" + c.Text + "'");
            else if (c.IsElement) parts.Add(c.Name + (c.FirstChild is null ? "" : "(" + Dump(c) + ")"));
        }
        return string.Join(" ", parts);
    }

    static string Body(string html) => Dump(HtmlParser.Parse(html).Body);

    [Theory]
    [InlineData("<p>a<p>b", "p('a') p('b')")]
    [InlineData("<p>a<div>b</div>c", "p('a') div('b') 'c'")]
    [InlineData("<ul><li>a<li>b</ul>", "ul(li('a') li('b'))")]
    [InlineData("<dl><dt>t<dd>d<dt>u</dl>", "dl(dt('t') dd('d') dt('u'))")]
    [InlineData("<table><tr><td>a<td>b<tr><td>c</table>", "table(tr(td('a') td('b')) tr(td('c')))")] // no implied tbody: it holds no text
    [InlineData("<h1>a<h2>b</h2>", "h1('a') h2('b')")]
    [InlineData("<a href=x>a<a>b</a>", "a('a') a('b')")]
    [InlineData("a<br>b<br/>c", "'a' br 'b' br 'c'")]
    [InlineData("<p>a</br>b", "p('a' br 'b')")]
    [InlineData("<div>a</span>b</div>", "div('ab')")]
    [InlineData("<select><option>a<option>b</select>", "select(option('a') option('b'))")]
    [InlineData("<ul><li>a<ul><li>b</ul><li>c</ul>", "ul(li('a' ul(li('b'))) li('c'))")]
    public void ImpliedEndTags(string html, string expected) => Assert.Equal(expected, Body(html));

    [Fact]
    public void RawTextAndRcData()
    {
        var doc = HtmlParser.Parse("<script>if (a<b && c>d) x = '</p>';</script><textarea>&lt;b&gt;</textarea><style>p{}</style><title>A &amp; B</title>");
        Assert.Equal("if (a<b && c>d) x = '</p>';", doc.Root.DescendantElements("script").Single().TextContent);
        Assert.Equal("<b>", doc.Root.DescendantElements("textarea").Single().TextContent);
        Assert.Equal("A & B", doc.Title);
    }

    [Fact]
    public void ScriptEndTagIsCaseInsensitiveAndNeedsABoundary()
    {
        var doc = HtmlParser.Parse("<script>a</scripty>b</SCRIPT >c");
        Assert.Equal("a</scripty>b", doc.Root.DescendantElements("script").Single().TextContent);
        Assert.Equal("'c'", Dump(doc.Body));
    }

    [Theory]
    [InlineData("a &amp; b", "a & b")]
    [InlineData("&lt;&gt;&quot;&apos;", "<>\"'")]
    [InlineData("&copy2024", "©2024")]             // legacy name without ';' in text
    [InlineData("&notin; &notit;", "∉ ¬it;")]      // longest full match, else longest legacy prefix
    [InlineData("&#960;&#x3C0;&#X3c0", "πππ")]
    [InlineData("&#128;&#0;&#xD800;&#x110000;", "€\uFFFD\uFFFD\uFFFD")] // C1 → windows-1252; NUL, surrogate, too big → U+FFFD
    [InlineData("&NotEqualTilde;", "\u2242\u0338")]  // two code points
    [InlineData("&bogus; & &#;", "&bogus; & &#;")]
    [InlineData("&CounterClockwiseContourIntegral;", "∳")]
    public void CharacterReferencesInText(string html, string expected) =>
        Assert.Equal(expected, HtmlParser.Parse("<p>" + html).Body.TextContent);

    [Fact]
    public void AttributesDecodeReferencesButNotLegacyNamesBeforeEqualsOrAlphanumerics()
    {
        var a = HtmlParser.Parse("<a href=\"?x=1&copy=2&amp;y=3&copy;\" title='&lt;t&gt;' data-X=unq&gt; checked>l</a>").Body.FirstChild!;
        Assert.Equal("?x=1&copy=2&y=3©", a.GetAttribute("href"));
        Assert.Equal("<t>", a.GetAttribute("title"));
        Assert.Equal("unq>", a.GetAttribute("data-x"));
        Assert.Equal("", a.GetAttribute("checked"));
    }

    [Fact]
    public void DuplicateAttributesKeepTheFirst() =>
        Assert.Equal("1", HtmlParser.Parse("<p id=1 ID=2>").Body.FirstChild!.GetAttribute("id"));

    [Theory]
    [InlineData("a<!-- <p>x</p> -->b", "'ab'")]
    [InlineData("a<!-->b", "'ab'")]
    [InlineData("a<!--->b", "'ab'")]
    [InlineData("a<?php echo 1 ?>b", "'ab'")]
    [InlineData("a<!DOCTYPE html>b", "'ab'")]
    [InlineData("a < b and c <3", "'a < b and c <3'")]
    [InlineData("a <p", "'a '")]                    // a tag cut off by the end is dropped
    [InlineData("x<!-- unterminated", "'x'")]
    public void CommentsBogusMarkupAndLoneBrackets(string html, string expected) => Assert.Equal(expected, Body(html));

    [Fact]
    public void HeadElementsGoToTheHeadAndContentStartsTheBody()
    {
        var doc = HtmlParser.Parse("<title>T</title><meta charset=utf-8><link rel=x>Hello<script>s</script>");
        Assert.Equal("title('T') meta link", Dump(doc.Head));
        Assert.Equal("'Hello' script('s')", Dump(doc.Body));
    }

    [Fact]
    public void ForeignContentSelfClosingCDataAndBreakout()
    {
        var doc = HtmlParser.Parse("<p><math><mi>x</mi><mspace/><mo><![CDATA[<]]></mo></math>after<svg><circle/><p>out</svg>");
        var math = doc.Root.DescendantElements("math").Single();
        Assert.True(math.IsForeign);
        Assert.Equal("mi('x') mspace mo('<')", Dump(math));
        // An HTML <p> inside svg breaks out of foreign content.
        Assert.Contains("p('out')", Dump(doc.Body));
    }

    [Fact]
    public void PreDropsItsFirstNewline() =>
        Assert.Equal("pre('a\n b')", Body("<pre>\na\n b</pre>"));

    [Fact]
    public void DeepNestingIsFlattenedAtTheDepthLimitWithoutRecursion()
    {
        var html = string.Concat(Enumerable.Repeat("<div>", 100_000)) + "deep" + string.Concat(Enumerable.Repeat("</div>", 100_000));
        var doc = HtmlParser.Parse(html, new HtmlParseOptions(MaxDepth: 256));
        Assert.True(doc.DepthLimited);
        int depth = 0;
        for (var n = doc.Body.DescendantElements("div").First(); n.FirstChild is { IsElement: true } c; n = c) depth++;
        Assert.InRange(depth, 200, 256);
        Assert.Contains("deep", doc.Body.TextContent);
        Assert.Equal(100_000, doc.ElementCount);
    }

    [Fact]
    public void TooManyElementsIsRefused() =>
        Assert.Throws<HtmlTooLargeException>(() => HtmlParser.Parse(string.Concat(Enumerable.Repeat("<b></b>", 2000)), new HtmlParseOptions(MaxElements: 1000)));

    [Fact]
    public void UppercaseTagsAndAttributesAreLowered()
    {
        var p = HtmlParser.Parse("<P CLASS=Intro>x</P>").Body.FirstChild!;
        Assert.Equal("p", p.Name);
        Assert.Equal("Intro", p.GetAttribute("class"));
    }
}
