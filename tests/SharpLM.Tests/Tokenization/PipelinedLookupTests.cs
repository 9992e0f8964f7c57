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
        // Pieces on the short-word table's edges: 7, 8 and 9 units with the ▁, Latin-1 and U+0080/U+0100 neighbours,
        // words of many ids (more than a short record holds), and control characters.
        texts.Add("the abcdefg abcdefgh naïveté façade über déjà-vu \u0080x \u0081y \u00FFz \u0100w ÆØÅ æøå ¿qué? 1234567 12345678 \u0001\u0002 \t\u007F");
        texts.Add(string.Join(' ', Enumerable.Range(0, 300).Select(i => new string((char)(0xC0 + i % 60), 1 + i % 9))));
        texts.Add(string.Join(' ', Enumerable.Range(0, 300).Select(i => $"{(char)('a' + i % 26)}{(char)(0xE0 + i % 30)}{i}")));
        return texts;
    }

    [Fact]
    public void ShortWordTableOnAndOffGiveHuggingFaceIdsColdAndWarm()
    {
        var texts = Texts();
        var expected = texts.Select(GemmaTokenizers.OracleEncode).ToList();
        foreach (var (startWithTable, narrowTags) in new[] { (true, true), (false, false) })
        {
            // A fresh tokenizer per order: cold with the table (pieces BPE'd and stored in both tables), or cold without it
            // and then warm with it (front-table misses found in the records and copied forward), then warm from the table;
            // the records with 16-bit tags in one, 32-bit ones in the other.
            var tok = Gemma3Tokenizer.Load(TestPaths.GemmaTokenizerJson);
            tok.NarrowTags = narrowTags;
            var passes = startWithTable
                ? new[] { (true, true, "cold, table"), (true, true, "warm, table"), (false, true, "warm, table, one by one"), (true, false, "warm, records only") }
                : new[] { (true, false, "cold, records only"), (true, true, "warm records, cold table"), (true, true, "warm, table"), (false, true, "warm, table, one by one") };
            foreach (var (pipelined, table, pass) in passes)
            {
                tok.PipelinedLookups = pipelined;
                tok.ShortWords = table;
                long before = tok.ShortWordHits();
                Assert.Equal(narrowTags, tok.Encoder.WordCache?.NarrowTags ?? narrowTags);
                for (int i = 0; i < texts.Count; i++)
                    Assert.True(expected[i].AsSpan().SequenceEqual(tok.Encode(texts[i])), $"{pass}: text {i} ({texts[i].Length} chars) differs from HF");
                long answered = tok.ShortWordHits() - before;
                if (!table) Assert.Equal(0, answered);
                else if (pass.StartsWith("warm, table", StringComparison.Ordinal)) Assert.True(answered > 1000, $"{pass}: only {answered} pieces from the short-word table");
            }
        }
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
