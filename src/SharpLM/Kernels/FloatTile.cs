using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpLM.Tensors;

namespace SharpLM.Kernels;

/// <summary>
/// Prefill register tile for BF16/F16 weights at <see cref="KernelIsa.V512"/>: 32 rows widened once per work item into a
/// column-major f32 panel (one 16-lane vector = 16 rows at one column), then 32 rows × up to 12 tokens per step with 24
/// accumulators: per column two panel loads and one broadcast activation per token feed 24 FMAs, with no horizontal sums.
/// </summary>
/// <remarks>
/// <para>Why: the row kernel (<see cref="FloatDot"/>) widens each weight vector (F16: integer arithmetic, .NET has no
/// <c>vcvtph2ps</c>) for every 4-token tile and issues one activation load per FMA. Session 5's first float tile (4 rows ×
/// 4 tokens on a row-major panel) needed 8 loads per 16 FMAs and a horizontal sum per output, and ran at ~20–29 GMAC/s per
/// core against an FMA peak of ~73. Rows across lanes (the training GEMM's 12 × 32 micro-kernel, <c>Training/Gemm.cs</c>,
/// with weights in the place of B and tokens in the place of A) needs 14 loads per 24 FMAs, and each accumulator at the
/// end is 16 outputs of one token, adjacent in y.</para>
/// <para>The panel is 32 rows × one column block (≤ <see cref="MaxBlockCols"/>) of f32 (rows past the matrix's end are
/// zero and never stored), built block by block per work item into a per-thread buffer of at most 128 KiB: no resident copy of the weights. F16 uses the exact conversion (<see cref="HalfBits"/>), so
/// inf/NaN/subnormal weights need no recheck. Rows are widened 16 columns at a time and transposed 16 × 16 in registers.</para>
/// <para>Per row and token: the columns run in at most <see cref="MaxBlockCols"/>-long blocks (equal lengths), each an
/// in-order FMA chain from zero added to y. Agrees with <see cref="FloatDot.Scalar{L}"/> to rounding.</para>
/// </remarks>
[SkipLocalsInit]
internal static unsafe class FloatTile
{
    /// <summary>Weight rows per panel (two 16-lane vectors per column).</summary>
    public const int Rows = 32;

    /// <summary>Most tokens per register tile (24 accumulators, 2 weight vectors, 1 broadcast of the 32 registers).</summary>
    public const int TileTokens = 12;

    /// <summary>Widens columns [<paramref name="c0"/>, c0 + <paramref name="kc"/>) of <paramref name="n"/> (1–32) rows of
    /// <paramref name="type"/> (BF16 or F16) into <paramref name="panel"/> column-major: row r of column c0 + c at c·32 + r
    /// (rows n..31 zero).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Pack(TensorType type, byte* w, long rowBytes, int n, int c0, int kc, float* panel)
    {
        bool bf16 = type == TensorType.BF16;
        w += c0 * sizeof(ushort);
        int cols = kc, vecCols = cols & ~15;
        Vector512<float>* rowv = stackalloc Vector512<float>[16];
        for (int h = 0; h < 2; h++)
        {
            int rBase = h * 16;
            for (int c = 0; c < vecCols; c += 16)
            {
                for (int r = 0; r < 16; r++)
                {
                    int row = rBase + r;
                    if (row >= n) { rowv[r] = default; continue; }
                    var raw = Vector512.WidenLower(Vector256.Load((ushort*)(w + row * rowBytes) + c).ToVector512Unsafe());
                    rowv[r] = bf16 ? (raw << 16).AsSingle() : HalfBits.ToSingle(raw);
                }
                Transpose16(rowv, panel + (long)c * Rows + rBase);
            }
        }
        for (int c = vecCols; c < cols; c++)
            for (int r = 0; r < Rows; r++)
            {
                ushort bits = r < n ? ((ushort*)(w + r * rowBytes))[c] : (ushort)0;
                panel[(long)c * Rows + r] = r >= n ? 0f : bf16 ? BFloat16.ToSingle(bits) : HalfBits.ToSingle(bits);
            }
    }

    /// <summary>
    /// 16 × 16 transpose: row r of <paramref name="m"/> (16 columns) → column r of 16 vectors stored <see cref="Rows"/>
    /// floats apart at <paramref name="dst"/> (vector j = column j's 16 rows). Pairs of rows, then pairs of pairs, are
    /// interleaved inside 128-bit lanes (32 unpacks), then the lanes are exchanged (32 <c>vshuff32x4</c>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Transpose16(Vector512<float>* m, float* dst)
    {
        // Stage 1–2 per group g of rows 4g..4g+3: gJ holds, in 128-bit lane L, column J + 4L of those 4 rows.
        Interleave4(m, out var a0, out var a1, out var a2, out var a3);
        Interleave4(m + 4, out var b0, out var b1, out var b2, out var b3);
        Interleave4(m + 8, out var c0, out var c1, out var c2, out var c3);
        Interleave4(m + 12, out var d0, out var d1, out var d2, out var d3);
        // Stage 3–4 per J: lane L of groups 0–3 → column J + 4L.
        Lanes(a0, b0, c0, d0, dst);
        Lanes(a1, b1, c1, d1, dst + Rows);
        Lanes(a2, b2, c2, d2, dst + 2 * Rows);
        Lanes(a3, b3, c3, d3, dst + 3 * Rows);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Interleave4(Vector512<float>* r, out Vector512<float> j0, out Vector512<float> j1, out Vector512<float> j2, out Vector512<float> j3)
    {
        var t0 = Avx512F.UnpackLow(r[0], r[1]).AsDouble(); var t1 = Avx512F.UnpackHigh(r[0], r[1]).AsDouble();
        var t2 = Avx512F.UnpackLow(r[2], r[3]).AsDouble(); var t3 = Avx512F.UnpackHigh(r[2], r[3]).AsDouble();
        j0 = Avx512F.UnpackLow(t0, t2).AsSingle();
        j1 = Avx512F.UnpackHigh(t0, t2).AsSingle();
        j2 = Avx512F.UnpackLow(t1, t3).AsSingle();
        j3 = Avx512F.UnpackHigh(t1, t3).AsSingle();
    }

    /// <summary>Lane L of <paramref name="g0"/>..<paramref name="g3"/> (4 rows each) → 16 rows of one column, stored at dst + 4L·Rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Lanes(Vector512<float> g0, Vector512<float> g1, Vector512<float> g2, Vector512<float> g3, float* dst)
    {
        var lo01 = Avx512F.Shuffle4x128(g0, g1, 0x44); var hi01 = Avx512F.Shuffle4x128(g0, g1, 0xEE);
        var lo23 = Avx512F.Shuffle4x128(g2, g3, 0x44); var hi23 = Avx512F.Shuffle4x128(g2, g3, 0xEE);
        Avx512F.Shuffle4x128(lo01, lo23, 0x88).Store(dst);
        Avx512F.Shuffle4x128(lo01, lo23, 0xDD).Store(dst + 4 * Rows);
        Avx512F.Shuffle4x128(hi01, hi23, 0x88).Store(dst + 8 * Rows);
        Avx512F.Shuffle4x128(hi01, hi23, 0xDD).Store(dst + 12 * Rows);
    }

    /// <summary>
    /// Longest column block of <see cref="Multiply"/>: the block's panel, 32 × 1024 f32 (128 KiB), is widened and then used
    /// by every token tile while it is in L2. Per core (kernels --l2-only, BF16/F16, C = 1152 and 6912) 1024 beat 128, 256,
    /// 512 and 2048 (BENCHMARKS.md, session 5 round 2).
    /// </summary>
    public const int MaxBlockCols = 1024;

    /// <summary>Columns per block for <paramref name="cols"/> columns: equal blocks of at most <see cref="MaxBlockCols"/>, whole 16-column steps but the last.</summary>
    static int BlockCols(int cols)
    {
        int blocks = (cols + MaxBlockCols - 1) / MaxBlockCols;
        return Math.Max(16, ((cols + blocks - 1) / blocks + 15) & ~15);
    }

    /// <summary>Panel floats <see cref="Multiply"/> needs for <paramref name="cols"/> columns (one column block).</summary>
    public static long PanelFloats(int cols) => (long)Rows * Math.Min(cols, BlockCols(cols));

    /// <summary>
    /// y[k·<paramref name="yStride"/> + r] = W row r · x row k for r &lt; <paramref name="rows"/> (1–32 rows of
    /// <paramref name="type"/>, <paramref name="rowBytes"/> apart), k &lt; <paramref name="count"/> (x rows
    /// <paramref name="cols"/> apart); <paramref name="panel"/>: <see cref="PanelFloats"/> floats, 64-byte aligned.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(TensorType type, byte* w, long rowBytes, int rows, int cols, float* x, int count, float* y, long yStride, float* panel)
    {
        if (cols == 0)
        {
            for (int k = 0; k < count; k++) new Span<float>(y + k * yStride, rows).Clear();
            return;
        }
        int blockCols = BlockCols(cols);
        // Token tiles of near-equal size (64 = 6 × 10–11, not 5 × 12 + 4: a 4-token tile is latency-bound).
        int tiles = (count + TileTokens - 1) / TileTokens;
        nint stride = (nint)cols * sizeof(float);
        for (int c0 = 0; c0 < cols; c0 += blockCols)
        {
            int kc = Math.Min(blockCols, cols - c0);
            Pack(type, w, rowBytes, rows, c0, kc, panel);
            bool first = c0 == 0;
            int k0 = 0;
            for (int t = 0; t < tiles; t++)
            {
                int n = count / tiles + (t < count % tiles ? 1 : 0);
                float* px = x + (long)k0 * cols + c0, py = y + k0 * yStride;
                switch (n)
                {
                    case 1: Micro<T1>(panel, kc, px, stride, py, yStride, rows, first); break;
                    case 2: Micro<T2>(panel, kc, px, stride, py, yStride, rows, first); break;
                    case 3: Micro<T3>(panel, kc, px, stride, py, yStride, rows, first); break;
                    case 4: Micro<T4>(panel, kc, px, stride, py, yStride, rows, first); break;
                    case 5: Micro<T5>(panel, kc, px, stride, py, yStride, rows, first); break;
                    case 6: Micro<T6>(panel, kc, px, stride, py, yStride, rows, first); break;
                    case 7: Micro<T7>(panel, kc, px, stride, py, yStride, rows, first); break;
                    case 8: Micro<T8>(panel, kc, px, stride, py, yStride, rows, first); break;
                    case 9: Micro<T9>(panel, kc, px, stride, py, yStride, rows, first); break;
                    case 10: Micro<T10>(panel, kc, px, stride, py, yStride, rows, first); break;
                    case 11: Micro<T11>(panel, kc, px, stride, py, yStride, rows, first); break;
                    default: Micro<T12>(panel, kc, px, stride, py, yStride, rows, first); break;
                }
                k0 += n;
            }
        }
    }

    /// <summary>Tokens of one register tile, a compile-time constant per instantiation (the JIT drops the unused accumulators).</summary>
    interface ITokens { static abstract int N { get; } }
    struct T1 : ITokens { public static int N => 1; }
    struct T2 : ITokens { public static int N => 2; }
    struct T3 : ITokens { public static int N => 3; }
    struct T4 : ITokens { public static int N => 4; }
    struct T5 : ITokens { public static int N => 5; }
    struct T6 : ITokens { public static int N => 6; }
    struct T7 : ITokens { public static int N => 7; }
    struct T8 : ITokens { public static int N => 8; }
    struct T9 : ITokens { public static int N => 9; }
    struct T10 : ITokens { public static int N => 10; }
    struct T11 : ITokens { public static int N => 11; }
    struct T12 : ITokens { public static int N => 12; }

    /// <summary>How many columns ahead the micro-kernel prefetches the panel (128 bytes a column; as Gemm's B).</summary>
    const int PrefetchColumns = 16;

    /// <summary>
    /// 32 rows × <typeparamref name="TN"/>.N tokens over <paramref name="kc"/> columns: y (+)= the sums. Token k's
    /// activations are at <paramref name="x"/> + k·<paramref name="stride"/> bytes, addressed from four bases (tokens
    /// 0, 3, 6, 9) with scaled offsets so the loop needs few registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Micro<TN>(float* w, int kc, float* x, nint stride, float* y, long yStride, int rows, bool first) where TN : struct, ITokens
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        Vector512<float> c80 = default, c81 = default, c90 = default, c91 = default, ca0 = default, ca1 = default, cb0 = default, cb1 = default;
        byte* p0 = (byte*)x, p3 = p0 + 3 * stride, p6 = p0 + 6 * stride, p9 = p0 + 9 * stride;
        float* end = w + (long)kc * Rows;
        for (; w < end; w += Rows, p0 += 4, p3 += 4, p6 += 4, p9 += 4)
        {
            Sse.Prefetch0(w + PrefetchColumns * Rows); Sse.Prefetch0(w + PrefetchColumns * Rows + 16);
            var w0 = Vector512.Load(w);
            var w1 = Vector512.Load(w + 16);
            Vector512<float> b;
            b = Vector512.Create(*(float*)p0); c00 = Avx512F.FusedMultiplyAdd(w0, b, c00); c01 = Avx512F.FusedMultiplyAdd(w1, b, c01);
            if (TN.N > 1) { b = Vector512.Create(*(float*)(p0 + stride)); c10 = Avx512F.FusedMultiplyAdd(w0, b, c10); c11 = Avx512F.FusedMultiplyAdd(w1, b, c11); }
            if (TN.N > 2) { b = Vector512.Create(*(float*)(p0 + stride * 2)); c20 = Avx512F.FusedMultiplyAdd(w0, b, c20); c21 = Avx512F.FusedMultiplyAdd(w1, b, c21); }
            if (TN.N > 3) { b = Vector512.Create(*(float*)p3); c30 = Avx512F.FusedMultiplyAdd(w0, b, c30); c31 = Avx512F.FusedMultiplyAdd(w1, b, c31); }
            if (TN.N > 4) { b = Vector512.Create(*(float*)(p0 + stride * 4)); c40 = Avx512F.FusedMultiplyAdd(w0, b, c40); c41 = Avx512F.FusedMultiplyAdd(w1, b, c41); }
            if (TN.N > 5) { b = Vector512.Create(*(float*)(p3 + stride * 2)); c50 = Avx512F.FusedMultiplyAdd(w0, b, c50); c51 = Avx512F.FusedMultiplyAdd(w1, b, c51); }
            if (TN.N > 6) { b = Vector512.Create(*(float*)p6); c60 = Avx512F.FusedMultiplyAdd(w0, b, c60); c61 = Avx512F.FusedMultiplyAdd(w1, b, c61); }
            if (TN.N > 7) { b = Vector512.Create(*(float*)(p3 + stride * 4)); c70 = Avx512F.FusedMultiplyAdd(w0, b, c70); c71 = Avx512F.FusedMultiplyAdd(w1, b, c71); }
            if (TN.N > 8) { b = Vector512.Create(*(float*)(p0 + stride * 8)); c80 = Avx512F.FusedMultiplyAdd(w0, b, c80); c81 = Avx512F.FusedMultiplyAdd(w1, b, c81); }
            if (TN.N > 9) { b = Vector512.Create(*(float*)p9); c90 = Avx512F.FusedMultiplyAdd(w0, b, c90); c91 = Avx512F.FusedMultiplyAdd(w1, b, c91); }
            if (TN.N > 10) { b = Vector512.Create(*(float*)(p9 + stride)); ca0 = Avx512F.FusedMultiplyAdd(w0, b, ca0); ca1 = Avx512F.FusedMultiplyAdd(w1, b, ca1); }
            if (TN.N > 11) { b = Vector512.Create(*(float*)(p9 + stride * 2)); cb0 = Avx512F.FusedMultiplyAdd(w0, b, cb0); cb1 = Avx512F.FusedMultiplyAdd(w1, b, cb1); }
        }
        if (rows == Rows)
        {
            Store(y, c00, c01, first);
            if (TN.N > 1) Store(y + yStride, c10, c11, first);
            if (TN.N > 2) Store(y + 2 * yStride, c20, c21, first);
            if (TN.N > 3) Store(y + 3 * yStride, c30, c31, first);
            if (TN.N > 4) Store(y + 4 * yStride, c40, c41, first);
            if (TN.N > 5) Store(y + 5 * yStride, c50, c51, first);
            if (TN.N > 6) Store(y + 6 * yStride, c60, c61, first);
            if (TN.N > 7) Store(y + 7 * yStride, c70, c71, first);
            if (TN.N > 8) Store(y + 8 * yStride, c80, c81, first);
            if (TN.N > 9) Store(y + 9 * yStride, c90, c91, first);
            if (TN.N > 10) Store(y + 10 * yStride, ca0, ca1, first);
            if (TN.N > 11) Store(y + 11 * yStride, cb0, cb1, first);
            return;
        }
        // Fewer rows (the matrix's last panel): the padded rows' sums are zero and are not stored.
        float* t = stackalloc float[TileTokens * Rows];
        c00.Store(t); c01.Store(t + 16); c10.Store(t + 32); c11.Store(t + 48); c20.Store(t + 64); c21.Store(t + 80);
        c30.Store(t + 96); c31.Store(t + 112); c40.Store(t + 128); c41.Store(t + 144); c50.Store(t + 160); c51.Store(t + 176);
        c60.Store(t + 192); c61.Store(t + 208); c70.Store(t + 224); c71.Store(t + 240); c80.Store(t + 256); c81.Store(t + 272);
        c90.Store(t + 288); c91.Store(t + 304); ca0.Store(t + 320); ca1.Store(t + 336); cb0.Store(t + 352); cb1.Store(t + 368);
        for (int k = 0; k < TN.N; k++)
        {
            float* yk = y + k * yStride;
            for (int r = 0; r < rows; r++) yk[r] = first ? t[k * Rows + r] : yk[r] + t[k * Rows + r];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store(float* y, Vector512<float> lo, Vector512<float> hi, bool first)
    {
        if (!first) { lo += Vector512.Load(y); hi += Vector512.Load(y + 16); }
        lo.Store(y);
        hi.Store(y + 16);
    }
}
