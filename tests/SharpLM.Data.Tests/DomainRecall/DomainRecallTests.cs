using SharpLM.Data.DomainRecall;

namespace SharpLM.Data.Tests.DomainRecall;

public class DomainRecallTests
{
    [Theory]
    [InlineData("https://www.MathOverflow.net/questions/1", "mathoverflow.net")]
    [InlineData("http://math.stackexchange.com:8080/q/2", "math.stackexchange.com")]
    [InlineData("not a url", null)]
    public void DomainOfUrl(string url, string? domain) => Assert.Equal(domain, DomainCounts.DomainOf(url));

    [Fact]
    public void RulesFromThePaperAndTheCard()
    {
        var c = new DomainCounts();
        for (int i = 0; i < 12; i++) c.Add($"https://big.org/p{i}", scored: true);     // 12 scored of 212
        for (int i = 0; i < 200; i++) c.Add($"https://big.org/q{i}", scored: false);
        for (int i = 0; i < 10; i++) c.Add($"https://small.org/p{i}", scored: i < 3);  // 3 scored of 10 (30 %)
        c.Add("https://tiny.org/", scored: true);                                       // 1 of 1
        Assert.Equal(["big.org"], c.Recalled(new DomainRecallOptions { Rule = "count" }));
        Assert.Equal(["small.org"], c.Recalled(new DomainRecallOptions { Rule = "fraction" }));
        Assert.Equal(["small.org", "tiny.org"], c.Recalled(new DomainRecallOptions { Rule = "fraction", MinDomainPages = 1 }));

        var dir = TestPaths.NewTempDir();
        c.Save(Path.Combine(dir, "d.json"));
        var back = DomainCounts.Load(Path.Combine(dir, "d.json"));
        Assert.Equal(c.Entries, back.Entries);
        RecallList.Save(Path.Combine(dir, "r.txt"), ["big.org"]);
        var list = RecallList.Load(Path.Combine(dir, "r.txt"));
        Assert.True(list.Contains("http://www.big.org/anything"));
        Assert.False(list.Contains("http://small.org/"));
    }
}
