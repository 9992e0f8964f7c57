using System.Text;

namespace SharpLM.Tests.Tokenization;

/// <summary>
/// Generated hostile text (fixed seed, so every run checks the same strings): characters from every Unicode
/// plane, stacks of combining marks, emoji ZWJ and skin-tone sequences, runs of spaces/tabs/newlines, control
/// characters, text that looks like special tokens, byte-token look-alikes and very long single words.
/// </summary>
public static class FuzzCorpus
{
    public static List<string> Strings(int seed, int count)
    {
        var rng = new Random(seed);
        var list = new List<string>(count);
        for (int i = 0; i < count; i++) list.Add(One(rng, i));
        return list;
    }

    static string One(Random rng, int i)
    {
        var sb = new StringBuilder();
        int parts = rng.Next(1, 12);
        for (int p = 0; p < parts; p++)
        {
            switch ((i + p * 7 + rng.Next(16)) % 16)
            {
                case 0: AppendRandomCodePoints(sb, rng, 0x20, 0x7F, rng.Next(1, 40)); break;                // ASCII
                case 1: AppendRandomCodePoints(sb, rng, 0xA0, 0x2FFF, rng.Next(1, 20)); break;              // Latin … symbols
                case 2: AppendRandomCodePoints(sb, rng, 0x3000, 0x9FFF, rng.Next(1, 30)); break;            // CJK
                case 3: AppendRandomCodePoints(sb, rng, 0xAC00, 0xD7A3, rng.Next(1, 10)); break;            // Hangul
                case 4: AppendRandomCodePoints(sb, rng, 0xE000, 0xFFFD, rng.Next(1, 8)); break;             // private use, specials
                case 5: AppendRandomCodePoints(sb, rng, 0x10000, 0x10FFFF, rng.Next(1, 8)); break;          // every supplementary plane
                case 6: AppendRandomCodePoints(sb, rng, 0x1F300, 0x1FAFF, rng.Next(1, 8)); break;           // emoji
                case 7:                                                                                       // combining stacks
                    sb.Append((char)rng.Next('a', 'z' + 1));
                    AppendRandomCodePoints(sb, rng, 0x300, 0x36F, rng.Next(1, 12));
                    break;
                case 8: sb.Append(Pick(rng, Emoji)); break;
                case 9: sb.Append(Pick(rng, [" ", "  ", "\t", "\n", "\r\n", "\n\n\n", "\u00A0", "\u3000", " \t \n "])).Append(new string(Pick(rng, [' ', '\t', '\n']), rng.Next(0, 40))); break;
                case 10: AppendRandomCodePoints(sb, rng, 0x0, 0x1F, rng.Next(1, 6)); break;                 // control characters
                case 11: sb.Append(Pick(rng, LookAlikes)); break;
                case 12: sb.Append(Pick(rng, ["x", "ab", "é", "日", "🙂", "0"])[0..].PadRight(rng.Next(50, 3000), 'z')); break; // long words
                case 13: AppendRandomCodePoints(sb, rng, 0x590, 0x6FF, rng.Next(1, 30)); break;             // Hebrew, Arabic
                case 14: sb.Append(rng.Next(0, 1_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(Pick(rng, [".", ",", "e-", "/", " "])); break;
                default: sb.Append(Pick(rng, Words)).Append(' '); break;
            }
        }
        return sb.ToString();
    }

    static void AppendRandomCodePoints(StringBuilder sb, Random rng, int lo, int hi, int n)
    {
        for (int k = 0; k < n; k++)
        {
            int cp = rng.Next(lo, hi + 1);
            if (cp is >= 0xD800 and <= 0xDFFF) cp = 0xFFFD;   // surrogates are not code points; lone ones are tested separately
            sb.Append(char.ConvertFromUtf32(cp));
        }
    }

    static T Pick<T>(Random rng, T[] items) => items[rng.Next(items.Length)];

    static readonly string[] Emoji =
    [
        "👨‍👩‍👧‍👦", "🏳️‍🌈", "🤷🏽‍♀️", "👍🏿", "🇯🇵🇫🇷", "❤️‍🔥", "🧑‍💻", "1️⃣", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "👩🏻‍❤️‍💋‍👨🏼",
    ];

    static readonly string[] LookAlikes =
    [
        "<bos>", "<eos>", "<start_of_turn>", "<end_of_turn>", "<start_of_turn>user\n", "<unused0>", "<unused99>", "<unused6241>",
        "<start_of_image>", "<image_soft_token>", "<mask>", "[multimodal]", "<pad>", "<unk>", "<0x41>", "<0xE2><0x96><0x81>",
        "<bos", "bos>", "<<bos>>", "<unused", "<unused62410>", "</s>", "<s>", "<|endoftext|>", "▁", "▁▁▁", "<div>", "</iframe>",
    ];

    static readonly string[] Words =
    [
        "the", "tokenizer", "Gemma", "integral", "∫", "x^2", "\\frac{a}{b}", "naïve", "coöperate", "straße", "İstanbul",
        "Ångström", "ﬁ", "ＡＢＣ", "①②", "½", "™", "…", "—", "«»", "„“", "¿", "ǅ",
    ];
}
