using System.Text;
using SharpLM.Tokenization;

namespace SharpLM.Tests.Tokenization;

/// <summary>
/// The encoder looks pieces up in blocks (cut and hash a block of pieces while prefetching their cache lines, then look
/// them up in order): on a cold cache (every piece a miss, BPE'd and stored while later pieces of the block are still
/// pending), on a warm one, and with the plain one-by-one path, the ids are Hugging Face's — for real text, generated
/// hostile text, and words that put piece counts and piece lengths on every boundary of the block logic.
/// </summary>
[Trait("Category", "Oracle")]
public class PipelinedLookupTests
{
    static List<string> Texts()
    {
        var texts = new List<string>();
        foreach (var file in new[] { "text-corpus/tinyshakespeare.txt", "text-corpus/openlogic.tex.txt", "gsm8k/train.jsonl", "math/test.jsonl" })
            texts.AddRange(SharedDataCorpus.Texts(file).SelectMany(t => SharedDataCorpus.Chunks(t, 4096)).Take(12));
        texts.AddRange(FuzzCorpus.Strings(seed: 23, count: 150));
        int block = EncoderScratch.PieceBlock;
        foreach (int pieces in new[] { 1, 2, block - 1, block, block + 1, 2 * block, 2 * block + 1, 5 * block + 3 })
        {
            // Words of every length class: one unit, a record's longest, too long for a record, too long for any cache.
            var sb = new StringBuilder();
            for (int k = 0; k < pieces; k++)
            {
                int length = (k % 5) switch { 0 => 1, 1 => 7, 2 => SharedWordCache.MaxWordLength, 3 => SharedWordCache.MaxWordLength + 5, _ => LongWordCache.MaxWordLength + 9 };
                if (k > 0) sb.Append(' ');
                for (int c = 0; c < length; c++) sb.Append((char)('a' + (k * 7 + c * 3) % 26));
            }
            texts.Add(sb.ToString());
            texts.Add("  " + sb.ToString().Replace(" ", "   ") + "  ");   // runs of spaces: no cut after ▁
        }
        return texts;
    }

    [Fact]
    public void BlocksAndOneByOneGiveHuggingFaceIdsColdAndWarm()
    {
        var texts = Texts();
        var expected = texts.Select(GemmaTokenizers.OracleEncode).ToList();
        var tok = Gemma3Tokenizer.Load(TestPaths.GemmaTokenizerJson);   // its own cache: the first pass starts cold
        Assert.True(tok.PipelinedLookups);
        foreach (var (pipelined, pass) in new[] { (true, "cold"), (true, "warm"), (false, "warm, one by one") })
        {
            tok.PipelinedLookups = pipelined;
            for (int i = 0; i < texts.Count; i++)
                Assert.True(expected[i].AsSpan().SequenceEqual(tok.Encode(texts[i])), $"{pass}: text {i} ({texts[i].Length} chars) differs from HF");
        }
    }
}
