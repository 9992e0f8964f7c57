using System.Runtime.InteropServices;

namespace SharpLM.Tokenization;

/// <summary>
/// One encoding thread's word-cache counters (diagnostics: written on every piece, read only while the thread is idle).
/// </summary>
/// <remarks>
/// Padded like <see cref="IdList"/>: the counters are written for every piece, and two threads' counter objects can end
/// up side by side once a GC has compacted them; the padding keeps each thread's counters in a cache line of their own.
/// </remarks>
[StructLayout(LayoutKind.Explicit)]
internal sealed class EncoderCounters
{
    /// <summary>Pieces found in the shared caches (<see cref="SharedWordCache"/>, <see cref="LongWordCache"/>).</summary>
    [FieldOffset(64)] public long Hits;
    /// <summary>Pieces encoded by BPE (in no cache).</summary>
    [FieldOffset(72)] public long Misses;
    /// <summary>Of <see cref="Misses"/>: pieces too long for any cache.</summary>
    [FieldOffset(80)] public long LongPieces;
    /// <summary>Of <see cref="Misses"/>: pieces too big for a <see cref="SharedWordCache"/> record.</summary>
    [FieldOffset(88)] public long OverflowMisses;
    /// <summary>Of <see cref="Hits"/>: pieces found in the <see cref="ShortWordCache"/>.</summary>
    [FieldOffset(96)] public long ShortHits;
    /// <summary>Pieces with a <see cref="ShortWordCache"/> key that it did not answer and that were then written to it (a refill: a shared line written).</summary>
    [FieldOffset(104)] public long ShortRefills;
    /// <summary>Of those misses, pieces whose record was already there (a racing writer made the lookup fail): not rewritten.</summary>
    [FieldOffset(112)] public long ShortRefillsSkipped;
    [FieldOffset(184)] readonly long _padEnd;   // ≥ 64 bytes after the last counter
}
