using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpLM.Kernels;

/// <summary>
/// The 16 weight rows a prefill tile packs (<see cref="QuantTileQ4_0"/>, <see cref="QuantTileQ8_0"/>): one row per
/// 32-bit lane. Lanes past the last row re-read the last row (so every load stays inside the matrix) and get scale 0
/// (so they contribute nothing and are never stored).
/// </summary>
internal readonly struct TilePanelRows
{
    /// <summary>Byte offsets of lanes 0–7 and 8–15 from the first row.</summary>
    public readonly Vector256<int> OffsetLo, OffsetHi;
    /// <summary>All ones for lanes that hold a real row, zero for padding.</summary>
    public readonly Vector256<uint> ValidLo, ValidHi;

    /// <summary>Byte offset of each lane's row from the first row.</summary>
    readonly RowOffsets _row;

    [InlineArray(16)]
    struct RowOffsets { long _first; }

    /// <summary>Lanes for <paramref name="rows"/> (1–16) rows <paramref name="rowBytes"/> apart.</summary>
    public TilePanelRows(int rows, long rowBytes)
    {
        for (int i = 0; i < 16; i++) _row[i] = Math.Min(i, rows - 1) * rowBytes;
        var lane = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
        var last = Vector256.Create(rows - 1);
        OffsetLo = Vector256.Min(lane, last) * (int)rowBytes;
        OffsetHi = Vector256.Min(lane + Vector256.Create(8), last) * (int)rowBytes;
        ValidLo = Vector256.LessThan(lane, Vector256.Create(rows)).AsUInt32();
        ValidHi = Vector256.LessThan(lane + Vector256.Create(8), Vector256.Create(rows)).AsUInt32();
    }

    /// <summary>
    /// Dword j of the 16 bytes at <paramref name="q"/> in each lane's row, as <paramref name="t0"/>..<paramref name="t3"/>
    /// (lane r = row r). Rows 4L+i are loaded into 128-bit lane L of vector z_i, then a 4 × 4 dword transpose inside
    /// each 128-bit lane (8 unpacks) leaves dword j of rows 0–15 in vector j: 16 loads and 8 shuffles where two
    /// 256-bit gathers per dword cost about as much as 3 tokens' worth of the Q4_0 tile (bench: kernels --l2-only).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe void Transpose16(byte* q, out Vector512<int> t0, out Vector512<int> t1, out Vector512<int> t2, out Vector512<int> t3)
    {
        var z0 = Lanes(q, q + _row[4], q + _row[8], q + _row[12]);
        var z1 = Lanes(q + _row[1], q + _row[5], q + _row[9], q + _row[13]);
        var z2 = Lanes(q + _row[2], q + _row[6], q + _row[10], q + _row[14]);
        var z3 = Lanes(q + _row[3], q + _row[7], q + _row[11], q + _row[15]);
        var a = Avx512F.UnpackLow(z0, z1).AsInt64(); var c = Avx512F.UnpackLow(z2, z3).AsInt64();
        var b = Avx512F.UnpackHigh(z0, z1).AsInt64(); var d = Avx512F.UnpackHigh(z2, z3).AsInt64();
        t0 = Avx512F.UnpackLow(a, c).AsInt32(); t1 = Avx512F.UnpackHigh(a, c).AsInt32();
        t2 = Avx512F.UnpackLow(b, d).AsInt32(); t3 = Avx512F.UnpackHigh(b, d).AsInt32();
    }

    /// <summary>The 16 bytes at each of <paramref name="l0"/>..<paramref name="l3"/> as the four 128-bit lanes of one vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector512<int> Lanes(byte* l0, byte* l1, byte* l2, byte* l3) =>
        Vector512.Create(Vector256.Create(Vector128.Load((int*)l0), Vector128.Load((int*)l1)), Vector256.Create(Vector128.Load((int*)l2), Vector128.Load((int*)l3)));

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
