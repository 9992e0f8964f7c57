using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpLM.Kernels;

/// <summary>
/// Prefill register tile for Q4_0 weights at <see cref="KernelIsa.V512"/>: 16 weight rows × 4 tokens per step,
/// over a panel of the 16 rows repacked so that every 32-bit lane of a vector belongs to one row.
/// </summary>
/// <remarks>
/// <para>Why: the row-at-a-time kernel (<see cref="QuantDotQ4_0"/>) keeps a block's 32 elements spread over lanes,
/// so each block's integer sum needs its own vpmaddwd, subtract, convert and float multiply-add, four lanes per
/// block doing the same float work. Here lane r of every vector is row r: a block of 16 rows is 8 vectors of
/// 4 nibbles per row (elements 4j..4j+3 for vector j &lt; 4, 16+4(j−4).. for j ≥ 4); vector j meets the
/// token's activation bytes 4j..4j+3 broadcast to all lanes. Eight vpmaddubsw per block and token are summed in
/// 16 bits (each is ≤ 2·15·127 = 3810, eight ≤ 30480: no saturation), then one vpmaddwd, one subtract of 8·Σq,
/// one convert and one multiply-add finish 16 rows' block at once — 20 vector operations per 512
/// multiply-adds against the row kernel's ~39. No VNNI: .NET 10 exposes no 512-bit vpdpbusd.</para>
/// <para>Panel layout, per block b (<see cref="PanelBlockBytes"/> each): the 8 nibble vectors (already
/// unpacked to bytes 0–15, so the inner loop does no masking or shifting), then the 16 rows' scales as f32.
/// Rows past the matrix's end are padded with scale 0 (their lanes contribute 0 and are not stored). The panel
/// is built per work item (16 rows) into a per-thread buffer from the mapped weights, never kept: no extra
/// resident memory, and its cost is spread over every token of the item.</para>
/// <para>Per row and token the result is Σ_b fma(Σ(n−8)·q, d_w·d_x) in block order, the same products the
/// scalar path sums with a separate multiply and add, so it agrees with <see cref="QuantDotQ4_0.Scalar"/> to
/// rounding. It does not have the same bits as the row kernels; <see cref="MatrixKernels"/> runs it only for
/// calls of at least <see cref="MatrixKernels.PrefillTileMinTokens"/> tokens (prefill), never for decode.</para>
/// </remarks>
[SkipLocalsInit]
internal static unsafe class QuantTileQ4_0
{
    /// <summary>Weight rows per panel (one per 32-bit lane of a 512-bit vector).</summary>
    public const int Rows = 16;
    /// <summary>Panel bytes per block: 8 vectors of unpacked nibbles, 16 f32 scales.</summary>
    public const int PanelBlockBytes = 8 * 64 + 64;

    /// <summary>True when the tile can run (AVX-512F/BW; the caller also needs <see cref="KernelIsa.V512"/>).</summary>
    public static bool IsSupported => Avx512F.IsSupported && Avx512BW.IsSupported && Avx2.IsSupported;

    /// <summary>
    /// Packs <paramref name="n"/> (1–16) rows of <paramref name="nb"/> Q4_0 blocks, starting at <paramref name="w"/>,
    /// <paramref name="rowBytes"/> apart, into <paramref name="panel"/> (nb·<see cref="PanelBlockBytes"/> bytes,
    /// 64-byte aligned).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack(byte* w, long rowBytes, int n, int nb, byte* panel)
    {
        // One row per lane (TilePanelRows.Transpose16: loads and an in-lane transpose, no gathers); lanes past the last
        // row get scale 0.
        var lanes = new TilePanelRows(n, rowBytes);
        var mask = Vector512.Create(0x0F0F0F0F);
        for (int b = 0; b < nb; b++)
        {
            byte* blk = w + (long)b * QuantDotQ4_0.BlockBytes;
            int* dst = (int*)(panel + (long)b * PanelBlockBytes);
            lanes.Transpose16(blk + 2, out var t0, out var t1, out var t2, out var t3);
            (t0 & mask).Store(dst); (t1 & mask).Store(dst + 16); (t2 & mask).Store(dst + 32); (t3 & mask).Store(dst + 48);
            ((t0 >>> 4) & mask).Store(dst + 64); ((t1 >>> 4) & mask).Store(dst + 80);
            ((t2 >>> 4) & mask).Store(dst + 96); ((t3 >>> 4) & mask).Store(dst + 112);
            lanes.StoreScales(blk, (float*)(dst + 128));
        }
    }

    /// <summary>
    /// y[k·<paramref name="yStride"/> + r] = row r · token k for the panel's rows r &lt; <paramref name="rows"/> and
    /// tokens k &lt; <paramref name="count"/>; token k's activations are <paramref name="tokens"/>[0] advanced by k tokens
    /// of <paramref name="cols"/> values.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(byte* panel, int nb, int rows, Q8Token t0, int cols, int count, float* y, long yStride)
    {
        int k = 0;
        for (; k + 4 <= count; k += 4)
        {
            Q8Token a = Advance(t0, cols, k), b = Advance(t0, cols, k + 1), c = Advance(t0, cols, k + 2), d = Advance(t0, cols, k + 3);
            Vector512<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
            for (int blk = 0; blk < nb; blk++)
            {
                byte* p = panel + (long)blk * PanelBlockBytes;
                var w0 = Vector512.Load(p); var w1 = Vector512.Load(p + 64); var w2 = Vector512.Load(p + 128); var w3 = Vector512.Load(p + 192);
                var w4 = Vector512.Load(p + 256); var w5 = Vector512.Load(p + 320); var w6 = Vector512.Load(p + 384); var w7 = Vector512.Load(p + 448);
                var dw = Vector512.Load((float*)(p + 512));
                acc0 = Block(w0, w1, w2, w3, w4, w5, w6, w7, dw, a, blk, acc0);
                acc1 = Block(w0, w1, w2, w3, w4, w5, w6, w7, dw, b, blk, acc1);
                acc2 = Block(w0, w1, w2, w3, w4, w5, w6, w7, dw, c, blk, acc2);
                acc3 = Block(w0, w1, w2, w3, w4, w5, w6, w7, dw, d, blk, acc3);
            }
            Store(acc0, y + k * yStride, rows);
            Store(acc1, y + (k + 1) * yStride, rows);
            Store(acc2, y + (k + 2) * yStride, rows);
            Store(acc3, y + (k + 3) * yStride, rows);
        }
        for (; k < count; k++)
        {
            Q8Token a = Advance(t0, cols, k);
            Vector512<float> acc = default;
            for (int blk = 0; blk < nb; blk++)
            {
                byte* p = panel + (long)blk * PanelBlockBytes;
                acc = Block(Vector512.Load(p), Vector512.Load(p + 64), Vector512.Load(p + 128), Vector512.Load(p + 192),
                    Vector512.Load(p + 256), Vector512.Load(p + 320), Vector512.Load(p + 384), Vector512.Load(p + 448),
                    Vector512.Load((float*)(p + 512)), a, blk, acc);
            }
            Store(acc, y + k * yStride, rows);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Q8Token Advance(Q8Token t, int cols, int k)
    {
        long c = (long)k * cols, nb = c / 32;
        return new Q8Token(t.Natural + c, t.Nibble + c, t.Scale + nb, t.X4 + nb * 4, t.X8 + nb * 8, t.Off4 + nb * 4, t.Sum8 + nb);
    }

    /// <summary>acc + (Σ_i (n_i − 8)·q_i)·d_w·d_x for one block of the 16 rows and one token.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Block(Vector512<byte> w0, Vector512<byte> w1, Vector512<byte> w2, Vector512<byte> w3,
        Vector512<byte> w4, Vector512<byte> w5, Vector512<byte> w6, Vector512<byte> w7, Vector512<float> dw, Q8Token t, int blk, Vector512<float> acc)
    {
        int* q = (int*)(t.Natural + blk * 32);
        var p01 = Avx512BW.MultiplyAddAdjacent(w0, Vector512.Create(q[0]).AsSByte()) + Avx512BW.MultiplyAddAdjacent(w1, Vector512.Create(q[1]).AsSByte());
        var p23 = Avx512BW.MultiplyAddAdjacent(w2, Vector512.Create(q[2]).AsSByte()) + Avx512BW.MultiplyAddAdjacent(w3, Vector512.Create(q[3]).AsSByte());
        var p45 = Avx512BW.MultiplyAddAdjacent(w4, Vector512.Create(q[4]).AsSByte()) + Avx512BW.MultiplyAddAdjacent(w5, Vector512.Create(q[5]).AsSByte());
        var p67 = Avx512BW.MultiplyAddAdjacent(w6, Vector512.Create(q[6]).AsSByte()) + Avx512BW.MultiplyAddAdjacent(w7, Vector512.Create(q[7]).AsSByte());
        var s = Avx512BW.MultiplyAddAdjacent((p01 + p23) + (p45 + p67), Vector512.Create((short)1)) - Vector512.Create(t.Sum8[blk]);
        return Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(s), dw * Vector512.Create(t.Scale[blk]), acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store(Vector512<float> v, float* y, int rows)
    {
        if (rows == Rows) { v.Store(y); return; }
        for (int r = 0; r < rows; r++) y[r] = v[r];
    }
}
