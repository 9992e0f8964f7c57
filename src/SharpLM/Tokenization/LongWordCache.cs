namespace SharpLM.Tokenization;

/// <summary>
/// Encoded pieces too big for a <see cref="SharedWordCache"/> record (up to <see cref="MaxWordLength"/> units, or
/// with many ids), shared by every thread encoding with one tokenizer: a 4-way set-associative table of
/// immutable entries. Readers take an entry with one atomic reference read, writers publish a complete entry
/// with one atomic reference write (replacing a way in turn when the set is full), so no lock is needed and no
/// reader ever sees half an entry. An entry is allocated only on a miss; hits allocate nothing.
/// </summary>
internal sealed class LongWordCache
{
    /// <summary>Slots (a power of two), in sets of <see cref="Ways"/>.</summary>
    public const int Slots = 1 << 16;
    const int Ways = 4;
    const int SetMask = Slots / Ways - 1;
    /// <summary>Words longer than this (UTF-16 units) are not cached.</summary>
    public const int MaxWordLength = 64;

    sealed class Entry(uint hash, string word, int[] ids)
    {
        public readonly uint Hash = hash;
        public readonly string Word = word;
        public readonly int[] Ids = ids;
    }

    readonly Entry?[] _slots = new Entry?[Slots];

    /// <summary>
    /// Appends the cached ids of <paramref name="word"/> to <paramref name="output"/> and returns true, or returns
    /// false with <paramref name="output"/> unchanged.
    /// </summary>
    public bool TryGet(ReadOnlySpan<char> word, uint hash, IdList output)
    {
        int first = (int)(hash & SetMask) * Ways;
        for (int slot = first; slot < first + Ways; slot++)
        {
            var e = Volatile.Read(ref _slots[slot]);
            if (e is not null && e.Hash == hash && e.Word.AsSpan().SequenceEqual(word))
            {
                output.AddRange(e.Ids);
                return true;
            }
        }
        return false;
    }

    /// <summary>Caches <paramref name="ids"/> for <paramref name="word"/>; when its set is full, replaces the way <paramref name="victim"/> picks (mod 4).</summary>
    public void Set(ReadOnlySpan<char> word, uint hash, ReadOnlySpan<int> ids, int victim)
    {
        if (word.Length > MaxWordLength) return;
        int first = (int)(hash & SetMask) * Ways, slot = -1;
        for (int k = first; k < first + Ways; k++) if (Volatile.Read(ref _slots[k]) is null) { slot = k; break; }
        if (slot < 0) slot = first + (victim & (Ways - 1));
        Volatile.Write(ref _slots[slot], new Entry(hash, new string(word), ids.ToArray()));
    }
}
