using SharpLM.Tokenization;

namespace SharpLM.Tests.Tokenization;

/// <summary>
/// The encoder's big lookup tables live in 2 MiB-aligned native memory advised as huge pages: the advice is really
/// registered with the kernel where it is accepted (the <c>hg</c> flag in /proc/self/smaps), a failed advice is
/// reported (mode and errno, not hidden) and the tables still give Hugging Face's ids, and the ids are the same on
/// huge and on small pages, cold and warm, from many threads at once.
/// </summary>
public class LookupTableMemoryTests
{
    [Fact]
    public unsafe void BlockIsAlignedZeroedAndItsAdviceIsVisibleInSmaps()
    {
        var m = new LookupTableMemory(3 << 20, hugePages: true);
        Assert.Equal(0, (long)m.Start % LookupTableMemory.HugePageBytes);
        Assert.Equal(3 << 20, m.Bytes);
        for (long i = 0; i < m.Bytes; i += 4093) Assert.Equal(0, m.Start[i]);
        m.Start[m.Bytes - 1] = 7;
        if (!OperatingSystem.IsLinux())
        {
            Assert.Equal(LookupTableMemory.PageMode.NotLinux, m.Mode);
            return;
        }
        // A kernel without transparent huge pages refuses the advice: then the failure must be reported with its errno.
        if (m.Mode == LookupTableMemory.PageMode.AdviceFailed)
        {
            Assert.NotEqual(0, m.AdviceErrno);
            return;
        }
        Assert.Equal(LookupTableMemory.PageMode.HugePagesAdvised, m.Mode);
        Assert.True(m.Smaps().Advised, "the kernel does not show MADV_HUGEPAGE (hg) on the block's mapping");
        GC.KeepAlive(m);
    }

    [Fact]
    public void SmallPagesAreNotRequested()
    {
        var m = new LookupTableMemory(1 << 20, hugePages: false);
        Assert.Equal(LookupTableMemory.PageMode.NotRequested, m.Mode);
        // (Its mapping may still carry the advice: malloc reuses memory an earlier, freed block had advised.)
        GC.KeepAlive(m);
    }

    [Fact]
    public void FailedAdviceIsReportedAndTheCacheStillWorks()
    {
        int failedBefore = LookupTableMemory.Counts.Failed;
        LookupTableMemory? memory = null;
        var c = new SharedWordCache(bytes => memory = new LookupTableMemory(bytes, hugePages: true, advise: (_, _) =>
        {
            System.Runtime.InteropServices.Marshal.SetLastPInvokeError(22);   // EINVAL, as a kernel without THP answers
            return -1;
        }));
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal(LookupTableMemory.PageMode.AdviceFailed, c.Memory.Mode);
            Assert.Equal(22, c.Memory.AdviceErrno);
            Assert.True(LookupTableMemory.Counts.Failed > failedBefore);
        }
        Assert.Same(memory, c.Memory);
        var words = Enumerable.Range(0, 5000).Select(i => $"▁w{i}").ToList();
        for (int i = 0; i < words.Count; i++) c.Set(words[i], SharedWordCache.Hash(words[i]), [i, i + 1], victim: i);
        int hits = 0;
        for (int i = 0; i < words.Count; i++)
        {
            var output = new IdList();
            if (!c.TryGet(words[i], SharedWordCache.Hash(words[i]), output)) continue;
            Assert.Equal([i, i + 1], output.Span.ToArray());
            hits++;
        }
        Assert.True(hits > 4900, $"{hits} of 5000 words found");
    }

    [Trait("Category", "Oracle")]
    [Fact]
    public void HugeAndSmallPagesGiveHuggingFaceIdsFromManyThreads()
    {
        var texts = new List<string>();
        foreach (var file in new[] { "text-corpus/tinyshakespeare.txt", "gsm8k/train.jsonl" })
            texts.AddRange(SharedDataCorpus.Texts(file).SelectMany(t => SharedDataCorpus.Chunks(t, 4096)).Take(10));
        texts.AddRange(FuzzCorpus.Strings(seed: 41, count: 60));
        var expected = texts.Select(GemmaTokenizers.OracleEncode).ToList();
        var loaded = Gemma3Tokenizer.Load(TestPaths.GemmaTokenizerJson);
        foreach (bool huge in new[] { true, false })
        {
            var tok = loaded.WithHugePages(huge);
            Assert.Null(tok.LookupTableModes.WordCache);          // made on the first encode
            for (int i = 0; i < texts.Count; i++)                  // cold
                Assert.True(expected[i].AsSpan().SequenceEqual(tok.Encode(texts[i])), $"huge={huge}, cold: text {i} differs from HF");
            var modes = tok.LookupTableModes;
            if (!huge) Assert.Equal((LookupTableMemory.PageMode.NotRequested, (LookupTableMemory.PageMode?)LookupTableMemory.PageMode.NotRequested), modes);
            else if (OperatingSystem.IsLinux()) Assert.NotEqual(LookupTableMemory.PageMode.NotRequested, modes.Merges);
            Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, k =>   // warm, racing
            {
                for (int j = 0; j < texts.Count; j++)
                {
                    int i = (j + k * 7) % texts.Count;
                    Assert.True(expected[i].AsSpan().SequenceEqual(tok.Encode(texts[i])), $"huge={huge}, thread {k}: text {i} differs from HF");
                }
            });
        }
    }
}
