using SharpLM.Tokenization;

namespace SharpLM.Tests.Tokenization;

/// <summary>Exact id equality with Hugging Face tokenizers on hand-picked text.</summary>
[Trait("Category", "Oracle")]
public class Gemma3TokenizerOracleTests
{
    public static TheoryData<string> Samples => new()
    {
        "", " ", "  ", "Hello world", " Hello world ", "Hello\nworld\n\n\nx", "\t\tindent\n  two", "x  y   z    w",
        "The quick brown fox jumps over the lazy dog.", "12345678901234567890", "3.14159 + 2.71828 = 5.85987",
        "日本語のテキストです。", "Привет, мир!", "مرحبا بالعالم", "🤷🏽‍♀️ 👨‍👩‍👧‍👦 🏳️‍🌈", "e\u0301\u0302\u0303 a\u0308",
        "<start_of_turn>user\nhi<end_of_turn>\n<start_of_turn>model\n", "<bos><eos><pad><unk><mask>[multimodal]",
        "<unused10><unused1><unused0>", "<start_of_image><image_soft_token><end_of_image>", "a<bos>b", "<<bos>>", "<start_of_turn",
        "$$\\int_0^1 x^2\\,dx = \\frac{1}{3}$$", "<div class=\"x\">text</div> <p>para</p>", "a\uFFFDb", "\u0000\u0001\u001f",
        "supercalifragilisticexpialidocious" + new string('a', 300), new string(' ', 100) + "x", new string('\n', 70),
    };

    [Theory]
    [MemberData(nameof(Samples))]
    public void SameIdsAsHuggingFace(string text) => GemmaTokenizers.AssertSameIds(text, "sample");
}
