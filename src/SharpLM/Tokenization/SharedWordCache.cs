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
/// 8 ways (a set's tags fill half a cache line) keep conflict misses rare at the load real text gives.
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
    /// <summary>Records (a power of two): 8 MiB of records and 512 KiB of tags in native memory (made on a tokenizer's first encode).</summary>
    public const int Records = 1 << 17;
    const int Ways = 8;
    const int SetMask = Records / Ways - 1;
    const int RecordWords = 8;                 // ulongs per record = 64 bytes
    const int PayloadBytes = (RecordWords - 1) * 8;
    /// <summary>Longest word (UTF-16 units) a record can hold (with one id).</summary>
    public const int MaxWordLength = (PayloadBytes - 4) / 2;

    readonly LookupTableMemory _memory;        // tags, then records: 2 MiB aligned, advised as huge pages
    readonly ulong* _recordsAt;                // record 0 (cache-line aligned)
    readonly uint* _tagsAt;                    // record → its word's hash (0 = empty), a filter read before the record; a set's 8 tags in one cache line

    /// <param name="hugePages">Whether to ask for huge pages (see <see cref="LookupTableMemory"/>).</param>
    public SharedWordCache(bool hugePages) : this(bytes => new LookupTableMemory(bytes, hugePages)) { }

    /// <param name="allocate">Makes the table's memory from its size in bytes (tests pass one whose huge-page advice fails).</param>
    internal SharedWordCache(Func<long, LookupTableMemory> allocate)
    {
        const long TagBytes = Records * sizeof(uint);
        _memory = allocate(TagBytes + (long)Records * RecordWords * sizeof(ulong));
        _tagsAt = (uint*)_memory.Start;
        _recordsAt = (ulong*)(_memory.Start + TagBytes);
    }

    public SharedWordCache() : this(LookupTableMemory.HugePagesByDefault) { }

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

    Span<byte> Payload(int record) => new(_recordsAt + record * RecordWords + 1, PayloadBytes);

    /// <summary>
    /// Appends the cached ids of <paramref name="word"/> to <paramref name="output"/> and returns true, or returns
    /// false with <paramref name="output"/> unchanged.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet(ReadOnlySpan<char> word, uint hash, IdList output)
    {
        int first = (int)(hash & SetMask) * Ways;
        for (uint ways = Matches(first, Tag(hash)); ways != 0; ways &= ways - 1)
            if (TryRecord(first + BitOperations.TrailingZeroCount(ways), word, hash, output)) return true;
        return false;
    }

    /// <summary>Bit w set: way w of the set starting at record <paramref name="first"/> has tag <paramref name="tag"/> (one vector compare, no loop to mispredict).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    uint Matches(int first, uint tag)
    {
        if (Vector256.IsHardwareAccelerated)
            return Vector256.Equals(Vector256.Load(_tagsAt + first), Vector256.Create(tag)).ExtractMostSignificantBits();
        uint ways = 0;
        var tags = new ReadOnlySpan<uint>(_tagsAt + first, Ways);
        for (int w = 0; w < tags.Length; w++) if (tags[w] == tag) ways |= 1u << w;
        return ways;
    }

    /// <summary>
    /// Starts fetching the cache line of <paramref name="hash"/>'s set's tags, so that a lookup a little later does not
    /// wait for it (a hint: no effect on any result; nothing on CPUs without SSE).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void PrefetchTags(uint hash)
    {
        if (Sse.IsSupported) Sse.Prefetch0(_tagsAt + (int)(hash & SetMask) * Ways);
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
        uint ways = Matches(first, Tag(hash));
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
        for (int r = first; r < first + Ways; r++) if (Volatile.Read(ref _tagsAt[r]) == 0) { record = r; break; }
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
        Volatile.Write(ref _tagsAt[record], Tag(hash));
    }
}
