using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace SharpLM.Tokenization;

/// <summary>
/// Encoded pieces too big for a <see cref="SharedWordCache"/> record (up to <see cref="MaxWordLength"/> units, or
/// with many ids), shared by every thread encoding with one tokenizer: a 4-way set-associative table of
/// immutable entries. Readers take an entry with one atomic reference read, writers publish a complete entry
/// with one atomic reference write (replacing a way in turn when the set is full), so no lock is needed and no
/// reader ever sees half an entry. An entry is allocated only on a miss; hits allocate nothing.
/// </summary>
/// <remarks>
/// Each entry is one <c>int[]</c> (hash, word length, id count, the word's characters two to an int, then the ids), so
/// a lookup follows one reference, not three (an entry object, its string, its id array: three dependent trips to
/// memory on this machine). A set's tags (the entries' hashes) sit in one line of their own, so that the encoder can
/// fetch the tag line of a piece early (<see cref="PrefetchTags"/>) and then the entry a tag points at
/// (<see cref="PrefetchEntry"/>) before it looks the piece up. Tags are only a filter: an entry is always checked
/// against its own hash and word.
/// </remarks>
internal sealed unsafe class LongWordCache
{
    /// <summary>Slots (a power of two), in sets of <see cref="Ways"/>.</summary>
    public const int Slots = 1 << 16;
    const int Ways = 4;
    const int SetMask = Slots / Ways - 1;
    /// <summary>Words longer than this (UTF-16 units) are not cached.</summary>
    public const int MaxWordLength = 64;
    const int Header = 3;                          // hash, word length, id count

    readonly int[]?[] _slots = new int[Slots][];
    readonly uint[] _tags;                         // slot → its entry's hash (a filter; 0 also for "empty")
    readonly uint* _tagsAt;                        // the pinned tags, for prefetching

    public LongWordCache()
    {
        _tags = GC.AllocateArray<uint>(Slots, pinned: true);
        _tagsAt = (uint*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_tags));
    }

    /// <summary>Starts fetching the tag line of <paramref name="hash"/>'s set (a hint: no effect on any result).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void PrefetchTags(uint hash)
    {
        if (Sse.IsSupported) Sse.Prefetch0(_tagsAt + (int)(hash & SetMask) * Ways);
    }

    /// <summary>
    /// Starts fetching the first entry whose tag is <paramref name="hash"/>, if any (a hint; reads the tag line, so it
    /// should be in cache already, see <see cref="PrefetchTags"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void PrefetchEntry(uint hash)
    {
        if (!Sse.IsSupported) return;
        int first = (int)(hash & SetMask) * Ways;
        for (int slot = first; slot < first + Ways; slot++)
        {
            if (_tagsAt[slot] != hash) continue;
            // The address of a managed array read once: if the GC moves it meanwhile, the hint merely fetches a stale line.
            if (Volatile.Read(ref _slots[slot]) is { } e) Sse.Prefetch0(Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(e)));
            return;
        }
    }

    /// <summary>
    /// Appends the cached ids of <paramref name="word"/> to <paramref name="output"/> and returns true, or returns
    /// false with <paramref name="output"/> unchanged.
    /// </summary>
    public bool TryGet(ReadOnlySpan<char> word, uint hash, IdList output)
    {
        int first = (int)(hash & SetMask) * Ways;
        for (int slot = first; slot < first + Ways; slot++)
        {
            if (Volatile.Read(ref _tagsAt[slot]) != hash) continue;
            var e = Volatile.Read(ref _slots[slot]);
            if (e is null || (uint)e[0] != hash || e[1] != word.Length) continue;
            var text = MemoryMarshal.Cast<int, char>(e.AsSpan(Header, (word.Length + 1) / 2))[..word.Length];
            if (!text.SequenceEqual(word)) continue;
            output.AddRange(e.AsSpan(Header + (word.Length + 1) / 2, e[2]));
            return true;
        }
        return false;
    }

    /// <summary>Caches <paramref name="ids"/> for <paramref name="word"/>; when its set is full, replaces the way <paramref name="victim"/> picks (mod 4).</summary>
    public void Set(ReadOnlySpan<char> word, uint hash, ReadOnlySpan<int> ids, int victim)
    {
        if (word.Length is 0 or > MaxWordLength) return;
        int textInts = (word.Length + 1) / 2;
        var e = new int[Header + textInts + ids.Length];
        e[0] = (int)hash;
        e[1] = word.Length;
        e[2] = ids.Length;
        word.CopyTo(MemoryMarshal.Cast<int, char>(e.AsSpan(Header, textInts)));
        ids.CopyTo(e.AsSpan(Header + textInts));
        int first = (int)(hash & SetMask) * Ways, slot = -1;
        for (int k = first; k < first + Ways; k++) if (Volatile.Read(ref _slots[k]) is null) { slot = k; break; }
        if (slot < 0) slot = first + (victim & (Ways - 1));
        // Entry first, then its tag: a reader that sees the new tag finds the new entry (or checks a stale one and misses).
        Volatile.Write(ref _slots[slot], e);
        Volatile.Write(ref _tagsAt[slot], hash);
    }
}
