using SharpLM.Tokenization;

namespace SharpLM.Tests.Tokenization;

/// <summary>
/// The encoder's shared word caches on their own: a hit returns exactly the ids stored for that word, never those
/// of a word with the same hash or of an evicted word, and readers racing writers never see a torn entry.
/// </summary>
public class WordCacheTests
{
    static int[] Get(SharedWordCache c, string word, uint hash)
    {
        var output = new IdList();
        output.Add(-7);                                   // whatever is already in the output stays
        bool hit = c.TryGet(word, hash, output);
        Assert.Equal(-7, output.Span[0]);
        if (!hit) Assert.Equal(1, output.Count);
        return hit ? output.Span[1..].ToArray() : [];
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void StoresAndFindsWords(bool narrowTags)
    {
        var c = new SharedWordCache(LookupTableMemory.HugePagesByDefault, narrowTags);
        Assert.Equal(narrowTags, c.NarrowTags);
        string word = "▁token";
        uint h = SharedWordCache.Hash(word);
        Assert.Empty(Get(c, word, h));
        c.Set(word, h, [11, 22, 33], victim: 0);
        Assert.Equal([11, 22, 33], Get(c, word, h));
        Assert.Empty(Get(c, "▁tokem", SharedWordCache.Hash("▁tokem")));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void SameHashDifferentWordIsAMiss(bool narrowTags)
    {
        var c = new SharedWordCache(LookupTableMemory.HugePagesByDefault, narrowTags);
        Assert.Equal(narrowTags, c.NarrowTags);
        c.Set("abc", 12345, [1], victim: 0);
        c.Set("abd", 12345, [2], victim: 0);
        Assert.Equal([1], Get(c, "abc", 12345));
        Assert.Equal([2], Get(c, "abd", 12345));
        Assert.Empty(Get(c, "abe", 12345));
        Assert.Empty(Get(c, "ab", 12345));               // a prefix of a stored word
        // Same set and same high 16 bits (one narrow tag), different hashes: the record's header tells them apart.
        c.Set("abc", 0x1234_0005, [3], victim: 1);
        c.Set("abc", 0x1234_8005, [4], victim: 2);
        Assert.Equal([3], Get(c, "abc", 0x1234_0005));
        Assert.Equal([4], Get(c, "abc", 0x1234_8005));
        Assert.Empty(Get(c, "abc", 0x1234_4005));
        // Hash 0 and a hash whose high half is 0 (tags that would read as empty) are stored and found.
        c.Set("zero", 0, [5], victim: 3);
        c.Set("low", 0x0000_0009, [6], victim: 4);
        Assert.Equal([5], Get(c, "zero", 0));
        Assert.Equal([6], Get(c, "low", 0x0000_0009));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void EvictionKeepsEveryAnswerRight(bool narrowTags)
    {
        var c = new SharedWordCache(LookupTableMemory.HugePagesByDefault, narrowTags);
        Assert.Equal(narrowTags, c.NarrowTags);
        // 40 words in one set of 8 ways (same low hash bits, different high bits).
        var words = Enumerable.Range(0, 40).Select(i => ($"w{i}", (uint)(i + 1) << 24, new[] { i, i * 3, 1000 + i })).ToList();
        for (int i = 0; i < words.Count; i++)
        {
            var (w, h, ids) = words[i];
            c.Set(w, h, ids, victim: i);
            Assert.Equal(ids, Get(c, w, h));              // the newest is always there
        }
        int present = 0;
        foreach (var (w, h, ids) in words)
        {
            var got = Get(c, w, h);
            if (got.Length == 0) continue;
            Assert.Equal(ids, got);
            present++;
        }
        Assert.Equal(8, present);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void OnlyWordsThatFitAreStored(bool narrowTags)
    {
        var c = new SharedWordCache(LookupTableMemory.HugePagesByDefault, narrowTags);
        Assert.Equal(narrowTags, c.NarrowTags);
        string longest = new('x', SharedWordCache.MaxWordLength);
        Assert.True(SharedWordCache.Fits(longest.Length, 1));
        c.Set(longest, 1, [5], victim: 0);
        Assert.Equal([5], Get(c, longest, 1));
        Assert.False(SharedWordCache.Fits(longest.Length + 1, 1));
        Assert.False(SharedWordCache.Fits(longest.Length, 2));
        Assert.True(SharedWordCache.Fits(1, 13));        // 4 bytes of text, 52 of ids: the 56-byte payload
        Assert.False(SharedWordCache.Fits(1, 14));
        c.Set("y", 2, Enumerable.Range(0, 14).ToArray(), victim: 0);
        Assert.Empty(Get(c, "y", 2));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ReadersRacingWritersNeverSeeATornEntry(bool narrowTags)
    {
        // 4 threads write and read 64 words that all fall in two sets (constant evictions); each word's ids are
        // derived from the word, so any mix of two entries (key of one, ids of another, half-written ids) shows.
        var c = new SharedWordCache(LookupTableMemory.HugePagesByDefault, narrowTags);
        var words = Enumerable.Range(0, 64).Select(i => $"word{i:D2}").ToArray();
        static int[] IdsOf(int i) => Enumerable.Range(0, 1 + i % 9).Select(k => i * 1000 + k).ToArray();
        static uint HashOf(int i) => (uint)(i & 1) | ((uint)(i + 1) << 20);
        int bad = 0;
        long hits = 0;
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            var output = new IdList();
            var rng = new Random(t);
            for (int n = 0; n < 200_000; n++)
            {
                int i = rng.Next(words.Length);
                output.Clear();
                if (c.TryGet(words[i], HashOf(i), output))
                {
                    Interlocked.Increment(ref hits);
                    if (!output.Span.SequenceEqual(IdsOf(i))) Interlocked.Increment(ref bad);
                }
                else c.Set(words[i], HashOf(i), IdsOf(i), victim: n);
            }
        })).ToList();
        threads.ForEach(x => x.Start());
        threads.ForEach(x => x.Join());
        Assert.Equal(0, bad);
        Assert.True(hits > 0);
    }

    [Fact]
    public void LongWordCacheStoresEvictsAndChecksTheWord()
    {
        var c = new LongWordCache();
        var output = new IdList();
        string a = new('a', LongWordCache.MaxWordLength), b = new('b', LongWordCache.MaxWordLength);
        c.Set(a, 99, Enumerable.Range(0, 40).ToArray(), victim: 0);
        Assert.False(c.TryGet(b, 99, output));           // same hash, other word
        Assert.Equal(0, output.Count);
        Assert.True(c.TryGet(a, 99, output));
        Assert.Equal(Enumerable.Range(0, 40), output.Span.ToArray());
        c.Set(a + "x", 7, [1], victim: 0);                // too long: not stored
        Assert.False(c.TryGet(a + "x", 7, output = new IdList()));
        // 10 words in one 4-way set: the newest 4 remain, each with its own ids.
        for (int i = 0; i < 10; i++) c.Set($"v{i}", (uint)i << 20, [i], victim: i);
        int present = 0;
        for (int i = 0; i < 10; i++)
        {
            output.Clear();
            if (!c.TryGet($"v{i}", (uint)i << 20, output)) continue;
            Assert.Equal([i], output.Span.ToArray());
            present++;
        }
        Assert.Equal(4, present);
    }

    [Fact]
    public void LongWordCacheChecksOddLengthsPrefixesAndHashZero()
    {
        var c = new LongWordCache();
        // Odd lengths leave half of the last packed int unused; a word one unit shorter or longer must still miss.
        string odd = "▁" + new string('q', 30), even = odd + "q", shorter = odd[..^1];
        foreach (uint hash in new uint[] { 0, 5 })                 // 0 is also the tag of an empty slot
        {
            var cache = new LongWordCache();
            cache.Set(odd, hash, [7, 8, 9], victim: 0);
            var output = new IdList();
            Assert.True(cache.TryGet(odd, hash, output));
            Assert.Equal([7, 8, 9], output.Span.ToArray());
            Assert.False(cache.TryGet(even, hash, output = new IdList()));
            Assert.False(cache.TryGet(shorter, hash, output));
            Assert.False(cache.TryGet(odd.Replace('q', 'r'), hash, output));
            Assert.Equal(0, output.Count);
            cache.PrefetchTags(hash);                              // hints: no effect on results
            cache.PrefetchEntry(hash);
            cache.PrefetchEntry(hash + 1);
            Assert.True(cache.TryGet(odd, hash, output));
        }
        // An entry replaced by another word of the same set is never answered for the old word.
        for (int i = 0; i < 12; i++) c.Set($"{odd}{i}", 3u | ((uint)i << 16), [i], victim: i);
        for (int i = 0; i < 12; i++)
        {
            var output = new IdList();
            if (c.TryGet($"{odd}{i}", 3u | ((uint)i << 16), output)) Assert.Equal([i], output.Span.ToArray());
            Assert.False(c.TryGet($"{odd}{i}", 3u | ((uint)(i + 1) << 16), output = new IdList()));
        }
    }

    [Fact]
    public void LongWordCacheReadersRacingWritersGetOnlyTheirOwnIds()
    {
        var c = new LongWordCache();
        // 64 words, all in one set: writers keep replacing ways while readers look words up.
        var words = Enumerable.Range(0, 64).Select(i => (Word: new string((char)('a' + i % 26), 27 + i % 30) + i, Hash: 9u | ((uint)i << 20))).ToList();
        int bad = 0, hits = 0;
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            var output = new IdList();
            for (int r = 0; r < 20_000; r++)
            {
                int i = (r * 7 + t * 13) % words.Count;
                if ((r + t) % 3 == 0) c.Set(words[i].Word, words[i].Hash, [i, i * 2, -i], victim: r);
                output.Clear();
                if (!c.TryGet(words[i].Word, words[i].Hash, output)) continue;
                Interlocked.Increment(ref hits);
                if (!output.Span.SequenceEqual(new[] { i, i * 2, -i })) Interlocked.Increment(ref bad);
            }
        })).ToList();
        threads.ForEach(x => x.Start());
        threads.ForEach(x => x.Join());
        Assert.Equal(0, bad);
        Assert.True(hits > 0);
    }
}
