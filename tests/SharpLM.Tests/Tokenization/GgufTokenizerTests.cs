using SharpLM.Tokenization;

namespace SharpLM.Tests.Tokenization;

/// <summary>
/// tokenizer.json → GGUF metadata (<see cref="Gemma3Tokenizer.ToGguf"/>) → tokenizer (<see cref="Gemma3Tokenizer.FromGguf"/>)
/// gives the same ids: the scores written must rebuild Hugging Face's merge order exactly.
/// </summary>
public class GgufTokenizerTests
{
    static readonly Lazy<(GgufTokenizerData Data, Gemma3Tokenizer Tok)> s_roundTrip = new(() =>
    {
        var data = GemmaTokenizers.Ours.ToGguf();
        return (data, Gemma3Tokenizer.FromGguf(data, "test.gguf"));
    });

    [Fact]
    public void MetadataDescribesGemma()
    {
        var g = s_roundTrip.Value.Data;
        Assert.Equal("llama", g.Model);
        Assert.Equal(262145, g.Tokens.Count);
        Assert.Equal(g.Tokens.Count, g.Scores.Count);
        Assert.Equal(g.Tokens.Count, g.TokenTypes.Count);
        Assert.Null(g.Merges);
        Assert.Equal((2, 1, 3, 0), (g.BosId, g.EosId, g.UnknownId, g.PaddingId));
        Assert.True(g.AddBos);
        Assert.False(g.AddEos);
        Assert.False(g.AddSpacePrefix);
        Assert.Equal("<start_of_turn>", g.Tokens[105]);
        Assert.Equal(GgufTokenizerData.TokenType.Control, g.TokenTypes[105]);
        Assert.Equal(GgufTokenizerData.TokenType.Control, g.TokenTypes[106]);
        Assert.Equal(GgufTokenizerData.TokenType.Control, g.TokenTypes[2]);
        Assert.Equal(GgufTokenizerData.TokenType.Unknown, g.TokenTypes[3]);
        Assert.Equal(GgufTokenizerData.TokenType.UserDefined, g.TokenTypes[6]);     // <unused0>
        Assert.Equal(GgufTokenizerData.TokenType.Byte, g.TokenTypes[238]);          // <0x00>
        Assert.Equal(GgufTokenizerData.TokenType.Normal, g.TokenTypes[1902]);       // ▁world
        Assert.Contains("<start_of_turn>", g.ChatTemplate);
        // A piece made earlier in the merge order scores higher.
        Assert.True(g.Scores[1902] > g.Scores[200_000] || g.Scores[200_000] == 0);
    }

    [Fact]
    public void SameIdsAsTokenizerJson()
    {
        var (_, fromGguf) = s_roundTrip.Value;
        var ours = GemmaTokenizers.Ours;
        Assert.Equal(ours.VocabSize, fromGguf.VocabSize);
        Assert.Equal(ours.Definition.MergeLeft, fromGguf.Definition.MergeLeft);
        Assert.Equal(ours.Definition.MergeRight, fromGguf.Definition.MergeRight);
        var texts = FuzzCorpus.Strings(seed: 42, count: 200)
            .Concat(SharedDataCorpus.Texts("text-corpus/openlogic.tex.txt").Take(40))
            .Concat(SharedDataCorpus.Texts("gsm8k/test.jsonl").Take(200))
            .Append(string.Concat(ours.AddedTokens.Select(t => t.Content + " x")));
        foreach (var t in texts)
        {
            Assert.Equal(ours.Encode(t), fromGguf.Encode(t));
            Assert.Equal(ours.Encode(t, parseSpecial: false), fromGguf.Encode(t, parseSpecial: false));
        }
        Assert.Equal(ours.Decode([2, 9259, 1902, 106, 238 + 0xE2, 238 + 0x82, 238 + 0xAC]), fromGguf.Decode([2, 9259, 1902, 106, 238 + 0xE2, 238 + 0x82, 238 + 0xAC]));
        Assert.Equal((ours.BosId, ours.EosId, ours.EndOfTurnId, ours.PadId), (fromGguf.BosId, fromGguf.EosId, fromGguf.EndOfTurnId, fromGguf.PadId));
        for (int id = 0; id < ours.VocabSize; id += 997) Assert.Equal(ours.IsSpecial(id), fromGguf.IsSpecial(id));
    }

    [Fact]
    public void GgufFileWrittenByTheProjectGivesTheSameIds()
    {
        // The GGUF writer and reader of Formats/Gguf, end to end: tokenizer.json → ToGguf → file → Load(file).
        string dir = TestPaths.NewTempDir();
        string path = Path.Combine(dir, "tokenizer-only.gguf");
        var w = new SharpLM.Formats.Gguf.GgufWriter();
        w.Set("general.architecture", SharpLM.Formats.Gguf.GgufValue.String("gemma3"));
        w.SetTokenizer(s_roundTrip.Value.Data);
        w.Write(path);
        var fromFile = Gemma3Tokenizer.Load(path);
        var ours = GemmaTokenizers.Ours;
        foreach (var t in FuzzCorpus.Strings(seed: 4, count: 100).Concat(SharedDataCorpus.Texts("math/math500_test.jsonl").Take(100)))
            Assert.Equal(ours.Encode(t, addBos: true), fromFile.Encode(t, addBos: true));
        Assert.Equal(ours.Encode("<start_of_turn>user\nhi<end_of_turn>"), Gemma3Tokenizer.Load(dir).Encode("<start_of_turn>user\nhi<end_of_turn>"));
        Assert.Equal(s_roundTrip.Value.Data.ChatTemplate, fromFile.ChatTemplateSource);
    }

    [Fact]
    public void BadMetadataIsRefusedWithAClearError()
    {
        var g = s_roundTrip.Value.Data;
        var e = Assert.Throws<SharpLMDataException>(() => Gemma3Tokenizer.FromGguf(g with { Model = "gpt2" }, "m.gguf"));
        Assert.Contains("gpt2", e.Message);
        Assert.StartsWith("m.gguf", e.Message);
        Assert.Throws<SharpLMDataException>(() => Gemma3Tokenizer.FromGguf(g with { Scores = g.Scores.Take(10).ToArray() }, "m.gguf"));
        Assert.Throws<SharpLMDataException>(() => Gemma3Tokenizer.FromGguf(g with { BosId = 999_999 }, "m.gguf"));
        var dupTokens = g.Tokens.ToArray();
        dupTokens[500] = dupTokens[501];
        e = Assert.Throws<SharpLMDataException>(() => Gemma3Tokenizer.FromGguf(g with { Tokens = dupTokens }, "m.gguf"));
        Assert.Contains("twice", e.Message);
        var badTypes = g.TokenTypes.ToArray();
        badTypes[7] = 42;
        Assert.Throws<SharpLMDataException>(() => Gemma3Tokenizer.FromGguf(g with { TokenTypes = badTypes }, "m.gguf"));
    }

    [Fact]
    public void SmallHandMadeVocabularyRoundTrips()
    {
        // Scores decide the merge order: "ab" (−1) before "bc" (−2), so "abc" → ab + c.
        var data = new GgufTokenizerData
        {
            Tokens = ["<pad>", "<eos>", "<bos>", "<unk>", "a", "b", "c", "ab", "bc", "▁", "<0x41>"],
            Scores = [0, 0, 0, 0, 0, 0, 0, -1, -2, 0, 0],
            TokenTypes = [3, 3, 3, 2, 1, 1, 1, 1, 1, 1, 6],
        };
        var t = Gemma3Tokenizer.FromGguf(data);
        Assert.Equal([7, 6], t.Encode("abc"));
        var swapped = Gemma3Tokenizer.FromGguf(data with { Scores = [0, 0, 0, 0, 0, 0, 0, -2, -1, 0, 0] });
        Assert.Equal([4, 8], swapped.Encode("abc"));
        Assert.Equal([2, 10, 9, 4], t.Encode("A a", addBos: true));           // 'A' → <0x41> byte fallback
        Assert.Equal("abc", t.Decode(t.Encode("abc")));
        var back = Gemma3Tokenizer.FromGguf(t.ToGguf());
        Assert.Equal(t.Encode("abcab ca"), back.Encode("abcab ca"));
    }
}
