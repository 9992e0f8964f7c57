using SharpLM.Tokenization;

namespace SharpLM.Tests.Tokenization;

/// <summary>
/// <see cref="TokenBatch"/>'s two output protocols give Hugging Face's ids through every accessor: ids left in the
/// workers' parts (the default; <c>this[i]</c> reads them there, <see cref="TokenBatch.Ids"/> is built on first demand)
/// and the session-9 placing pass (<c>SHARPLM_TOKENIZER_PLACE_IDS=1</c>), on 1, 2 and 3 threads, with empty texts,
/// many tiny ones and one huge one, and one batch instance reused across batches of both protocols.
/// </summary>
public class TokenBatchTests
{
    // Empty texts, 300 tiny ones (1–6 characters of real text), real ~700-byte chunks, hostile generated text and one
    // ~300 KB text, shuffled with a fixed seed so that empty, tiny and huge texts sit between ordinary ones.
    static readonly Lazy<(List<string> Texts, List<int[]> Expected)> s_corpus = new(() =>
    {
        var prose = string.Concat(SharedDataCorpus.Texts("text-corpus/tinyshakespeare.txt"));
        var texts = new List<string> { "", "", "" };
        var rng = new Random(41);
        for (int k = 0; k < 300; k++) texts.Add(prose.Substring(rng.Next(prose.Length - 8), 1 + rng.Next(6)));
        foreach (var file in new[] { "text-corpus/openlogic.tex.txt", "gsm8k/train.jsonl" })
            texts.AddRange(SharedDataCorpus.Texts(file).SelectMany(t => SharedDataCorpus.Chunks(t, 700)).Take(30));
        texts.AddRange(FuzzCorpus.Strings(seed: 29, count: 30));
        texts.Add(prose[..Math.Min(prose.Length, 300_000)]);
        texts = texts.OrderBy(_ => rng.Next()).ToList();
        texts.Add("");   // an empty last text: the batch's last offset must still be its total
        return (texts, texts.Select(GemmaTokenizers.OracleEncode).ToList());
    });

    static readonly Lazy<Gemma3Tokenizer> s_tok = new(() => Gemma3Tokenizer.Load(TestPaths.GemmaTokenizerJson));

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void BothProtocolsGiveHuggingFaceIdsThroughEveryAccessor(int threads)
    {
        var (texts, expected) = s_corpus.Value;
        using var workers = new BatchWorkers(threads);
        TokenizerOnWorkers.Run(s_tok, workers, tok =>
        {
            var batch = new TokenBatch();
            // Alternating protocols on one instance, with a smaller batch in between (its Ids built, when lazy, so
            // the big batch follows a built buffer): a batch must never show the previous one's buffer or parts.
            foreach (bool place in new[] { false, true, false, false, true })
            {
                tok.PlaceIds = place;
                tok.EncodeBatch(texts.GetRange(5, 40), batch, maxThreads: threads);
                AssertBatch(batch, expected.GetRange(5, 40), $"{threads} threads, place={place}, 40 texts");

                tok.EncodeBatch(texts, batch, maxThreads: threads);
                AssertBatch(batch, expected, $"{threads} threads, place={place}");
            }
        });
    }

    [Fact]
    public void ReadersOnSeveralThreadsSeeWholeIdsWhileTheBufferIsBuilt()
    {
        var (texts, expected) = s_corpus.Value;
        var all = expected.SelectMany(e => e).ToArray();
        using var workers = new BatchWorkers(2);
        TokenizerOnWorkers.Run(s_tok, workers, tok =>
        {
            var batch = new TokenBatch();
            for (int round = 0; round < 5; round++)
            {
                tok.EncodeBatch(texts, batch, maxThreads: 2);   // ids left in the parts: the first Ids builds the buffer
                var failures = new List<string>();
                using var start = new Barrier(4);
                var readers = Enumerable.Range(0, 4).Select(r => new Thread(() =>
                {
                    start.SignalAndWait();
                    // Half the readers ask for the whole buffer at once (racing to build it), half read text by text.
                    if (r % 2 == 0 && !batch.Ids.SequenceEqual(all)) lock (failures) failures.Add($"reader {r}: Ids");
                    for (int i = 0; i < expected.Count; i++)
                        if (!batch[(i * 7 + r) % expected.Count].SequenceEqual(expected[(i * 7 + r) % expected.Count])) lock (failures) failures.Add($"reader {r}: text {i}");
                })).ToList();
                readers.ForEach(t => t.Start());
                readers.ForEach(t => t.Join());
                Assert.Empty(failures);
            }
        });
    }

    static void AssertBatch(TokenBatch batch, List<int[]> expected, string what)
    {
        Assert.Equal(expected.Count, batch.Count);
        int total = expected.Sum(e => e.Length);
        Assert.Equal(total, batch.TokenCount);
        var offsets = batch.Offsets.ToArray();
        Assert.Equal(expected.Count + 1, offsets.Length);
        Assert.Equal(0, offsets[0]);
        for (int i = 0; i < expected.Count; i++) Assert.True(offsets[i + 1] - offsets[i] == expected[i].Length, $"{what}: offsets of text {i}");
        // Per text before the contiguous buffer exists (read from the parts when the batch left them there) …
        for (int i = 0; i < expected.Count; i++) Assert.True(batch[i].SequenceEqual(expected[i]), $"{what}: text {i} before Ids");
        // … the buffer itself, text after text …
        var ids = batch.Ids;
        Assert.Equal(total, ids.Length);
        Assert.True(ids.SequenceEqual(expected.SelectMany(e => e).ToArray()), $"{what}: Ids");
        // … and per text again, now from the buffer.
        for (int i = 0; i < expected.Count; i++) Assert.True(batch[i].SequenceEqual(expected[i]), $"{what}: text {i} after Ids");
        Assert.Throws<ArgumentOutOfRangeException>(() => batch[expected.Count].Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => batch[-1].Length);
    }
}
