using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpLM.Tokenization;

/// <summary>
/// Encoded pieces (a short word and its ids) shared by every thread encoding with one tokenizer: an 8-way
/// set-associative table of 64-byte records, one cache line each, holding a header, the word's characters and
/// its ids inline. No object per entry (nothing for the GC to trace, nothing allocated on a miss), one cache
/// line of tags plus one record line per lookup, and a word one thread has encoded is a hit for the others.
/// 8 ways keep conflict misses rare at the load real text gives. The tags are 16 bits by default (a set's 8 tags in a
/// quarter line, 256 KiB in all): the working-set model of <c>tokenizer-short-words</c> puts 32-bit tags (512 KiB) at
/// 16.8 tag lines from beyond L2 per KB of text, 16-bit ones at 7.9, since more of the tag lines stay in a 1 MiB L2.
/// </summary>
/// <remarks>
/// <para>Why shared: with a private cache per thread, N threads each miss on every word the others already
/// encoded, and the caches take N times the room in the shared L3 (measured: 2 threads did twice the misses
/// per MB of 1 thread). Lookups are far more frequent than inserts (≈ 97% hits on real text once warm).</para>
/// <para>Concurrency, without locks on the read path (a sequence lock per record): the record's header word
/// holds the word's 32-bit hash, a 16-bit sequence number, the word's length and its id count. A writer claims a
/// record by a compare-and-swap that makes the sequence odd (readers then skip it; a writer that loses the race
/// simply does not cache), writes the payload, and publishes the new header with the sequence even again. A
/// reader reads the header, compares the word and copies the ids, then rereads the header: if it changed, the
/// copy may be torn and is discarded (counted as a miss, the caller encodes the word itself). The tags are only a
/// filter for the header: a stale tag costs a look at a record, never a wrong answer.</para>
/// </remarks>
internal sealed unsafe class SharedWordCache
{
    /// <summary>Records (a power of two): 8 MiB of records and 256 KiB of 16-bit tags (or 512 KiB of 32-bit ones) in native memory (made on a tokenizer's first encode).</summary>
    public const int Records = 1 << 17;
    const int Ways = 8;
    const int SetMask = Records / Ways - 1;
    const int RecordWords = 8;                 // ulongs per record = 64 bytes
    const int PayloadBytes = (RecordWords - 1) * 8;
    /// <summary>Longest word (UTF-16 units) a record can hold (with one id).</summary>
    public const int MaxWordLength = (PayloadBytes - 4) / 2;

    readonly LookupTableMemory _memory;        // tags, then records: 2 MiB aligned, advised as huge pages
    readonly ulong* _recordsAt;                // record 0 (cache-line aligned)
    readonly uint* _tagsAt;                    // record → its word's hash (0 = empty), a filter read before the record; a set's 8 tags in half a cache line
    readonly ushort* _narrowTagsAt;            // or, with narrow tags, its hash's high 16 bits: a set's 8 tags in a quarter line
    readonly bool _narrow;

    /// <summary>
    /// Whether tables use 16-bit tags unless told otherwise: on, except with <c>SHARPLM_TOKENIZER_NARROW_TAGS=0</c> (the
    /// lead's A/B switch; results are the same either way, as the record's header holds the whole hash).
    /// </summary>
    public static bool NarrowTagsByDefault { get; } = Environment.GetEnvironmentVariable("SHARPLM_TOKENIZER_NARROW_TAGS") != "0";

    /// <param name="hugePages">Whether to ask for huge pages (see <see cref="LookupTableMemory"/>).</param>
    /// <param name="narrowTags">16-bit tags (256 KiB, 4 sets per tag line) instead of 32-bit ones (512 KiB, 2 per line).</param>
    public SharedWordCache(bool hugePages, bool narrowTags) : this(bytes => new LookupTableMemory(bytes, hugePages), narrowTags) { }

    public SharedWordCache(bool hugePages) : this(hugePages, NarrowTagsByDefault) { }

    /// <param name="allocate">Makes the table's memory from its size in bytes (tests pass one whose huge-page advice fails).</param>
    /// <param name="narrowTags">16-bit tags instead of 32-bit ones.</param>
    internal SharedWordCache(Func<long, LookupTableMemory> allocate, bool narrowTags)
    {
        long tagBytes = (long)Records * (narrowTags ? sizeof(ushort) : sizeof(uint));
        _memory = allocate(tagBytes + (long)Records * RecordWords * sizeof(ulong));
        _narrow = narrowTags;
        _tagsAt = (uint*)_memory.Start;
        _narrowTagsAt = (ushort*)_memory.Start;
        _recordsAt = (ulong*)(_memory.Start + tagBytes);
    }

    internal SharedWordCache(Func<long, LookupTableMemory> allocate) : this(allocate, NarrowTagsByDefault) { }

    public SharedWordCache() : this(LookupTableMemory.HugePagesByDefault) { }

    /// <summary>Whether the tags are 16-bit (see the constructor).</summary>
    public bool NarrowTags => _narrow;

    /// <summary>The memory under the table (its page mode, for diagnostics).</summary>
    public LookupTableMemory Memory => _memory;

    /// <summary>A fast multiply-xorshift hash of a word (its UTF-16 units), folded to 32 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Hash(ReadOnlySpan<char> word)
    {
        var bytes = MemoryMarshal.AsBytes(word);
        ulong h = 0x9E3779B97F4A7C15UL ^ (ulong)bytes.Length;
        int i = 0;
        for (; i + 8 <= bytes.Length; i += 8)
        {
            h = (h ^ BinaryPrimitives.ReadUInt64LittleEndian(bytes.Slice(i, 8))) * 0xFF51AFD7ED558CCDUL;
            h ^= h >> 29;
        }
        ulong tail = 0;
        for (; i < bytes.Length; i++) tail = (tail << 8) | bytes[i];
        h = (h ^ tail) * 0xC4CEB9FE1A85EC53UL;
        return (uint)(h >> 32) ^ (uint)h;
    }

    // Header: bits 0–31 hash, 32–47 sequence (odd while a writer owns the record), 48–55 word length, 56–63 id count.
    const ulong SeqOne = 1UL << 32;
    const ulong SeqMask = 0xFFFFUL << 32;

    static int WordLength(ulong header) => (int)(header >> 48) & 0xFF;
    static int IdCount(ulong header) => (int)(header >> 56);
    static int IdOffset(int wordLength) => (2 * wordLength + 3) & ~3;

    /// <summary>Whether a word of <paramref name="wordLength"/> units with <paramref name="idCount"/> ids fits in a record.</summary>
    public static bool Fits(int wordLength, int idCount) =>
        wordLength is > 0 and <= MaxWordLength && idCount is > 0 and <= 255 && IdOffset(wordLength) + 4 * idCount <= PayloadBytes;

    static uint Tag(uint hash) => hash == 0 ? 1 : hash;
    // The high half: the set index takes the low bits, so the two together still filter on 30 bits of the hash.
    static ushort NarrowTag(uint hash) => hash >> 16 == 0 ? (ushort)1 : (ushort)(hash >> 16);

    Span<byte> Payload(int record) => new(_recordsAt + record * RecordWords + 1, PayloadBytes);

    /// <summary>
    /// Appends the cached ids of <paramref name="word"/> to <paramref name="output"/> and returns true, or returns
    /// false with <paramref name="output"/> unchanged.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet(ReadOnlySpan<char> word, uint hash, IdList output)
    {
        int first = (int)(hash & SetMask) * Ways;
        for (uint ways = Matches(first, hash); ways != 0; ways &= ways - 1)
            if (TryRecord(first + BitOperations.TrailingZeroCount(ways), word, hash, output)) return true;
        return false;
    }

    /// <summary>Bit w set: way w of the set starting at record <paramref name="first"/> has <paramref name="hash"/>'s tag (one vector compare, no loop to mispredict).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    uint Matches(int first, uint hash)
    {
        if (_narrow)
        {
            ushort narrow = NarrowTag(hash);
            if (Vector128.IsHardwareAccelerated)
                return Vector128.Equals(Vector128.Load(_narrowTagsAt + first), Vector128.Create(narrow)).ExtractMostSignificantBits();
            uint found = 0;
            for (int w = 0; w < Ways; w++) if (_narrowTagsAt[first + w] == narrow) found |= 1u << w;
            return found;
        }
        uint tag = Tag(hash);
        if (Vector256.IsHardwareAccelerated)
            return Vector256.Equals(Vector256.Load(_tagsAt + first), Vector256.Create(tag)).ExtractMostSignificantBits();
        uint ways = 0;
        for (int w = 0; w < Ways; w++) if (_tagsAt[first + w] == tag) ways |= 1u << w;
        return ways;
    }

    /// <summary>
    /// Starts fetching the cache line of <paramref name="hash"/>'s set's tags, so that a lookup a little later does not
    /// wait for it (a hint: no effect on any result; nothing on CPUs without SSE).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void PrefetchTags(uint hash)
    {
        if (!Sse.IsSupported) return;
        int first = (int)(hash & SetMask) * Ways;
        if (_narrow) Sse.Prefetch0(_narrowTagsAt + first);
        else Sse.Prefetch0(_tagsAt + first);
    }

    /// <summary>
    /// Starts fetching the record that holds <paramref name="hash"/>'s word, if a tag says one does (a hint like
    /// <see cref="PrefetchTags"/>; the tags should already be in cache, else this waits for them).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void PrefetchRecord(uint hash)
    {
        if (!Sse.IsSupported) return;
        int first = (int)(hash & SetMask) * Ways;
        uint ways = Matches(first, hash);
        if (ways != 0) Sse.Prefetch0(_recordsAt + (first + BitOperations.TrailingZeroCount(ways)) * RecordWords);
    }

    bool TryRecord(int record, ReadOnlySpan<char> word, uint hash, IdList output)
    {
        ref ulong headerRef = ref _recordsAt[record * RecordWords];
        ulong header = Volatile.Read(ref headerRef);
        if ((uint)header != hash || WordLength(header) != word.Length || (header & SeqOne) != 0) return false;
        var payload = Payload(record);
        if (!MemoryMarshal.Cast<byte, char>(payload[..(2 * word.Length)]).SequenceEqual(word)) return false;
        int before = output.Count;
        output.AddRange(MemoryMarshal.Cast<byte, int>(payload.Slice(IdOffset(word.Length), 4 * IdCount(header))));
        // The copy above must be complete before the header is read again (x64: a compiler-only barrier).
        Volatile.ReadBarrier();
        if (Volatile.Read(ref headerRef) == header) return true;
        output.Count = before;                 // a writer replaced the record meanwhile: the copy may be torn
        return false;
    }

    /// <summary>
    /// Caches <paramref name="ids"/> for <paramref name="word"/> if it <see cref="Fits"/>; when its set is full,
    /// replaces the way <paramref name="victim"/> picks (mod 8). A record another thread is writing is left alone.
    /// </summary>
    public void Set(ReadOnlySpan<char> word, uint hash, ReadOnlySpan<int> ids, int victim)
    {
        if (!Fits(word.Length, ids.Length)) return;
        int first = (int)(hash & SetMask) * Ways, record = -1;
        for (int r = first; r < first + Ways; r++)
            if ((_narrow ? Volatile.Read(ref _narrowTagsAt[r]) : Volatile.Read(ref _tagsAt[r])) == 0) { record = r; break; }
        if (record < 0) record = first + (victim & (Ways - 1));

        ref ulong headerRef = ref _recordsAt[record * RecordWords];
        ulong old = Volatile.Read(ref headerRef);
        if ((old & SeqOne) != 0) return;                                   // being written by another thread
        ulong claimed = (old & ~SeqMask) | (((old & SeqMask) + SeqOne) & SeqMask);
        if (Interlocked.CompareExchange(ref headerRef, claimed, old) != old) return;

        var payload = Payload(record);
        word.CopyTo(MemoryMarshal.Cast<byte, char>(payload));
        ids.CopyTo(MemoryMarshal.Cast<byte, int>(payload[IdOffset(word.Length)..]));
        ulong seq = ((claimed & SeqMask) + SeqOne) & SeqMask;
        Volatile.Write(ref headerRef, hash | seq | ((ulong)word.Length << 48) | ((ulong)ids.Length << 56));
        if (_narrow) Volatile.Write(ref _narrowTagsAt[record], NarrowTag(hash));
        else Volatile.Write(ref _tagsAt[record], Tag(hash));
    }
}
