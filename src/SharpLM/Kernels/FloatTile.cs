using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpLM.Tensors;

namespace SharpLM.Kernels;

/// <summary>
/// Prefill register tile for BF16/F16 weights at <see cref="KernelIsa.V512"/>: 16 rows widened once to an f32 panel,
/// then 4 rows × 4 tokens per step with 16 accumulators, so every weight and activation load feeds four FMAs.
/// </summary>
/// <remarks>
/// <para>Why: the row kernel (<see cref="FloatDot"/>) widens each weight vector (F16: integer arithmetic, .NET has no
/// <c>vcvtph2ps</c>) for every 4-token tile and issues one activation load per FMA, so it is bound by loads and
/// widening, not by the FMA ports. Widening a 16-row panel once per work item (up to 64 tokens) spreads the
/// conversion over all of them; the 4×4 tile then needs 8 loads per 16 FMAs.</para>
/// <para>The panel is 16 rows × cols f32 (rows past the matrix's end are zero and never stored), built per work
/// item into a per-thread buffer: no resident copy of the weights. F16 uses the exact conversion
/// (<see cref="HalfBits"/>), so inf/NaN weights need no recheck.</para>
/// <para>Per row and token: for each block of <see cref="BlockCols"/> columns, 16 lane sums in steps of 16 folded by
/// <see cref="HorizontalSums.Sum4"/> and added to y, then the last cols mod 16 products in order. Agrees with <see cref="FloatDot.Scalar{L}"/> to rounding.</para>
/// </remarks>
[SkipLocalsInit]
internal static unsafe class FloatTile
{
    public const int Rows = 16;

    /// <summary>Panel floats for <paramref name="cols"/> columns.</summary>
    public static long PanelFloats(int cols) => (long)Rows * cols;

    /// <summary>Widens <paramref name="n"/> (1–16) rows of <paramref name="type"/> (BF16 or F16) into <paramref name="panel"/>
    /// (row r at r·cols; rows n..15 zero).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack(TensorType type, byte* w, long rowBytes, int n, int cols, float* panel)
    {
        for (int r = 0; r < Rows; r++)
        {
            float* dst = panel + (long)r * cols;
            if (r >= n) { new Span<float>(dst, cols).Clear(); continue; }
            ushort* src = (ushort*)(w + r * rowBytes);
            int i = 0;
            if (type == TensorType.BF16)
            {
                for (; i + 16 <= cols; i += 16)
                    (Vector512.WidenLower(Vector256.Load(src + i).ToVector512Unsafe()) << 16).AsSingle().Store(dst + i);
                for (; i < cols; i++) dst[i] = BFloat16.ToSingle(src[i]);
            }
            else
            {
                for (; i + 16 <= cols; i += 16)
                    HalfBits.ToSingle(Vector512.WidenLower(Vector256.Load(src + i).ToVector512Unsafe())).Store(dst + i);
                for (; i < cols; i++) dst[i] = HalfBits.ToSingle(src[i]);
            }
        }
    }

    /// <summary>
    /// Columns per pass of <see cref="Run"/>: the panel's 16 rows × 256 f32 (16 KiB) and one token quad's 4 × 256 (4 KiB)
    /// stay in L1 while every token quad and row quad of the item passes over them.
    /// </summary>
    public const int BlockCols = 256;

    /// <summary>
    /// y[k·<paramref name="yStride"/> + r] = panel row r · x row k for r &lt; <paramref name="rows"/>, k &lt;
    /// <paramref name="count"/> (x rows <paramref name="cols"/> apart).
    /// </summary>
    /// <remarks>
    /// The columns run in blocks of <see cref="BlockCols"/>: unblocked, a 4 × 4 tile streams 4 weight rows and 4
    /// activation rows (36 KiB at C = 1152, 221 KiB at 6912) past L1 for every tile, so its 8 loads per 16 FMAs came
    /// from L2 and the tile ran at ~20 GMAC/s per core, under a third of the FMA peak (bench: kernels --l2-only).
    /// Each block's sums are added to y; the last cols mod 16 products follow in order.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(float* panel, int rows, int cols, float* x, int count, float* y, long yStride)
    {
        int vecCols = cols & ~15;
        if (vecCols == 0)
            for (int k = 0; k < count; k++) new Span<float>(y + k * yStride, rows).Clear();
        for (int c0 = 0; c0 < vecCols; c0 += BlockCols)
        {
            int c1 = Math.Min(vecCols, c0 + BlockCols);
            bool first = c0 == 0;
            int k = 0;
            for (; k + 4 <= count; k += 4)
                for (int r = 0; r < rows; r += 4)
                    Tile4x4(panel + (long)r * cols, cols, x + (long)k * cols, c0, c1, y + k * yStride + r, yStride, Math.Min(4, rows - r), first);
            for (; k < count; k++)
                for (int r = 0; r < rows; r += 4)
                    Tile4x1(panel + (long)r * cols, cols, x + (long)k * cols, c0, c1, y + k * yStride + r, Math.Min(4, rows - r), first);
        }
        if (vecCols == cols) return;
        for (int k = 0; k < count; k++)
        {
            float* xk = x + (long)k * cols;
            for (int r = 0; r < rows; r++)
            {
                float* wr = panel + (long)r * cols;
                float v = y[k * yStride + r];
                for (int j = vecCols; j < cols; j++) v += wr[j] * xk[j];
                y[k * yStride + r] = v;
            }
        }
    }

    /// <summary>4 rows × 4 tokens over columns [c0, c1) (multiples of 16): y (+)= the sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Tile4x4(float* w, int cols, float* x, int c0, int c1, float* y, long yStride, int rows, bool first)
    {
        float* w0 = w, w1 = w + cols, w2 = w + 2 * cols, w3 = w + 3 * cols;
        float* x0 = x, x1 = x + cols, x2 = x + 2 * cols, x3 = x + 3 * cols;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        for (int i = c0; i < c1; i += 16)
        {
            var v0 = Vector512.Load(x0 + i); var v1 = Vector512.Load(x1 + i); var v2 = Vector512.Load(x2 + i); var v3 = Vector512.Load(x3 + i);
            var u = Vector512.Load(w0 + i);
            a00 = Vector512.FusedMultiplyAdd(u, v0, a00); a01 = Vector512.FusedMultiplyAdd(u, v1, a01);
            a02 = Vector512.FusedMultiplyAdd(u, v2, a02); a03 = Vector512.FusedMultiplyAdd(u, v3, a03);
            u = Vector512.Load(w1 + i);
            a10 = Vector512.FusedMultiplyAdd(u, v0, a10); a11 = Vector512.FusedMultiplyAdd(u, v1, a11);
            a12 = Vector512.FusedMultiplyAdd(u, v2, a12); a13 = Vector512.FusedMultiplyAdd(u, v3, a13);
            u = Vector512.Load(w2 + i);
            a20 = Vector512.FusedMultiplyAdd(u, v0, a20); a21 = Vector512.FusedMultiplyAdd(u, v1, a21);
            a22 = Vector512.FusedMultiplyAdd(u, v2, a22); a23 = Vector512.FusedMultiplyAdd(u, v3, a23);
            u = Vector512.Load(w3 + i);
            a30 = Vector512.FusedMultiplyAdd(u, v0, a30); a31 = Vector512.FusedMultiplyAdd(u, v1, a31);
            a32 = Vector512.FusedMultiplyAdd(u, v2, a32); a33 = Vector512.FusedMultiplyAdd(u, v3, a33);
        }
        // Row r's sums for tokens 0..3, transposed to token k's sums for rows 0..3 (contiguous in y).
        var s0 = HorizontalSums.Sum4(a00, a01, a02, a03);
        var s1 = HorizontalSums.Sum4(a10, a11, a12, a13);
        var s2 = HorizontalSums.Sum4(a20, a21, a22, a23);
        var s3 = HorizontalSums.Sum4(a30, a31, a32, a33);
        var t0 = Sse.UnpackLow(s0, s1); var t1 = Sse.UnpackHigh(s0, s1);
        var t2 = Sse.UnpackLow(s2, s3); var t3 = Sse.UnpackHigh(s2, s3);
        var k0 = Sse.MoveLowToHigh(t0, t2); var k1 = Sse.MoveHighToLow(t2, t0);
        var k2 = Sse.MoveLowToHigh(t1, t3); var k3 = Sse.MoveHighToLow(t3, t1);
        if (rows == 4)
        {
            float* y0 = y, y1 = y + yStride, y2 = y + 2 * yStride, y3 = y + 3 * yStride;
            if (first) { k0.Store(y0); k1.Store(y1); k2.Store(y2); k3.Store(y3); }
            else
            {
                (Vector128.Load(y0) + k0).Store(y0); (Vector128.Load(y1) + k1).Store(y1);
                (Vector128.Load(y2) + k2).Store(y2); (Vector128.Load(y3) + k3).Store(y3);
            }
            return;
        }
        Span<Vector128<float>> byToken = stackalloc Vector128<float>[4];
        byToken[0] = k0; byToken[1] = k1; byToken[2] = k2; byToken[3] = k3;
        for (int k = 0; k < 4; k++)
            for (int r = 0; r < rows; r++)
                y[k * yStride + r] = (first ? 0 : y[k * yStride + r]) + byToken[k][r];
    }

    /// <summary>4 rows × 1 token over columns [c0, c1) (multiples of 16): y (+)= the sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Tile4x1(float* w, int cols, float* x, int c0, int c1, float* y, int rows, bool first)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int i = c0; i < c1; i += 16)
        {
            var v = Vector512.Load(x + i);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(w + i), v, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(w + cols + i), v, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 2 * cols + i), v, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 3 * cols + i), v, a3);
        }
        var s = HorizontalSums.Sum4(a0, a1, a2, a3);
        for (int r = 0; r < rows; r++) y[r] = (first ? 0 : y[r]) + s[r];
    }
}
