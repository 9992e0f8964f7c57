using System.Text;
using SharpLM.Tokenization;

namespace SharpLM.Tests.Tokenization;

public class StreamingDetokenizerTests
{
    static Gemma3Tokenizer Tok => GemmaTokenizers.Ours;

    static string Stream(StreamingDetokenizer d, IEnumerable<int> ids)
    {
        var sb = new StringBuilder();
        foreach (int id in ids) sb.Append(d.Push(id));
        return sb.Append(d.Flush()).ToString();
    }

    [Fact]
    public void ConcatenationEqualsDecode()
    {
        var texts = FuzzCorpus.Strings(seed: 21, count: 300).Concat(SharedDataCorpus.Texts("math/math500_test.jsonl").Take(100));
        var d = Tok.NewStreamingDetokenizer();
        var skipping = Tok.NewStreamingDetokenizer(skipSpecialTokens: true);
        foreach (var t in texts)
        {
            var ids = Tok.Encode(t, addBos: true);
            Assert.Equal(Tok.Decode(ids), Stream(d, ids));
            Assert.Equal(Tok.Decode(ids, skipSpecialTokens: true), Stream(skipping, ids));
        }
    }

    [Fact]
    public void ByteFallbackCharactersComeOutWhole()
    {
        // U+1FAE8 is not in the vocabulary: it is encoded as its four UTF-8 bytes.
        var ids = Tok.Encode("a\U0001FAE8b");
        Assert.Equal(6, ids.Length);
        var d = Tok.NewStreamingDetokenizer();
        var pieces = ids.Select(d.Push).ToList();
        Assert.Equal(["a", "", "", "", "\U0001FAE8", "b"], pieces);
        Assert.Equal("", d.Flush());
    }

    [Fact]
    public void InvalidBytesBecomeReplacementCharactersWithoutLosingText()
    {
        int B(int b) => 238 + b;   // <0xNN>
        var d = Tok.NewStreamingDetokenizer();
        // é (C3 A9), then a stray continuation byte, then an unfinished 3-byte sequence cut by a normal token.
        var ids = new[] { B(0xC3), B(0xA9), B(0x80), B(0xE2), B(0x82), 9259 };
        Assert.Equal("é\uFFFD\uFFFD\uFFFDHello", Stream(d, ids));
        // Flush turns an unfinished tail into U+FFFD per byte, and the detokenizer starts over.
        Assert.Equal("", d.Push(B(0xF0)));
        Assert.Equal("\uFFFD", d.Flush());
        Assert.Equal("x", d.Push(Tok.Encode("x")[0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => d.Push(Tok.VocabSize));
    }
}
