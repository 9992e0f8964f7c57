using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
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
/// <para>Per row and token: 16 lane sums over the columns in steps of 16, folded by <see cref="HorizontalSums.Sum4"/>,
/// plus the last cols mod 16 products in order. Agrees with <see cref="FloatDot.Scalar{L}"/> to rounding.</para>
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
    /// y[k·<paramref name="yStride"/> + r] = panel row r · x row k for r &lt; <paramref name="rows"/>, k &lt;
    /// <paramref name="count"/> (x rows <paramref name="cols"/> apart).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(float* panel, int rows, int cols, float* x, int count, float* y, long yStride)
    {
        int k = 0;
        for (; k + 4 <= count; k += 4)
            for (int r = 0; r < rows; r += 4)
                Tile4x4(panel + (long)r * cols, cols, x + (long)k * cols, y + k * yStride + r, yStride, Math.Min(4, rows - r));
        for (; k < count; k++)
            for (int r = 0; r < rows; r += 4)
                Tile4x1(panel + (long)r * cols, cols, x + (long)k * cols, y + k * yStride + r, Math.Min(4, rows - r));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Tile4x4(float* w, int cols, float* x, float* y, long yStride, int rows)
    {
        float* w0 = w, w1 = w + cols, w2 = w + 2 * cols, w3 = w + 3 * cols;
        float* x0 = x, x1 = x + cols, x2 = x + 2 * cols, x3 = x + 3 * cols;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        int i = 0;
        for (; i + 16 <= cols; i += 16)
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
        // Row r's sums for tokens 0..3, then the column tail in order.
        Span<Vector128<float>> s = stackalloc Vector128<float>[4];
        s[0] = HorizontalSums.Sum4(a00, a01, a02, a03);
        s[1] = HorizontalSums.Sum4(a10, a11, a12, a13);
        s[2] = HorizontalSums.Sum4(a20, a21, a22, a23);
        s[3] = HorizontalSums.Sum4(a30, a31, a32, a33);
        for (int r = 0; r < rows; r++)
        {
            float* wr = w + (long)r * cols;
            for (int k = 0; k < 4; k++)
            {
                float v = s[r][k];
                float* xk = x + (long)k * cols;
                for (int j = i; j < cols; j++) v += wr[j] * xk[j];
                y[k * yStride + r] = v;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Tile4x1(float* w, int cols, float* x, float* y, int rows)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        int i = 0;
        for (; i + 16 <= cols; i += 16)
        {
            var v = Vector512.Load(x + i);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(w + i), v, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(w + cols + i), v, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 2 * cols + i), v, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 3 * cols + i), v, a3);
        }
        var s = HorizontalSums.Sum4(a0, a1, a2, a3);
        for (int r = 0; r < rows; r++)
        {
            float v = s[r];
            float* wr = w + (long)r * cols;
            for (int j = i; j < cols; j++) v += wr[j] * x[j];
            y[r] = v;
        }
    }
}
