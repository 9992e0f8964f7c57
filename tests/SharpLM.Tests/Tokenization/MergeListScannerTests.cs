using System.Text;
using SharpLM.Tokenization;

namespace SharpLM.Tests.Tokenization;

/// <summary>
/// The merges scanner and the early merge resolver against the plain Utf8JsonReader path (the reference): the same
/// definition from the real Gemma 3 file and from files with unusual merge forms and section orders, and the same
/// errors from bad ones.
/// </summary>
public class MergeListScannerTests
{
    static TokenizerDefinition Parse(string json, bool scanner) => Parse(Encoding.UTF8.GetBytes(json), scanner);

    static TokenizerDefinition Parse(byte[] json, bool scanner)
    {
        TokenizerJsonReader.UseMergeScanner = scanner;
        try { return TokenizerJsonReader.Parse(json, "t.json"); }
        finally { TokenizerJsonReader.UseMergeScanner = true; }
    }

    static void AssertSame(TokenizerDefinition a, TokenizerDefinition b)
    {
        Assert.Equal(a.Pieces.Count, b.Pieces.Count);
        for (int id = 0; id < a.Pieces.Count; id++) Assert.True(a.Pieces.Utf8(id).SequenceEqual(b.Pieces.Utf8(id)), $"piece {id}");
        Assert.Equal(a.MergeLeft, b.MergeLeft);
        Assert.Equal(a.MergeRight, b.MergeRight);
        Assert.Equal(a.MergeResult, b.MergeResult);
        Assert.Equal(a.ModelVocabSize, b.ModelVocabSize);
        Assert.Equal(a.AddedTokens.Select(t => (t.Id, t.Content)), b.AddedTokens.Select(t => (t.Id, t.Content)));
    }

    [Fact]
    public void RealFileGivesTheSameDefinitionAsTheReader()
    {
        var bytes = File.ReadAllBytes(TestPaths.GemmaTokenizerJson);
        var fast = Parse(bytes, scanner: true);
        AssertSame(Parse(bytes, scanner: false), fast);
        Assert.Equal(262_145, fast.Pieces.Count);
        Assert.True(fast.MergeLeft.Length > 500_000);
    }

    const string Vocab = "\"vocab\":{\"a\":0,\"b\":1,\"ab\":2,\"\\n\":3,\"a\\n\":4,\"é\":5,\"aé\":6,\"\\\"\":7,\"a\\\"\":8,\"/\":9,\"a/\":10,\"x y\":11}";

    [Theory]
    // pairs, with and without whitespace, escapes (\n, \", \/, \u00e9, \u0061), non-ASCII
    [InlineData("[[\"a\",\"b\"],[\"a\",\"\\n\"],[\"a\",\"é\"],[\"a\",\"\\\"\"],[\"a\",\"\\/\"]]")]
    [InlineData("[\n  [\n    \"a\",\n    \"b\"\n  ],\r\n\t[ \"\\u0061\" , \"\\u00e9\" ]\n]")]
    // legacy "left right" strings, and the two forms mixed
    [InlineData("[\"a b\", \"a \\n\"]")]
    [InlineData("[\"a b\", [\"a\", \"é\"]]")]
    [InlineData("[]")]
    [InlineData("[ ]")]
    // a form the scanner leaves to the reader: a comment
    [InlineData("[/* c */[\"a\",\"b\"]]")]
    public void MergeFormsGiveTheSameDefinition(string merges)
    {
        foreach (string order in new[] { "added-first", "model-first" })
        {
            string model = $"\"model\":{{\"type\":\"BPE\",{Vocab},\"merges\":{merges}}}";
            string added = "\"added_tokens\":[{\"id\":12,\"content\":\"<x>\",\"special\":true}]";
            string json = order == "added-first" ? $"{{{added},{model}}}" : $"{{{model},{added}}}";
            AssertSame(Parse(json, scanner: false), Parse(json, scanner: true));
        }
    }

    [Fact]
    public void ManyBlocksOfMergesResolveInOrder()
    {
        // More merges than several resolver blocks, some repeated (the later rank wins), over a vocabulary of pairs.
        var sb = new StringBuilder("{\"added_tokens\":[],\"model\":{\"type\":\"BPE\",\"vocab\":{");
        int n = 0;
        var letters = Enumerable.Range(0, 200).Select(i => $"c{i:D3}").ToList();
        foreach (var l in letters) sb.Append($"\"{l}\":{n++},");
        var merges = new List<string>();
        for (int i = 0; i < 200 && merges.Count < 30_000; i++)
            for (int j = 0; j < 200 && merges.Count < 30_000; j++)
            {
                sb.Append($"\"{letters[i]}{letters[j]}\":{n++},");
                merges.Add($"[\"{letters[i]}\",\"{letters[j]}\"]");
            }
        merges.AddRange(merges.Take(100).ToList());
        sb.Length--;
        sb.Append("},\"merges\":[\n").Append(string.Join(",\n", merges)).Append("]}}");
        var a = Parse(sb.ToString(), scanner: false);
        var b = Parse(sb.ToString(), scanner: true);
        AssertSame(a, b);
        Assert.Equal(30_100, b.MergeLeft.Length);
    }

    [Theory]
    [InlineData("[[\"a\",\"b\"],[\"a\",\"c\"]]", "not in the vocabulary")]    // unknown piece
    [InlineData("[[\"b\",\"a\"]]", "not in the vocabulary")]                    // result not in the vocabulary
    [InlineData("[[\"a\",\"b\"],]", "JSON")]                                   // trailing comma
    [InlineData("[[\"a\",\"b\"]", "JSON")]                                     // truncated
    [InlineData("[[\"a\",\"b\",\"c\"]]", "exactly two")]
    [InlineData("[\"ab\"]", "one space")]
    [InlineData("[[\"a\\q\",\"b\"]]", "JSON")]                                 // bad escape
    public void BadMergesGiveTheReadersError(string merges, string expected)
    {
        string json = $"{{\"added_tokens\":[],\"model\":{{\"type\":\"BPE\",{Vocab},\"merges\":{merges}}}}}";
        var slow = Assert.Throws<SharpLMDataException>(() => Parse(json, scanner: false));
        var fast = Assert.Throws<SharpLMDataException>(() => Parse(json, scanner: true));
        Assert.Equal(slow.Message, fast.Message);
        Assert.Contains(expected, fast.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void ErrorsAfterTheMergesKeepTheirFileOffset()
    {
        string json = $"{{\"added_tokens\":[],\"model\":{{\"type\":\"BPE\",{Vocab},\"merges\":[[\"a\",\"b\"]],\"byte_fallback\":7}}}}";
        var slow = Assert.Throws<SharpLMDataException>(() => Parse(json, scanner: false));
        var fast = Assert.Throws<SharpLMDataException>(() => Parse(json, scanner: true));
        Assert.Equal(slow.Message, fast.Message);
        Assert.Equal(slow.Offset, fast.Offset);
    }
}
