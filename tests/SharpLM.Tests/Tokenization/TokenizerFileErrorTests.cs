using SharpLM.Tokenization;

namespace SharpLM.Tests.Tokenization;

/// <summary>Corrupt, truncated and unsupported tokenizer files: always a <see cref="SharpLMDataException"/> naming the file.</summary>
public class TokenizerFileErrorTests
{
    static string Write(string json)
    {
        string p = Path.Combine(TestPaths.NewTempDir(), "tokenizer.json");
        File.WriteAllText(p, json);
        return p;
    }

    const string Good = """
        {"added_tokens":[{"id":0,"content":"<bos>","special":true}],
         "normalizer":{"type":"Replace","pattern":{"String":" "},"content":"▁"},
         "pre_tokenizer":null,
         "decoder":{"type":"Sequence","decoders":[{"type":"Replace","pattern":{"String":"▁"},"content":" "},{"type":"ByteFallback"},{"type":"Fuse"}]},
         "model":{"type":"BPE","unk_token":null,"byte_fallback":true,"vocab":{"<bos>":0,"a":1,"b":2,"ab":3,"▁":4},"merges":[["a","b"]]}}
        """;

    [Fact]
    public void SmallValidFileLoads()
    {
        var t = Gemma3Tokenizer.Load(Write(Good));
        Assert.Equal([0, 3, 4, 3], t.Encode("<bos>ab ab"));
        Assert.Equal("<bos>ab ab", t.Decode([0, 3, 4, 3]));
        // Characters outside the vocabulary with no byte pieces and no unknown token are dropped, as HF does.
        Assert.Equal([3], t.Encode("xab"));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("{", "JSON")]
    [InlineData("[1,2]", "object")]
    [InlineData("{\"model\":{\"type\":\"Unigram\",\"vocab\":[[\"a\",0.0]]}}", "Unigram")]
    [InlineData("{\"model\":{\"type\":\"WordPiece\",\"vocab\":{}}}", "WordPiece")]
    [InlineData("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":0},\"merges\":[]}}", "id 0")]
    [InlineData("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":2},\"merges\":[]}}", "missing")]
    [InlineData("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"a\":1},\"merges\":[]}}", "twice")]
    [InlineData("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":1},\"merges\":[[\"a\",\"b\"]]}}", "not in the vocabulary")]
    [InlineData("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":1},\"merges\":[[\"a\",\"c\"]]}}", "not in the vocabulary")]
    [InlineData("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[\"a\"]}}", "one space")]
    [InlineData("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":\"zero\"}}}", "integer id")]
    [InlineData("{\"model\":{\"type\":\"BPE\",\"dropout\":0.1,\"vocab\":{\"a\":0}}}", "dropout")]
    [InlineData("{\"model\":{\"type\":\"BPE\",\"unk_token\":\"<unk>\",\"vocab\":{\"a\":0}}}", "unk_token")]
    [InlineData("{\"added_tokens\":[{\"id\":0,\"content\":\"x\"}],\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0}}}", "gives to")]
    [InlineData("{\"normalizer\":{\"type\":\"NFKC\"},\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0}}}", "NFKC")]
    [InlineData("{\"pre_tokenizer\":{\"type\":\"ByteLevel\"},\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0}}}", "ByteLevel")]
    [InlineData("{\"pre_tokenizer\":{\"type\":\"Split\",\"pattern\":{\"Regex\":\"\\\\s+\"},\"behavior\":\"Isolated\"},\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0}}}", "regex")]
    [InlineData("{\"decoder\":{\"type\":\"WordPiece\"},\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0}}}", "WordPiece")]
    [InlineData("{\"post_processor\":{\"type\":\"RobertaProcessing\"},\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0}}}", "Roberta")]
    [InlineData("{\"truncation\":null}", "model")]
    public void BadFilesGiveAClearError(string json, string expected)
    {
        string p = Write(json);
        var e = Assert.Throws<SharpLMDataException>(() => Gemma3Tokenizer.Load(p));
        Assert.Equal(p, e.Path);
        Assert.Contains(expected, e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void TruncatedRealFileGivesAClearError()
    {
        var bytes = File.ReadAllBytes(TestPaths.GemmaTokenizerJson);
        string dir = TestPaths.NewTempDir();
        foreach (int cut in new[] { 10, 1000, 3_000_000, bytes.Length - 3 })
        {
            string p = Path.Combine(dir, $"cut{cut}.json");
            File.WriteAllBytes(p, bytes[..cut]);
            var e = Assert.Throws<SharpLMDataException>(() => Gemma3Tokenizer.Load(p));
            Assert.Equal(p, e.Path);
        }
    }

    [Fact]
    public void MissingFileOrDirectoryWithoutTokenizer()
    {
        string dir = TestPaths.NewTempDir();
        Assert.Contains("not found", Assert.Throws<SharpLMDataException>(() => Gemma3Tokenizer.Load(Path.Combine(dir, "nope.json"))).Message);
        Assert.Contains("no tokenizer.json", Assert.Throws<SharpLMDataException>(() => Gemma3Tokenizer.Load(dir)).Message);
    }
}
