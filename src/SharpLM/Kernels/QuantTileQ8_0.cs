using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpLM.Kernels;

/// <summary>
/// Prefill register tile for Q8_0 weights at <see cref="KernelIsa.V512"/>: 16 weight rows × 4 tokens per step,
/// over a panel of the 16 rows widened to 16 bits with every 32-bit lane belonging to one row.
/// </summary>
/// <remarks>
/// <para>Why 16-bit: x86's byte multiply-add (vpmaddubsw) takes one unsigned operand, and Q8_0 weights are signed, so
/// the row kernel (<see cref="QuantDotQ8_0"/>) moves w's sign onto q (a negate and a blend per vector) and still
/// spends a vpmaddwd, convert and float multiply-add per 2 blocks and token, ~56 operations per 512 multiply-adds.
/// Widened to 16 bits, a block of 16 rows is 16 vectors of 2 weights per row; each meets the token's matching
/// pair of activations broadcast to all lanes in one vpmaddwd (exact: |w·q| ≤ 128·127), 15 vpaddd sum them, and
/// one convert and one multiply-add finish the block: 34 operations. No VNNI: .NET 10 exposes no 512-bit vpdpwssd.</para>
/// <para>Pairing: of each 4 elements e0..e3 of a row, vector 2m holds (e0, e2) and vector 2m+1 holds (e1, e3) as
/// 16-bit lanes (a shift pair on the gathered bytes, no shuffle); <see cref="QuantizedActivations.Wide"/> holds the
/// activations in the same pairing.</para>
/// <para>Panel layout, per block (<see cref="PanelBlockBytes"/>): the 16 vectors, then the 16 rows' scales as f32
/// (0 for rows past the matrix's end). Built per work item into a per-thread buffer, never kept.</para>
/// <para>Per row and token the result is Σ_b fma(Σ w·q, d_w·d_x) in block order: it agrees with
/// <see cref="QuantDotQ8_0.Scalar"/> to rounding but not bit for bit with the row kernels, so
/// <see cref="MatrixKernels"/> runs it only for prefill-sized calls.</para>
/// </remarks>
[SkipLocalsInit]
internal static unsafe class QuantTileQ8_0
{
    public const int Rows = 16;
    /// <summary>Panel bytes per block: 16 vectors of 16-bit weight pairs, 16 f32 scales.</summary>
    public const int PanelBlockBytes = 16 * 64 + 64;

    public static bool IsSupported => Avx512F.IsSupported && Avx512BW.IsSupported && Avx2.IsSupported;

    /// <summary>Packs <paramref name="n"/> (1–16) rows of <paramref name="nb"/> Q8_0 blocks into <paramref name="panel"/>
    /// (nb·<see cref="PanelBlockBytes"/> bytes, 64-byte aligned).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack(byte* w, long rowBytes, int n, int nb, byte* panel)
    {
        // One row per lane (TilePanelRows.Transpose16: loads and an in-lane transpose, no gathers); lanes past the last
        // row get scale 0.
        var lanes = new TilePanelRows(n, rowBytes);
        for (int b = 0; b < nb; b++)
        {
            byte* blk = w + (long)b * QuantDotQ8_0.BlockBytes;
            short* dst = (short*)(panel + (long)b * PanelBlockBytes);
            for (int half = 0; half < 2; half++)
            {
                lanes.Transpose16(blk + 2 + 16 * half, out var t0, out var t1, out var t2, out var t3);
                Widen(t0, dst + 64 * (4 * half));
                Widen(t1, dst + 64 * (4 * half + 1));
                Widen(t2, dst + 64 * (4 * half + 2));
                Widen(t3, dst + 64 * (4 * half + 3));
            }
            lanes.StoreScales(blk, (float*)(dst + 512));
        }
    }

    /// <summary>
    /// Bytes 4m..4m+3 of the 16 rows (dword m, one row per lane) as 16-bit lanes (b0 | b1&lt;&lt;8, b2 | b3&lt;&lt;8):
    /// sign-extending the low bytes gives (e0, e2) of every row at <paramref name="dst"/>, the high bytes (e1, e3) 32 shorts on.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Widen(Vector512<int> dword, short* dst)
    {
        var g = dword.AsInt16();
        ((g << 8) >> 8).Store(dst);
        (g >> 8).Store(dst + 32);
    }

    /// <summary>
    /// y[k·<paramref name="yStride"/> + r] = row r · token k for rows r &lt; <paramref name="rows"/>, tokens k &lt;
    /// <paramref name="count"/>; token k's widened activations start at <paramref name="wide"/> + k·<paramref name="cols"/>
    /// and its block scales at <paramref name="scale"/> + k·cols/32.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(byte* panel, int nb, int rows, short* wide, float* scale, int cols, int count, float* y, long yStride)
    {
        int nbt = cols / 32;
        int k = 0;
        for (; k + 4 <= count; k += 4)
        {
            short* a0 = wide + (long)k * cols, a1 = a0 + cols, a2 = a1 + cols, a3 = a2 + cols;
            float* s0 = scale + (long)k * nbt, s1 = s0 + nbt, s2 = s1 + nbt, s3 = s2 + nbt;
            Vector512<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
            for (int blk = 0; blk < nb; blk++)
            {
                short* p = (short*)(panel + (long)blk * PanelBlockBytes);
                acc0 = Block(p, a0 + blk * 32, s0[blk], acc0);
                acc1 = Block(p, a1 + blk * 32, s1[blk], acc1);
                acc2 = Block(p, a2 + blk * 32, s2[blk], acc2);
                acc3 = Block(p, a3 + blk * 32, s3[blk], acc3);
            }
            Store(acc0, y + k * yStride, rows);
            Store(acc1, y + (k + 1) * yStride, rows);
            Store(acc2, y + (k + 2) * yStride, rows);
            Store(acc3, y + (k + 3) * yStride, rows);
        }
        for (; k < count; k++)
        {
            short* a = wide + (long)k * cols;
            float* s = scale + (long)k * nbt;
            Vector512<float> acc = default;
            for (int blk = 0; blk < nb; blk++) acc = Block((short*)(panel + (long)blk * PanelBlockBytes), a + blk * 32, s[blk], acc);
            Store(acc, y + k * yStride, rows);
        }
    }

    /// <summary>acc + (Σ_i w_i·q_i)·d_w·d_x for one block of the 16 rows and one token.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Block(short* p, short* a, float dx, Vector512<float> acc)
    {
        int* q = (int*)a;
        var s0 = Avx512BW.MultiplyAddAdjacent(Vector512.Load(p), Vector512.Create(q[0]).AsInt16())
               + Avx512BW.MultiplyAddAdjacent(Vector512.Load(p + 32), Vector512.Create(q[1]).AsInt16());
        var s1 = Avx512BW.MultiplyAddAdjacent(Vector512.Load(p + 64), Vector512.Create(q[2]).AsInt16())
               + Avx512BW.MultiplyAddAdjacent(Vector512.Load(p + 96), Vector512.Create(q[3]).AsInt16());
        var s2 = Avx512BW.MultiplyAddAdjacent(Vector512.Load(p + 128), Vector512.Create(q[4]).AsInt16())
               + Avx512BW.MultiplyAddAdjacent(Vector512.Load(p + 160), Vector512.Create(q[5]).AsInt16());
        var s3 = Avx512BW.MultiplyAddAdjacent(Vector512.Load(p + 192), Vector512.Create(q[6]).AsInt16())
               + Avx512BW.MultiplyAddAdjacent(Vector512.Load(p + 224), Vector512.Create(q[7]).AsInt16());
        var s4 = Avx512BW.MultiplyAddAdjacent(Vector512.Load(p + 256), Vector512.Create(q[8]).AsInt16())
               + Avx512BW.MultiplyAddAdjacent(Vector512.Load(p + 288), Vector512.Create(q[9]).AsInt16());
        var s5 = Avx512BW.MultiplyAddAdjacent(Vector512.Load(p + 320), Vector512.Create(q[10]).AsInt16())
               + Avx512BW.MultiplyAddAdjacent(Vector512.Load(p + 352), Vector512.Create(q[11]).AsInt16());
        var s6 = Avx512BW.MultiplyAddAdjacent(Vector512.Load(p + 384), Vector512.Create(q[12]).AsInt16())
               + Avx512BW.MultiplyAddAdjacent(Vector512.Load(p + 416), Vector512.Create(q[13]).AsInt16());
        var s7 = Avx512BW.MultiplyAddAdjacent(Vector512.Load(p + 448), Vector512.Create(q[14]).AsInt16())
               + Avx512BW.MultiplyAddAdjacent(Vector512.Load(p + 480), Vector512.Create(q[15]).AsInt16());
        var s = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
        var dw = Vector512.Load((float*)(p + 512));
        return Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(s), dw * Vector512.Create(dx), acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store(Vector512<float> v, float* y, int rows)
    {
        if (rows == Rows) { v.Store(y); return; }
        for (int r = 0; r < rows; r++) y[r] = v[r];
    }
}
