namespace SharpLM.Tests.Tokenization;

/// <summary>
/// Exact id equality with Hugging Face tokenizers on the real text in ../shared/data. The default suite checks a
/// fixed sample of every file (every 8th string, about 3 MB in all); the Slow variant checks everything.
/// </summary>
[Trait("Category", "Oracle")]
public class SharedDataOracleTests
{
    public static TheoryData<string> Files => new(SharedDataCorpus.Files());

    [Theory]
    [MemberData(nameof(Files))]
    public void SampleOfEveryFileMatchesHuggingFace(string file) => Check(file, stride: 8);

    [Theory]
    [Trait("Category", "Slow")]
    [MemberData(nameof(Files))]
    public void EveryStringMatchesHuggingFace(string file) => Check(file, stride: 1);

    static void Check(string file, int stride)
    {
        int i = 0, checkedCount = 0;
        foreach (var text in SharedDataCorpus.Texts(file))
        {
            if (i++ % stride != 0) continue;
            GemmaTokenizers.AssertSameIds(text, $"{file} string {i - 1}");
            checkedCount++;
        }
        Assert.True(checkedCount > 0, $"{file}: no text");
    }
}
