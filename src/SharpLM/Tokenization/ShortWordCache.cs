using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace SharpLM.Tokenization;

/// <summary>
/// A dense front table for the most common pieces — up to 8 characters, each U+0001–U+00FF or ▁, with up to 3 ids —
/// shared by every thread encoding with one tokenizer: 16-byte records, 3 to a 64-byte line with the line's sequence
/// lock, 1 MiB by default, and a lookup that finds its piece here touches one line.
/// </summary>
/// <remarks>
/// <para>Why: on real text ~76 % of the pieces fit this form, and they are only ~23k distinct pieces per 4 MB of text.
/// In <see cref="SharedWordCache"/> each takes a 64-byte record plus its set's tag line (two lines per lookup, the hot
/// set spread over 8.5 MiB); on this machine a line not in the core's own L2 (1 MiB) comes from DRAM (~120 ns). Here the
/// same pieces take 1 MiB, 3 to a line. The working-set model in the bench (<c>tokenizer-short-words</c>) puts the
/// gain at ~10 % fewer lookup lines from beyond L2 per KB of text (~5 % of all lines, the text and ids streams included):
/// a piece that misses here still costs the records' two lines, plus this one.</para>
/// <para>Exact, with no hash-only match: the key is the whole piece, one byte per character (▁ → 0x80, every other
/// allowed character its own code, zero-padded), so two different pieces of ≤ 8 allowed characters always have
/// different keys (no character maps to 0, and U+0080 itself is not allowed), and a key equal to the looked-up one
/// means the same piece. The ids are packed 21 bits each (0x1FFFFF marks an unused slot).</para>
/// <para>It is a front table, not a partition: every piece also stays in <see cref="SharedWordCache"/> (which holds it
/// when its set here is full), and a piece found there is copied here. Concurrency is the same sequence-lock scheme as
/// <see cref="SharedWordCache"/>, one lock word per line: a reader that sees the word odd or changed after its copy
/// counts a miss; a writer that cannot claim the line does not cache.</para>
/// </remarks>
internal sealed unsafe class ShortWordCache
{
    /// <summary>log2 of the lines (of 64 bytes) a table has unless told otherwise: 2^14 lines = 1 MiB.</summary>
    public const int DefaultLineBits = 14;
    const int Ways = 3;
    const int LineWords = 8;                    // ulongs per line: sequence, unused, then (key, ids) × 3
    /// <summary>Longest piece (UTF-16 units) with a key.</summary>
    public const int MaxWordLength = 8;
    /// <summary>Most ids a record holds.</summary>
    public const int MaxIds = 3;
    const ulong IdMask = (1UL << 21) - 1;       // also the unused-slot mark, so an id must be below it
    const ulong Unused = IdMask;

    readonly LookupTableMemory _memory;
    readonly ulong* _lines;
    readonly int _lineBits;

    /// <summary>
    /// Whether encoders use this table unless told otherwise: on, except with <c>SHARPLM_TOKENIZER_SHORT_WORDS=0</c>
    /// (the lead's A/B switch: one build, the records-only path; ids are the same either way).
    /// </summary>
    public static bool EnabledByDefault { get; } = Environment.GetEnvironmentVariable("SHARPLM_TOKENIZER_SHORT_WORDS") != "0";

    /// <param name="lineBits">log2 of the table's lines (benchmarks compare sizes; 10 to 20).</param>
    public ShortWordCache(bool hugePages, int lineBits = DefaultLineBits) : this(bytes => new LookupTableMemory(bytes, hugePages), lineBits) { }

    public ShortWordCache() : this(LookupTableMemory.HugePagesByDefault) { }

    /// <param name="allocate">Makes the table's memory from its size in bytes.</param>
    /// <param name="lineBits">log2 of the table's lines.</param>
    internal ShortWordCache(Func<long, LookupTableMemory> allocate, int lineBits = DefaultLineBits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(lineBits, 10);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(lineBits, 20);
        _lineBits = lineBits;
        _memory = allocate((1L << lineBits) * LineWords * sizeof(ulong));
        _lines = (ulong*)_memory.Start;
    }

    /// <summary>log2 of the table's lines.</summary>
    public int LineBits => _lineBits;

    /// <summary>The memory under the table (its page mode, for diagnostics).</summary>
    public LookupTableMemory Memory => _memory;

    /// <summary>
    /// The key of <paramref name="piece"/> (its characters one byte each, ▁ as 0x80, little-endian), or 0 when the piece
    /// has no key here (longer than <see cref="MaxWordLength"/>, empty, or a character outside U+0001–U+00FF and ▁, or U+0080).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Key(ReadOnlySpan<char> piece)
    {
        if (piece.Length is 0 or > MaxWordLength) return 0;
        ulong key = 0;
        for (int i = 0; i < piece.Length; i++)
        {
            uint c = piece[i];
            uint b = c == '\u2581' ? 0x80u : c;
            if (b - 1 >= 0xFF || c == 0x80) return 0;   // U+0000, above U+00FF (but ▁), and U+0080 (the code ▁ takes)
            key |= (ulong)b << (8 * i);
        }
        return key;
    }

    /// <summary>The line <paramref name="key"/> lives in (a multiplicative hash of the key; tests use it to fill one line).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int LineOf(ulong key, int lineBits) => (int)((key * 0x9E3779B97F4A7C15UL) >> (64 - lineBits));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    ulong* Line(ulong key) => _lines + LineOf(key, _lineBits) * LineWords;

    /// <summary>Starts fetching <paramref name="key"/>'s line (a hint: no effect on any result).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Prefetch(ulong key)
    {
        if (Sse.IsSupported) Sse.Prefetch0(Line(key));
    }

    /// <summary>
    /// Appends the cached ids of the piece whose <see cref="Key"/> is <paramref name="key"/> to <paramref name="output"/>
    /// and returns true, or returns false with <paramref name="output"/> unchanged (always for key 0: "no key", which is
    /// also what an empty record holds).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet(ulong key, IdList output)
    {
        if (key == 0) return false;
        ulong* line = Line(key);
        ulong seq = Volatile.Read(ref line[0]);
        ulong ids;
        if (line[2] == key) ids = line[3];
        else if (line[4] == key) ids = line[5];
        else if (line[6] == key) ids = line[7];
        else return false;
        // The key and ids above must be read before the sequence word is read again (x64: a compiler-only barrier).
        Volatile.ReadBarrier();
        if ((seq & 1) != 0 || Volatile.Read(ref line[0]) != seq) return false;   // a writer had or took the line
        output.Add((int)(ids & IdMask));
        ulong second = (ids >> 21) & IdMask;
        if (second == Unused) return true;
        output.Add((int)second);
        ulong third = (ids >> 42) & IdMask;
        if (third != Unused) output.Add((int)third);
        return true;
    }

    /// <summary>Whether <paramref name="ids"/> fit a record (1 to 3 ids, each below 2^21 − 1).</summary>
    public static bool Fits(ReadOnlySpan<int> ids)
    {
        if (ids.Length is 0 or > MaxIds) return false;
        foreach (int id in ids) if ((uint)id >= Unused) return false;
        return true;
    }

    /// <summary>What <see cref="Set"/> did.</summary>
    public enum SetOutcome { NotWritten, Written, AlreadyThere }

    /// <summary>
    /// Caches <paramref name="ids"/> under <paramref name="key"/> (non-zero) if they <see cref="Fits"/>; when the line
    /// is full, replaces the way <paramref name="victim"/> picks (mod 3). A line another thread is writing is left alone,
    /// and so is a line that already holds this exact record: a write takes the line from the other cores' caches
    /// (their next lookup there misses in L2), so an identical rewrite is pure cost.
    /// </summary>
    public SetOutcome Set(ulong key, ReadOnlySpan<int> ids, int victim)
    {
        if (key == 0 || !Fits(ids)) return SetOutcome.NotWritten;
        ulong packed = (uint)ids[0] | ((ids.Length > 1 ? (ulong)(uint)ids[1] : Unused) << 21) | ((ids.Length > 2 ? (ulong)(uint)ids[2] : Unused) << 42);
        ulong* line = Line(key);
        ulong seq = Volatile.Read(ref line[0]);
        if ((seq & 1) != 0) return SetOutcome.NotWritten;                  // being written by another thread
        // A plain read (no lock): if the record is there the lookup only failed on a racing writer; a stale read here
        // only costs one needless write or one skipped refill, never a wrong answer (lookups check the sequence word).
        for (int w = 0; w < Ways; w++)
            if (line[2 + 2 * w] == key && line[3 + 2 * w] == packed) return SetOutcome.AlreadyThere;
        if (Interlocked.CompareExchange(ref line[0], seq + 1, seq) != seq) return SetOutcome.NotWritten;
        int way = -1;
        for (int w = 0; w < Ways; w++)
            if (line[2 + 2 * w] == key || line[2 + 2 * w] == 0) { way = w; break; }
        if (way < 0) way = (int)((uint)victim % Ways);
        line[2 + 2 * way] = key;
        line[3 + 2 * way] = packed;
        Volatile.Write(ref line[0], seq + 2);
        return SetOutcome.Written;
    }
}
