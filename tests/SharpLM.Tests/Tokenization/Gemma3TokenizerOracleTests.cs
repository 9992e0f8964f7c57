using System.Text;
using SharpLM.Tokenization;

namespace SharpLM.Tests.Tokenization;

/// <summary>Exact equality with Hugging Face tokenizers (ids and decoded text) on hand-picked, generated and hostile input.</summary>
[Trait("Category", "Oracle")]
public class Gemma3TokenizerOracleTests
{
    static Gemma3Tokenizer Ours => GemmaTokenizers.Ours;

    static readonly string[] SampleTexts =
    [
        "", " ", "  ", "Hello world", " Hello world ", "Hello\nworld\n\n\nx", "\t\tindent\n  two", "x  y   z    w",
        "The quick brown fox jumps over the lazy dog.", "12345678901234567890", "3.14159 + 2.71828 = 5.85987",
        "日本語のテキストです。", "Привет, мир!", "مرحبا بالعالم", "🤷🏽‍♀️ 👨‍👩‍👧‍👦 🏳️‍🌈", "e\u0301\u0302\u0303 a\u0308",
        "<start_of_turn>user\nhi<end_of_turn>\n<start_of_turn>model\n", "<bos><eos><pad><unk><mask>[multimodal]",
        "<unused10><unused1><unused0>", "<start_of_image><image_soft_token><end_of_image>", "a<bos>b", "<<bos>>", "<start_of_turn",
        "$$\\int_0^1 x^2\\,dx = \\frac{1}{3}$$", "<div class=\"x\">text</div> <p>para</p>", "a\uFFFDb", "\u0000\u0001\u001f",
        "supercalifragilisticexpialidocious" + new string('a', 300), new string(' ', 100) + "x", new string('\n', 70),
        "a> </b", "x>▁</y", ">▁</", "▁▁x▁", "\uDBFF\uDFFF\U00010000",
    ];

    public static TheoryData<string> Samples => new(SampleTexts);

    [Theory]
    [MemberData(nameof(Samples))]
    public void SameIdsAsHuggingFace(string text) => GemmaTokenizers.AssertSameIds(text, "sample");

    [Fact]
    public void EveryAddedTokenInContextIsOneToken()
    {
        // Each of the 6,415 added tokens, glued to text on both sides, with spaces, and doubled; 100 per string.
        var tokens = Ours.AddedTokens;
        Assert.Equal(6415, tokens.Count);
        for (int i = 0; i < tokens.Count; i += 100)
        {
            var sb = new StringBuilder();
            foreach (var t in tokens.Skip(i).Take(100))
                sb.Append("x").Append(t.Content).Append("y ").Append(t.Content).Append(' ').Append(t.Content).Append(t.Content).Append('\n');
            GemmaTokenizers.AssertSameIds(sb.ToString(), $"added tokens {i}…");
        }
        var ids = Ours.Encode("a<start_of_turn>b<end_of_turn>");
        Assert.Contains(105, ids);
        Assert.Contains(106, ids);
    }

    [Fact]
    public void FuzzCorpusMatchesHuggingFace()
    {
        var strings = FuzzCorpus.Strings(seed: 20250301, count: 400);
        for (int i = 0; i < strings.Count; i++) GemmaTokenizers.AssertSameIds(strings[i], $"fuzz string {i}");
    }

    [Fact]
    public void VeryLongWordsMatchHuggingFace()
    {
        var rng = new Random(7);
        string letters = new(Enumerable.Range(0, 100_000).Select(_ => (char)rng.Next('a', 'z' + 1)).ToArray());
        string cjk = new(Enumerable.Range(0, 30_000).Select(_ => (char)rng.Next(0x4E00, 0x9FFF)).ToArray());
        string digits = new(Enumerable.Range(0, 20_000).Select(_ => (char)rng.Next('0', '9' + 1)).ToArray());
        GemmaTokenizers.AssertSameIds(letters, "100k letters");
        GemmaTokenizers.AssertSameIds(cjk, "30k CJK");
        GemmaTokenizers.AssertSameIds(digits, "20k digits");
        GemmaTokenizers.AssertSameIds(new string('=', 5000) + new string(' ', 5000) + new string('\t', 5000), "runs");
    }

    [Fact]
    public void LoneSurrogatesEncodeAsReplacementCharacter()
    {
        // HF receives UTF-8, so it can never see a lone surrogate; its bindings refuse such strings (Tokenizers.DotNet
        // throws). SharpLM encodes each lone surrogate as U+FFFD, as Encoding.UTF8 and Rust's lossy UTF-16 do.
        string[] texts = ["a\uD800b", "\uDC00", "x\uD83D", "\uDE00y", "\uD83D\uD83D\uDE00", "ok\uDBFF\uDFFF\uDC00!"];
        foreach (var t in texts)
        {
            string replaced = Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(t));
            Assert.Equal(GemmaTokenizers.OracleEncode(replaced), Ours.Encode(t));
        }
    }

    [Fact]
    public void InvalidUtf8DecodesLossilyAndNeverThrows()
    {
        var rng = new Random(11);
        for (int i = 0; i < 200; i++)
        {
            var bytes = new byte[rng.Next(i % 2 == 0 ? 20 : 1, 200)];
            rng.NextBytes(bytes);
            if (i % 2 == 0) Encoding.UTF8.GetBytes("valid prefix ✓ ").CopyTo(bytes, 0);
            // One U+FFFD per maximal invalid subsequence (Unicode's recommended practice; Rust's from_utf8_lossy).
            string lossy = Encoding.UTF8.GetString(bytes);
            Assert.Equal(GemmaTokenizers.OracleEncode(lossy), Ours.EncodeUtf8(bytes));
        }
    }

    [Fact]
    public void DecodeMatchesHuggingFaceOnRandomIds()
    {
        // Random ids, weighted towards byte tokens (238…493) so that valid and invalid byte runs both occur.
        var rng = new Random(5);
        for (int i = 0; i < 300; i++)
        {
            var ids = new int[rng.Next(1, 40)];
            for (int k = 0; k < ids.Length; k++)
                ids[k] = rng.Next(4) switch { 0 => rng.Next(238, 494), 1 => rng.Next(0xE2 + 238, 0xF0 + 238), 2 => rng.Next(0, 300), _ => rng.Next(0, Ours.VocabSize) };
            Assert.Equal(GemmaTokenizers.OracleDecode(ids), Ours.Decode(ids, skipSpecialTokens: true));
        }
    }

    [Fact]
    public void DecodeOfEncodeRoundTripsAsHuggingFace()
    {
        var texts = SampleTexts.Concat(FuzzCorpus.Strings(seed: 99, count: 200)).ToList();
        foreach (var t in texts)
        {
            var ids = Ours.Encode(t);
            string hf = GemmaTokenizers.OracleDecode(ids);
            Assert.Equal(hf, Ours.Decode(ids, skipSpecialTokens: true));
            // Nothing is lost without skipping specials, except that a literal ▁ in the text decodes as a space (as in HF).
            Assert.Equal(t.Replace('\u2581', ' '), Ours.Decode(ids));
        }
    }

    [Fact]
    public void AddBosPrependsBos()
    {
        Assert.Equal([2, 9259, 1902], Ours.Encode("Hello world", addBos: true));
        Assert.Equal([9259, 1902], Ours.Encode("Hello world"));
        Assert.Equal(2, Ours.BosId);
        Assert.Equal(1, Ours.EosId);
        Assert.Equal(106, Ours.EndOfTurnId);
        Assert.Equal(0, Ours.PadId);
        Assert.Equal(262145, Ours.VocabSize);
        Assert.Equal("<start_of_turn>", Ours.TokenText(105));
        Assert.Equal("▁world", Ours.TokenText(1902));
    }

    [Fact]
    public void BatchEqualsOneByOne()
    {
        var texts = FuzzCorpus.Strings(seed: 3, count: 300);
        var batch = Ours.EncodeBatch(texts, maxThreads: 2);
        for (int i = 0; i < texts.Count; i++) Assert.Equal(Ours.Encode(texts[i]), batch[i]);
    }
}
