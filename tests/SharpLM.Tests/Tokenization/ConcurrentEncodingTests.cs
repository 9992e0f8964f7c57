using SharpLM.Tokenization;

namespace SharpLM.Tests.Tokenization;

/// <summary>
/// Many threads encoding different texts with one tokenizer (whose word cache all of them fill and read at once)
/// get exactly Hugging Face's ids, through <c>Encode</c>, <c>EncodeBatch</c> (an array per text) and
/// <c>EncodeBatch</c> into a reused <see cref="TokenBatch"/>.
/// </summary>
[Trait("Category", "Oracle")]
public class ConcurrentEncodingTests
{
    // Real prose, LaTeX and math word problems in ~1 KB chunks, plus hostile generated text.
    static readonly Lazy<(List<string> Texts, List<int[]> Expected)> s_corpus = new(() =>
    {
        var texts = new List<string>();
        foreach (var file in new[] { "text-corpus/tinyshakespeare.txt", "text-corpus/openlogic.tex.txt", "gsm8k/train.jsonl", "math/test.jsonl" })
            texts.AddRange(SharedDataCorpus.Texts(file).SelectMany(t => SharedDataCorpus.Chunks(t, 1024)).Take(60));
        texts.AddRange(FuzzCorpus.Strings(seed: 11, count: 120));
        return (texts, texts.Select(GemmaTokenizers.OracleEncode).ToList());
    });

    [Fact]
    public void EightThreadsOnAFreshTokenizerGiveHuggingFaceIds()
    {
        var (texts, expected) = s_corpus.Value;
        // A tokenizer of its own: its cache starts empty, so the threads race to fill the same sets.
        var tok = Gemma3Tokenizer.Load(TestPaths.GemmaTokenizerJson);
        const int threads = 8;
        var failures = new List<string>();
        using var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            var list = new List<int>();
            for (int round = 0; round < 2; round++)
                for (int k = 0; k < texts.Count; k++)
                {
                    int i = (k * (2 * t + 1) + t * 37) % texts.Count;   // each thread its own order
                    list.Clear();
                    tok.Encode(texts[i].AsSpan(), list);
                    if (!list.SequenceEqual(expected[i])) lock (failures) failures.Add($"thread {t} round {round} text {i}");
                }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        Assert.Empty(failures);
    }

    [Fact]
    public void BatchesGiveHuggingFaceIds()
    {
        var (texts, expected) = s_corpus.Value;
        var tok = Gemma3Tokenizer.Load(TestPaths.GemmaTokenizerJson);
        var arrays = tok.EncodeBatch(texts, maxThreads: 4);
        Assert.Equal(texts.Count, arrays.Length);
        for (int i = 0; i < texts.Count; i++) Assert.Equal(expected[i], arrays[i]);

        // One TokenBatch reused: a big batch, a smaller one, then an empty one; on several workers (ids copied into
        // place) and on one (its part's array taken as the batch's, swapped back and forth across batches).
        var batch = new TokenBatch();
        foreach (int workers in new[] { 4, 1, 4, 1, 1 })
            foreach (var (from, count) in new[] { (0, texts.Count), (17, 40), (0, 0), (3, 1) })
            {
                var part = texts.GetRange(from, count);
                tok.EncodeBatch(part, batch, maxThreads: workers);
                Assert.Equal(count, batch.Count);
                Assert.Equal(count + 1, batch.Offsets.Length);
                Assert.Equal(0, batch.Offsets[0]);
                Assert.Equal(batch.TokenCount, batch.Ids.Length);
                for (int i = 0; i < count; i++) Assert.Equal(expected[from + i], batch[i].ToArray());
            }
        tok.EncodeBatch([], batch, maxThreads: 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => batch[0].Length);
    }

    [Fact]
    public void BatchesWithBosAndWithoutSpecialTokensEqualEncode()
    {
        var texts = new List<string> { "<start_of_turn>user\nHi<end_of_turn>", "", "x<bos>y", "plain text" };
        var tok = GemmaTokenizers.Ours;
        var batch = new TokenBatch();
        foreach (var (bos, special) in new[] { (true, true), (false, false), (true, false) })
        {
            var arrays = tok.EncodeBatch(texts, addBos: bos, parseSpecial: special, maxThreads: 2);
            tok.EncodeBatch(texts, batch, addBos: bos, parseSpecial: special, maxThreads: 2);
            for (int i = 0; i < texts.Count; i++)
            {
                var one = tok.Encode(texts[i], addBos: bos, parseSpecial: special);
                Assert.Equal(one, arrays[i]);
                Assert.Equal(one, batch[i].ToArray());
            }
        }
    }
}
