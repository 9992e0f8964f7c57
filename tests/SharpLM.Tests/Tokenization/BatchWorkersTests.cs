using SharpLM.Tokenization;

namespace SharpLM.Tests.Tokenization;

/// <summary>
/// The persistent batch threads (<see cref="BatchWorkers"/>): every text once, worker indices inside the batch's
/// parts, batches of both APIs on 1…5 threads equal to Hugging Face's ids, failures surfacing on the caller as
/// themselves, many batches back to back, two callers at once, disposal.
/// </summary>
public class BatchWorkersTests
{
    // Real prose, LaTeX and math in ~600-byte chunks plus hostile generated text: an odd count (157).
    static readonly Lazy<(List<string> Texts, List<int[]> Expected)> s_corpus = new(() =>
    {
        var texts = new List<string>();
        foreach (var file in new[] { "text-corpus/tinyshakespeare.txt", "text-corpus/openlogic.tex.txt", "gsm8k/train.jsonl" })
            texts.AddRange(SharedDataCorpus.Texts(file).SelectMany(t => SharedDataCorpus.Chunks(t, 600)).Take(39));
        texts.AddRange(FuzzCorpus.Strings(seed: 23, count: 40));
        return (texts, texts.Select(GemmaTokenizers.OracleEncode).ToList());
    });

    // A tokenizer of this class's own: the tests set its threads, which must not leak into other test classes.
    static readonly Lazy<Gemma3Tokenizer> s_tok = new(() => Gemma3Tokenizer.Load(TestPaths.GemmaTokenizerJson));

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    public void EveryIndexRunsOnceOnAWorkerBelowTheThreadCount(int threads)
    {
        using var workers = new BatchWorkers(threads);
        foreach (int count in new[] { 0, 1, 2, 7, 1001 })
        {
            var runs = new int[count];
            var badWorker = 0;
            workers.ForEach(count, threads, (w, i) =>
            {
                if ((uint)w >= (uint)threads) Interlocked.Increment(ref badWorker);
                Interlocked.Increment(ref runs[i]);
            });
            Assert.All(runs, r => Assert.Equal(1, r));
            Assert.Equal(0, badWorker);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    public void BatchesOnNThreadsGiveHuggingFaceIds(int threads)
    {
        var (texts, expected) = s_corpus.Value;
        using var workers = new BatchWorkers(threads);
        TokenizerOnWorkers.Run(s_tok, workers, tok =>
        {
            var batch = new TokenBatch();
            foreach (var kind in new[] { Gemma3Tokenizer.BatchThreadingKind.PersistentWorkers, Gemma3Tokenizer.BatchThreadingKind.ParallelFor })
            {
                tok.BatchThreading = kind;
                var arrays = tok.EncodeBatch(texts, maxThreads: threads);
                tok.EncodeBatch(texts, batch, maxThreads: threads);
                Assert.Equal(texts.Count, arrays.Length);
                Assert.Equal(texts.Count, batch.Count);
                for (int i = 0; i < texts.Count; i++)
                {
                    Assert.Equal(expected[i], arrays[i]);
                    Assert.Equal(expected[i], batch[i].ToArray());
                }
            }
        });
    }

    [Fact]
    public void AFailureSurfacesOnTheCallerAsItselfAndThePoolStillWorks()
    {
        using var workers = new BatchWorkers(3);
        for (int round = 0; round < 20; round++)
        {
            int failAt = round * 37 % 500;
            var e = Assert.Throws<InvalidOperationException>(() =>
                workers.ForEach(500, 3, (_, i) => { if (i >= failAt) throw new InvalidOperationException($"text {i} failed"); }));
            Assert.StartsWith("text ", e.Message);
            int done = 0;
            workers.ForEach(100, 3, (_, _) => Interlocked.Increment(ref done));
            Assert.Equal(100, done);
        }

        // Through the tokenizer: a list whose indexer fails on one text.
        TokenizerOnWorkers.Run(s_tok, workers, tok =>
        {
            var texts = new FailingList(Enumerable.Range(0, 300).Select(i => $"text number {i}").ToList(), failAt: 211);
            Assert.Throws<IOException>(() => tok.EncodeBatch(texts, maxThreads: 3));
            Assert.Throws<IOException>(() => tok.EncodeBatch(texts, new TokenBatch(), maxThreads: 3));
        });
    }

    [Fact]
    public void ManyBatchesBackToBack()
    {
        using var workers = new BatchWorkers(3);
        var rng = new Random(5);
        for (int b = 0; b < 3000; b++)
        {
            int count = rng.Next(0, 40);
            var runs = new int[count];
            workers.ForEach(count, 1 + b % 3, (_, i) => Interlocked.Increment(ref runs[i]));
            Assert.All(runs, r => Assert.Equal(1, r));
        }
    }

    [Fact]
    public void TwoCallersBatchAtOnceOnOneTokenizer()
    {
        var (texts, expected) = s_corpus.Value;
        var tok = GemmaTokenizers.Ours;   // the shared threads: one caller holds them, the other runs on its own thread
        var failures = new List<string>();
        using var start = new Barrier(2);
        var callers = Enumerable.Range(0, 2).Select(c => new Thread(() =>
        {
            start.SignalAndWait();
            var batch = new TokenBatch();
            for (int round = 0; round < 6; round++)
            {
                int from = (c * 50 + round * 13) % (texts.Count - 60), n = 40 + round * 3;
                var part = texts.GetRange(from, n);
                var arrays = tok.EncodeBatch(part);
                tok.EncodeBatch(part, batch);
                for (int i = 0; i < n; i++)
                    if (!arrays[i].SequenceEqual(expected[from + i]) || !batch[i].SequenceEqual(expected[from + i]))
                        lock (failures) failures.Add($"caller {c} round {round} text {from + i}");
            }
        })).ToList();
        callers.ForEach(t => t.Start());
        callers.ForEach(t => t.Join());
        Assert.Empty(failures);
    }

    [Fact]
    public async Task DisposeStopsIdleAndUsedPoolsAndLaterBatchesAreRefused()
    {
        var idle = new BatchWorkers(4);
        var used = new BatchWorkers(4);
        int done = 0;
        used.ForEach(1000, 4, (_, _) => Interlocked.Increment(ref done));
        Assert.Equal(1000, done);
        // A hang here would be a bug: the workers must see the flag whether spinning or parked.
        await Task.Run(idle.Dispose).WaitAsync(TimeSpan.FromSeconds(30));   // throws TimeoutException on a hang
        await Task.Delay(5);   // let the used pool's workers park after their spin
        await Task.Run(used.Dispose).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Throws<ObjectDisposedException>(() => used.ForEach(10, 4, (_, _) => { }));
        used.Dispose();   // twice is harmless
    }

    [Fact]
    public void TheTimelineAccountsForEveryTextAndChangesNoId()
    {
        var (texts, expected) = s_corpus.Value;
        using var workers = new BatchWorkers(2);
        TokenizerOnWorkers.Run(s_tok, workers, tok =>
        {
            var timeline = new BatchTimeline();
            tok.Timeline = timeline;
            var batch = new TokenBatch();
            tok.EncodeBatch(texts, batch, maxThreads: 2);
            for (int i = 0; i < texts.Count; i++) Assert.Equal(expected[i], batch[i].ToArray());
            Assert.Equal(texts.Count, timeline.Workers.Take(2).Sum(w => w.Texts));
            Assert.True(timeline.CallEnd >= timeline.EncodeEnd);
            Assert.All(timeline.Workers.Take(2).Where(w => w.Texts > 0), w => Assert.True(w.LastEnd <= timeline.EncodeEnd && w.Busy > 0));
        });
    }

    sealed class FailingList(List<string> texts, int failAt) : IReadOnlyList<string>
    {
        public string this[int index] => index == failAt ? throw new IOException($"text {index} could not be read") : texts[index];
        public int Count => texts.Count;
        public IEnumerator<string> GetEnumerator() => texts.GetEnumerator();
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
