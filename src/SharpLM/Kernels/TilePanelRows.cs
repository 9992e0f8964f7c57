using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpLM.Kernels;

/// <summary>
/// The 16 weight rows a prefill tile packs (<see cref="QuantTileQ4_0"/>, <see cref="QuantTileQ8_0"/>): one row per
/// 32-bit lane, gathered in two halves of 8 lanes. Lanes past the last row re-read the last row (so every gather
/// stays inside the matrix) and get scale 0 (so they contribute nothing and are never stored).
/// </summary>
internal readonly struct TilePanelRows
{
    /// <summary>Byte offsets of lanes 0–7 and 8–15 from the first row.</summary>
    public readonly Vector256<int> OffsetLo, OffsetHi;
    /// <summary>All ones for lanes that hold a real row, zero for padding.</summary>
    public readonly Vector256<uint> ValidLo, ValidHi;

    /// <summary>Lanes for <paramref name="rows"/> (1–16) rows <paramref name="rowBytes"/> apart.</summary>
    public TilePanelRows(int rows, long rowBytes)
    {
        var lane = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
        var last = Vector256.Create(rows - 1);
        OffsetLo = Vector256.Min(lane, last) * (int)rowBytes;
        OffsetHi = Vector256.Min(lane + Vector256.Create(8), last) * (int)rowBytes;
        ValidLo = Vector256.LessThan(lane, Vector256.Create(rows)).AsUInt32();
        ValidHi = Vector256.LessThan(lane + Vector256.Create(8), Vector256.Create(rows)).AsUInt32();
    }

    /// <summary>
    /// Writes the 16 rows' scales of the block at <paramref name="block"/> (Q4_0 and Q8_0 blocks both start with an
    /// fp16 scale) as f32 to <paramref name="dst"/>[0..16], 0 for padding lanes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe void StoreScales(byte* block, float* dst)
    {
        var s0 = Avx2.GatherVector256((int*)block, OffsetLo, 1).AsUInt32() & Vector256.Create(0xFFFFu);
        var s1 = Avx2.GatherVector256((int*)block, OffsetHi, 1).AsUInt32() & Vector256.Create(0xFFFFu);
        (HalfBits.ToSingle(s0).AsUInt32() & ValidLo).AsSingle().Store(dst);
        (HalfBits.ToSingle(s1).AsUInt32() & ValidHi).AsSingle().Store(dst + 8);
    }
}
