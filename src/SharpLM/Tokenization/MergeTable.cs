using System.Numerics;
using System.Runtime.CompilerServices;

namespace SharpLM.Tokenization;

/// <summary>
/// The BPE merge rules keyed by the pair of ids they join: (left, right) → (rank, merged id). A compact
/// open-addressing table (16 bytes a slot, load ≤ 1/2, linear probing) so the hot loop does one multiply and
/// usually one cache line per lookup, with no per-lookup allocation or string work.
/// </summary>
internal sealed unsafe class MergeTable
{
    struct Slot
    {
        public ulong Key;   // (left << 32 | right) + 1; 0 (Empty) when unused, so a new array is already empty
        public int Rank;
        public int Result;
    }

    const ulong Empty = 0;
    readonly LookupTableMemory _memory;   // 2 MiB aligned, advised as huge pages (see LookupTableMemory)
    readonly Slot* _slots;
    readonly int _capacity;
    readonly int _shift;
    readonly int _mask;

    /// <summary>The memory under the table (its page mode, for diagnostics).</summary>
    public LookupTableMemory Memory => _memory;

    /// <summary>Number of distinct pairs.</summary>
    public int Count { get; private set; }

    /// <param name="capacityHint">Expected number of merges.</param>
    /// <param name="hugePages">Whether to ask for huge pages for the slots.</param>
    public MergeTable(int capacityHint, bool hugePages)
    {
        int capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, capacityHint * 2));
        _memory = new LookupTableMemory((long)capacity * sizeof(Slot), hugePages);
        _slots = (Slot*)_memory.Start;
        _capacity = capacity;
        _mask = capacity - 1;
        _shift = 64 - BitOperations.Log2((uint)capacity);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static ulong KeyOf(int left, int right) => (((ulong)(uint)left << 32) | (uint)right) + 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    int Home(ulong key) => (int)((key * 0x9E3779B97F4A7C15UL) >> _shift);

    /// <summary>
    /// Sets the rule for (left, right). A pair given twice keeps the later rank, as Hugging Face's map built
    /// from the merge list does.
    /// </summary>
    public void Set(int left, int right, int rank, int result)
    {
        ulong key = KeyOf(left, right);
        for (int i = Home(key); ; i = (i + 1) & _mask)
        {
            ref var s = ref _slots[i];
            if (s.Key == Empty)
            {
                if ((Count + 1) * 2 > _capacity) throw new InvalidOperationException("MergeTable over capacity");
                s.Key = key;
                s.Rank = rank;
                s.Result = result;
                Count++;
                return;
            }
            if (s.Key == key)
            {
                s.Rank = rank;
                s.Result = result;
                return;
            }
        }
    }

    /// <summary>
    /// Sets the rules of <paramref name="left"/>/<paramref name="right"/>/<paramref name="result"/> at ranks 0, 1, …
    /// in order (as <see cref="Set"/> one by one), fetching each pair's home slot a few rules ahead: the 16 MB table is
    /// far bigger than the caches, and a load stalled on a cache miss per rule was most of the build time.
    /// </summary>
    public unsafe void SetAll(ReadOnlySpan<int> left, ReadOnlySpan<int> right, ReadOnlySpan<int> result)
    {
        const int Ahead = 16;
        for (int r = 0; r < left.Length; r++)
        {
            if (r + Ahead < left.Length && System.Runtime.Intrinsics.X86.Sse.IsSupported)
                System.Runtime.Intrinsics.X86.Sse.Prefetch0(_slots + Home(KeyOf(left[r + Ahead], right[r + Ahead])));
            Set(left[r], right[r], r, result[r]);
        }
    }

    /// <summary>The rule joining <paramref name="left"/> and <paramref name="right"/>, if any.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet(int left, int right, out int rank, out int result)
    {
        ulong key = KeyOf(left, right);
        var slots = _slots;
        for (int i = Home(key); ; i = (i + 1) & _mask)
        {
            ref var s = ref slots[i];
            if (s.Key == key)
            {
                rank = s.Rank;
                result = s.Result;
                return true;
            }
            if (s.Key == Empty)
            {
                rank = 0;
                result = 0;
                return false;
            }
        }
    }
}
