using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpLM.Kernels.Training;

/// <summary>
/// The AVX2 + FMA path of <see cref="SmallMatMul"/> (AMD Zen 2/3 and other CPUs without AVX-512): the same products in
/// 256-bit register blocks, 16 columns (two ymm) wide.
/// </summary>
/// <remarks>
/// There are 16 ymm registers: a 6×16 block holds 12 accumulators, B's two vectors and one broadcast of A. Per k step
/// that is 12 FMAs for 8 loads (2 of B, 6 broadcasts; AVX2 has no broadcast operand in an FMA), within Zen 3's 2 FMA
/// and 3 load pipes, and 12 independent chains cover the FMA latency (4 cycles × 2 pipes = 8 needed). A 4×16 block
/// (8 chains, still enough) takes the rows a 6-row split would leave as 8 (m = 32 is 6+6+6+6+4+4) or 4–5; single
/// rows take the rest. <see cref="SmallMatMul.NN"/> and <see cref="SmallMatMul.TN"/> both come here, as A(i, p) =
/// a[i·ai + p·ap] (TN's rows at one p are consecutive floats). Each C element is the same FMA chain as on the 512-bit
/// path, so the bits are the same.
/// </remarks>
public static unsafe partial class SmallMatMul
{
    /// <summary><see cref="NN"/> on the 256-bit path whatever the CPU's widest (tests; needs AVX2 + FMA).</summary>
    internal static void NN256(int m, int n, int k, float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate) =>
        Run256(m, n, k, a, lda, 1, b, ldb, c, ldc, accumulate);

    /// <summary><see cref="TN"/> on the 256-bit path whatever the CPU's widest (tests; needs AVX2 + FMA).</summary>
    internal static void TN256(int m, int n, int k, float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate) =>
        Run256(m, n, k, a, 1, lda, b, ldb, c, ldc, accumulate);

    static void Run256(int m, int n, int k, float* a, long ai, long ap, float* b, int ldb, float* c, int ldc, bool accumulate)
    {
        if ((n & 15) != 0) throw new ArgumentException("n must be a multiple of 16", nameof(n));
        // Column panels outer, rows inner: one k×16 panel of B (4 KiB at k = 64) stays in L1 while every row block uses it.
        for (int j = 0; j < n; j += 16)
        {
            float* bj = b + j, cj = c + j;
            int i = 0;
            for (; m - i >= 6 && m - i != 8; i += 6) Block6x16(k, a + i * ai, ai, ap, bj, ldb, cj + (long)i * ldc, ldc, accumulate);
            for (; m - i >= 4; i += 4) Block4x16Fma(k, a + i * ai, ai, ap, bj, ldb, cj + (long)i * ldc, ldc, accumulate);
            for (; i < m; i++) Block1x16Fma(k, a + i * ai, ap, bj, ldb, cj + (long)i * ldc, accumulate);
        }
    }

    /// <summary>6×16 block: rows as two pointers (rows 0–2 and 3–5) plus the offsets ai, 2ai (base + index·4 addressing).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    static void Block6x16(int k, float* a, long ai, long ap, float* b, int ldb, float* c, int ldc, bool accumulate)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        long ai2 = 2 * ai, ai3 = 3 * ai, sb = ldb;
        float* p0 = a;
        for (int p = 0; p < k; p++, p0 += ap)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            b += sb;
            float* p3 = p0 + ai3;
            var x = Vector256.Create(p0[0]); c00 = Fma.MultiplyAdd(x, b0, c00); c01 = Fma.MultiplyAdd(x, b1, c01);
            x = Vector256.Create(p0[ai]); c10 = Fma.MultiplyAdd(x, b0, c10); c11 = Fma.MultiplyAdd(x, b1, c11);
            x = Vector256.Create(p0[ai2]); c20 = Fma.MultiplyAdd(x, b0, c20); c21 = Fma.MultiplyAdd(x, b1, c21);
            x = Vector256.Create(p3[0]); c30 = Fma.MultiplyAdd(x, b0, c30); c31 = Fma.MultiplyAdd(x, b1, c31);
            x = Vector256.Create(p3[ai]); c40 = Fma.MultiplyAdd(x, b0, c40); c41 = Fma.MultiplyAdd(x, b1, c41);
            x = Vector256.Create(p3[ai2]); c50 = Fma.MultiplyAdd(x, b0, c50); c51 = Fma.MultiplyAdd(x, b1, c51);
        }
        Store256(c, c00, accumulate); Store256(c + 8, c01, accumulate); c += ldc;
        Store256(c, c10, accumulate); Store256(c + 8, c11, accumulate); c += ldc;
        Store256(c, c20, accumulate); Store256(c + 8, c21, accumulate); c += ldc;
        Store256(c, c30, accumulate); Store256(c + 8, c31, accumulate); c += ldc;
        Store256(c, c40, accumulate); Store256(c + 8, c41, accumulate); c += ldc;
        Store256(c, c50, accumulate); Store256(c + 8, c51, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    static void Block4x16Fma(int k, float* a, long ai, long ap, float* b, int ldb, float* c, int ldc, bool accumulate)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        long ai2 = 2 * ai, ai3 = 3 * ai, sb = ldb;
        float* p0 = a;
        for (int p = 0; p < k; p++, p0 += ap)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            b += sb;
            var x = Vector256.Create(p0[0]); c00 = Fma.MultiplyAdd(x, b0, c00); c01 = Fma.MultiplyAdd(x, b1, c01);
            x = Vector256.Create(p0[ai]); c10 = Fma.MultiplyAdd(x, b0, c10); c11 = Fma.MultiplyAdd(x, b1, c11);
            x = Vector256.Create(p0[ai2]); c20 = Fma.MultiplyAdd(x, b0, c20); c21 = Fma.MultiplyAdd(x, b1, c21);
            x = Vector256.Create(p0[ai3]); c30 = Fma.MultiplyAdd(x, b0, c30); c31 = Fma.MultiplyAdd(x, b1, c31);
        }
        Store256(c, c00, accumulate); Store256(c + 8, c01, accumulate); c += ldc;
        Store256(c, c10, accumulate); Store256(c + 8, c11, accumulate); c += ldc;
        Store256(c, c20, accumulate); Store256(c + 8, c21, accumulate); c += ldc;
        Store256(c, c30, accumulate); Store256(c + 8, c31, accumulate);
    }

    static void Block1x16Fma(int k, float* a, long ap, float* b, int ldb, float* c, bool accumulate)
    {
        Vector256<float> c0 = default, c1 = default;
        long o = 0;
        for (int p = 0; p < k; p++, b += ldb, o += ap)
        {
            var x = Vector256.Create(a[o]);
            c0 = Fma.MultiplyAdd(x, Vector256.Load(b), c0);
            c1 = Fma.MultiplyAdd(x, Vector256.Load(b + 8), c1);
        }
        Store256(c, c0, accumulate); Store256(c + 8, c1, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store256(float* c, Vector256<float> v, bool accumulate)
    {
        if (accumulate) v += Vector256.Load(c);
        v.Store(c);
    }
}
