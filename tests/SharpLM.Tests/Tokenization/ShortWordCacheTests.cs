using SharpLM.Tokenization;

namespace SharpLM.Tests.Tokenization;

/// <summary>
/// The dense short-word front table on its own: keys are exact (two different pieces never share one), a hit returns
/// exactly the ids stored under that key, eviction and the id limits keep every answer right, and readers racing
/// writers never see a torn record.
/// </summary>
public class ShortWordCacheTests
{
    static int[] Get(ShortWordCache c, ulong key)
    {
        var output = new IdList();
        output.Add(-7);                                   // whatever is already in the output stays
        bool hit = c.TryGet(key, output);
        Assert.Equal(-7, output.Span[0]);
        if (!hit) Assert.Equal(1, output.Count);
        return hit ? output.Span[1..].ToArray() : [];
    }

    [Fact]
    public void KeysAreExactAndOnlyForShortLatinPieces()
    {
        // Every piece of 1–3 characters over an alphabet with the edge cases (U+0001, U+007F, U+0081, U+00FF, ▁, a, ' '):
        // all get a key, and no two share one.
        char[] alphabet = ['\u0001', '\u007F', '\u0081', '\u00FF', '\u2581', 'a', ' '];
        var seen = new Dictionary<ulong, string>();
        void Add(string piece)
        {
            ulong key = ShortWordCache.Key(piece);
            Assert.NotEqual(0UL, key);
            Assert.True(seen.TryAdd(key, piece), $"'{piece}' has the key of '{(seen.TryGetValue(key, out var other) ? other : "")}'");
        }
        foreach (char a in alphabet)
        {
            Add($"{a}");
            foreach (char b in alphabet)
            {
                Add($"{a}{b}");
                foreach (char c in alphabet) Add($"{a}{b}{c}");
            }
        }
        Add("▁▁▁▁▁▁▁▁");
        Add("▁▁▁▁▁▁▁a");
        Add("a▁▁▁▁▁▁▁");
        Assert.Equal(0UL, ShortWordCache.Key(""));
        Assert.Equal(0UL, ShortWordCache.Key("▁abcdefgh"));                      // 9 characters
        Assert.Equal(0UL, ShortWordCache.Key("\u0080"));                          // the byte ▁ takes
        Assert.Equal(0UL, ShortWordCache.Key("a\u0000"));
        Assert.Equal(0UL, ShortWordCache.Key("▁é\u0100"));                        // above U+00FF
        Assert.Equal(0UL, ShortWordCache.Key("▁日本"));
        Assert.Equal(0UL, ShortWordCache.Key("\U0001F600"));
    }

    [Fact]
    public void StoresAndFindsOneToThreeIds()
    {
        var c = new ShortWordCache();
        ulong k1 = ShortWordCache.Key("▁the"), k2 = ShortWordCache.Key("▁tokens"), k3 = ShortWordCache.Key("▁xyzzy");
        Assert.Empty(Get(c, k1));
        c.Set(k1, [506], victim: 0);
        c.Set(k2, [8, 262_143], victim: 0);
        c.Set(k3, [0, 1, (1 << 21) - 2], victim: 0);
        Assert.Equal([506], Get(c, k1));
        Assert.Equal([8, 262_143], Get(c, k2));
        Assert.Equal([0, 1, (1 << 21) - 2], Get(c, k3));
        Assert.Equal(ShortWordCache.SetOutcome.Written, c.Set(k1, [7, 9], victim: 0));   // the same key again: replaced in place
        Assert.Equal([7, 9], Get(c, k1));
        // The same record again is not rewritten: the line's sequence word (its first 8 bytes) does not move.
        ulong SequenceOf(ulong key) { unsafe { return ((ulong*)c.Memory.Start)[ShortWordCache.LineOf(key, c.LineBits) * 8]; } }
        ulong seq = SequenceOf(k1);
        Assert.Equal(ShortWordCache.SetOutcome.AlreadyThere, c.Set(k1, [7, 9], victim: 1));
        Assert.Equal(seq, SequenceOf(k1));
        Assert.Equal(ShortWordCache.SetOutcome.Written, c.Set(k1, [7, 10], victim: 1));   // same key, other ids: written
        Assert.Equal(seq + 2, SequenceOf(k1));
        Assert.Equal([7, 10], Get(c, k1));
        c.Prefetch(k1);                                   // a hint: no effect on results
        Assert.Equal([7, 10], Get(c, k1));
    }

    [Fact]
    public void OnlyIdsThatFitAreStored()
    {
        var c = new ShortWordCache();
        ulong key = ShortWordCache.Key("▁abc");
        Assert.False(ShortWordCache.Fits([]));
        Assert.False(ShortWordCache.Fits([1, 2, 3, 4]));
        Assert.False(ShortWordCache.Fits([(1 << 21) - 1]));   // the unused-slot mark
        Assert.False(ShortWordCache.Fits([-1]));
        Assert.Equal(ShortWordCache.SetOutcome.NotWritten, c.Set(key, [1, 2, 3, 4], victim: 0));
        Assert.Equal(ShortWordCache.SetOutcome.NotWritten, c.Set(key, [(1 << 21) - 1], victim: 0));
        Assert.Equal(ShortWordCache.SetOutcome.NotWritten, c.Set(key, [], victim: 0));
        Assert.Empty(Get(c, key));
        Assert.Equal(ShortWordCache.SetOutcome.NotWritten, c.Set(0, [5], victim: 0));   // key 0 (no key) is never stored
        Assert.Empty(Get(c, 0));
    }

    /// <summary>Distinct keys of pieces "▁" + letters that fall in line <paramref name="line"/>.</summary>
    static List<ulong> KeysInLine(int line, int count)
    {
        var keys = new List<ulong>();
        for (int i = 0; keys.Count < count; i++)
        {
            ulong key = ShortWordCache.Key($"▁{(char)('a' + i % 26)}{(char)('a' + i / 26 % 26)}{(char)('a' + i / 676 % 26)}{(char)('a' + i / 17576 % 26)}");
            if (ShortWordCache.LineOf(key, ShortWordCache.DefaultLineBits) == line) keys.Add(key);
        }
        return keys;
    }

    [Fact]
    public void EvictionKeepsEveryAnswerRight()
    {
        var c = new ShortWordCache();
        var keys = KeysInLine(line: 5, count: 10);
        for (int i = 0; i < keys.Count; i++)
        {
            c.Set(keys[i], [i, 100 + i], victim: i);
            Assert.Equal([i, 100 + i], Get(c, keys[i]));    // the newest is always there
        }
        int present = 0;
        for (int i = 0; i < keys.Count; i++)
        {
            var got = Get(c, keys[i]);
            if (got.Length == 0) continue;
            Assert.Equal([i, 100 + i], got);
            present++;
        }
        Assert.Equal(3, present);                         // three records per line
    }

    [Fact]
    public void ReadersRacingWritersNeverSeeATornRecord()
    {
        // 4 threads write and read 12 keys that all fall in one line (constant evictions); each key's ids are derived
        // from it, so any mix of two records (key of one, ids of another) shows.
        var c = new ShortWordCache();
        var keys = KeysInLine(line: 77, count: 12);
        static int[] IdsOf(int i) => Enumerable.Range(0, 1 + i % 3).Select(k => i * 1000 + k).ToArray();
        int bad = 0;
        long hits = 0;
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            var output = new IdList();
            var rng = new Random(t);
            for (int n = 0; n < 200_000; n++)
            {
                int i = rng.Next(keys.Count);
                output.Clear();
                if (c.TryGet(keys[i], output))
                {
                    Interlocked.Increment(ref hits);
                    if (!output.Span.SequenceEqual(IdsOf(i))) Interlocked.Increment(ref bad);
                }
                else c.Set(keys[i], IdsOf(i), victim: n);
            }
        })).ToList();
        threads.ForEach(x => x.Start());
        threads.ForEach(x => x.Join());
        Assert.Equal(0, bad);
        Assert.True(hits > 0);
    }
}
