using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpLM.Kernels.Training;

/// <summary>
/// Single-threaded float C[m,n] (+)= A[m,k]·B[k,n] on unpacked row-major data, for the small products inside
/// one attention task (scores, probabilities × values and their gradients), where the caller already runs in
/// parallel and the operands sit in per-thread scratch or in L2. n must be a multiple of 16 (callers pad).
/// Two paths: 512-bit register blocks with AVX-512 (below), 256-bit ones with AVX2 + FMA
/// (<c>SmallMatMul.Blocks256.cs</c>). Both compute every C element as one FMA chain over p = 0..k−1 from zero, then add
/// C when accumulating, so they give the same bits (tests compare both with <see cref="ReferenceFma"/>).
/// </summary>
/// <remarks>
/// A is addressed as A(i, p) = a[i·ai + p·ap]: <see cref="NN"/> passes (lda, 1), <see cref="TN"/> passes (1, lda),
/// so a product with Aᵀ (attention's dK += dSᵀ·Q, dV += Pᵀ·dO) reads A where it lies instead of transposing it.
/// Register blocks 12×32 and 8×32 (24 and 16 zmm accumulators: at least twice the FMA latency × ports, so a late load
/// does not stall the FMAs): per k, two loads of B's row and 12 or 8 broadcasts of A; 4- and 1-row blocks take the
/// remainder (m = 32 is 12 + 12 + 8). <see cref="TN"/>,
/// whose A rows at one k are consecutive floats, uses 12×32 blocks (24 accumulators) from one pointer instead. The
/// reference is the plain triple loop in <see cref="Reference"/>; tests compare the two.
/// </remarks>
public static unsafe partial class SmallMatMul
{
    /// <summary>
    /// True when a fast path can run: AVX-512 (<see cref="Vec.Use512"/>) or AVX2 + FMA (<see cref="Vec.Use256"/>);
    /// otherwise (DOTNET_EnableHWIntrinsic=0) callers use their scalar reference.
    /// </summary>
    public static bool Supported => Vec.Use512 || Vec.Use256;

    /// <summary>C[m,n] (+)= A·B with A [m, k] of row stride <paramref name="lda"/>.</summary>
    public static void NN(int m, int n, int k, float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate)
    {
        if (Vec.Use512) Run(m, n, k, a, lda, 1, b, ldb, c, ldc, accumulate);
        else Run256(m, n, k, a, lda, 1, b, ldb, c, ldc, accumulate);
    }

    /// <summary>C[m,n] (+)= Aᵀ·B with A stored [k, m] of row stride <paramref name="lda"/>.</summary>
    public static void TN(int m, int n, int k, float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate)
    {
        if (!Vec.Use512) { Run256(m, n, k, a, 1, lda, b, ldb, c, ldc, accumulate); return; }
        if ((n & 15) != 0) throw new ArgumentException("n must be a multiple of 16", nameof(n));
        // Aᵀ's rows i..i+11 at step p are the consecutive floats a[p·lda + i ..]: one pointer, stepped by lda,
        // broadcasts at constant offsets (no per-row pointers for the JIT to spill, as in Run's 8×32 block).
        int j = 0;
        for (; j + 32 <= n; j += 32)
        {
            int i = 0;
            for (; i + 12 <= m; i += 12) Strided12x32(k, a + i, lda, b + j, ldb, c + (long)i * ldc + j, ldc, accumulate);
            for (; i + 8 <= m; i += 8) Strided8x32(k, a + i, lda, b + j, ldb, c + (long)i * ldc + j, ldc, accumulate);
            Run(m - i, 32, k, a + i, 1, lda, b + j, ldb, c + (long)i * ldc + j, ldc, accumulate); // the last < 8 rows: Run's 4- and 1-row blocks
        }
        if (j < n) Run(m, n - j, k, a, 1, lda, b + j, ldb, c + j, ldc, accumulate);                  // a last 16-column panel
    }

    /// <summary>12×32 block of <see cref="TN"/>: C[r, 0..31] (+)= Σ_p a[p·lda + r]·b[p·ldb + 0..31], 24 zmm accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    static void Strided12x32(int k, float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default, c90 = default, c91 = default, c100 = default, c101 = default, c110 = default, c111 = default;
        long sa = lda, sb = ldb;
        for (int p = 0; p < k; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            Vector512<float> x;
            x = Vector512.Create(a[0]); c00 = Avx512F.FusedMultiplyAdd(x, b0, c00); c01 = Avx512F.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a[1]); c10 = Avx512F.FusedMultiplyAdd(x, b0, c10); c11 = Avx512F.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a[2]); c20 = Avx512F.FusedMultiplyAdd(x, b0, c20); c21 = Avx512F.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a[3]); c30 = Avx512F.FusedMultiplyAdd(x, b0, c30); c31 = Avx512F.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a[4]); c40 = Avx512F.FusedMultiplyAdd(x, b0, c40); c41 = Avx512F.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a[5]); c50 = Avx512F.FusedMultiplyAdd(x, b0, c50); c51 = Avx512F.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a[6]); c60 = Avx512F.FusedMultiplyAdd(x, b0, c60); c61 = Avx512F.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a[7]); c70 = Avx512F.FusedMultiplyAdd(x, b0, c70); c71 = Avx512F.FusedMultiplyAdd(x, b1, c71);
            x = Vector512.Create(a[8]); c80 = Avx512F.FusedMultiplyAdd(x, b0, c80); c81 = Avx512F.FusedMultiplyAdd(x, b1, c81);
            x = Vector512.Create(a[9]); c90 = Avx512F.FusedMultiplyAdd(x, b0, c90); c91 = Avx512F.FusedMultiplyAdd(x, b1, c91);
            x = Vector512.Create(a[10]); c100 = Avx512F.FusedMultiplyAdd(x, b0, c100); c101 = Avx512F.FusedMultiplyAdd(x, b1, c101);
            x = Vector512.Create(a[11]); c110 = Avx512F.FusedMultiplyAdd(x, b0, c110); c111 = Avx512F.FusedMultiplyAdd(x, b1, c111);
            a += sa; b += sb;
        }
        Store(c, c00, accumulate); Store(c + 16, c01, accumulate); c += ldc;
        Store(c, c10, accumulate); Store(c + 16, c11, accumulate); c += ldc;
        Store(c, c20, accumulate); Store(c + 16, c21, accumulate); c += ldc;
        Store(c, c30, accumulate); Store(c + 16, c31, accumulate); c += ldc;
        Store(c, c40, accumulate); Store(c + 16, c41, accumulate); c += ldc;
        Store(c, c50, accumulate); Store(c + 16, c51, accumulate); c += ldc;
        Store(c, c60, accumulate); Store(c + 16, c61, accumulate); c += ldc;
        Store(c, c70, accumulate); Store(c + 16, c71, accumulate); c += ldc;
        Store(c, c80, accumulate); Store(c + 16, c81, accumulate); c += ldc;
        Store(c, c90, accumulate); Store(c + 16, c91, accumulate); c += ldc;
        Store(c, c100, accumulate); Store(c + 16, c101, accumulate); c += ldc;
        Store(c, c110, accumulate); Store(c + 16, c111, accumulate);
    }

    /// <summary>8×32 block of <see cref="TN"/> (the remainder of 12-row blocks; m = 32 is 12 + 12 + 8).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    static void Strided8x32(int k, float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        long sa = lda, sb = ldb;
        for (int p = 0; p < k; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            Vector512<float> x;
            x = Vector512.Create(a[0]); c00 = Avx512F.FusedMultiplyAdd(x, b0, c00); c01 = Avx512F.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a[1]); c10 = Avx512F.FusedMultiplyAdd(x, b0, c10); c11 = Avx512F.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a[2]); c20 = Avx512F.FusedMultiplyAdd(x, b0, c20); c21 = Avx512F.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a[3]); c30 = Avx512F.FusedMultiplyAdd(x, b0, c30); c31 = Avx512F.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a[4]); c40 = Avx512F.FusedMultiplyAdd(x, b0, c40); c41 = Avx512F.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a[5]); c50 = Avx512F.FusedMultiplyAdd(x, b0, c50); c51 = Avx512F.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a[6]); c60 = Avx512F.FusedMultiplyAdd(x, b0, c60); c61 = Avx512F.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a[7]); c70 = Avx512F.FusedMultiplyAdd(x, b0, c70); c71 = Avx512F.FusedMultiplyAdd(x, b1, c71);
            a += sa; b += sb;
        }
        Store(c, c00, accumulate); Store(c + 16, c01, accumulate); c += ldc;
        Store(c, c10, accumulate); Store(c + 16, c11, accumulate); c += ldc;
        Store(c, c20, accumulate); Store(c + 16, c21, accumulate); c += ldc;
        Store(c, c30, accumulate); Store(c + 16, c31, accumulate); c += ldc;
        Store(c, c40, accumulate); Store(c + 16, c41, accumulate); c += ldc;
        Store(c, c50, accumulate); Store(c + 16, c51, accumulate); c += ldc;
        Store(c, c60, accumulate); Store(c + 16, c61, accumulate); c += ldc;
        Store(c, c70, accumulate); Store(c + 16, c71, accumulate);
    }

    /// <summary>
    /// <see cref="NN"/> (and <see cref="TN"/>'s remainders) in 12×32 register blocks before the 8-row ones: 24 accumulators
    /// per 14 loads instead of 16 per 10, so fewer load and loop µops per FMA. Every C element is still one FMA chain over
    /// p = 0..k−1, so the bits do not depend on the row blocking. SHARPLM_ATTN_NN12=0 keeps 8-row blocks (A/B switch).
    /// </summary>
    internal static bool Rows12 { get; set; } = Environment.GetEnvironmentVariable("SHARPLM_ATTN_NN12") != "0";

    static void Run(int m, int n, int k, float* a, long ai, long ap, float* b, int ldb, float* c, int ldc, bool accumulate)
    {
        if ((n & 15) != 0) throw new ArgumentException("n must be a multiple of 16", nameof(n));
        // Column panels outer, rows inner: one k×32 panel of B (8 KiB at k = 64) stays in L1 while every row block uses it.
        // (The register blocks are NoInlining: inlined into a large caller, the JIT spilled their loop counter and strides.)
        bool rows12 = Rows12;
        int j = 0;
        for (; j + 32 <= n; j += 32)
        {
            int i = 0;
            if (rows12)
                for (; i + 12 <= m; i += 12) Block12x32(k, a + i * ai, ai, ap, b + j, ldb, c + (long)i * ldc + j, ldc, accumulate);
            for (; i + 8 <= m; i += 8) Block8x32(k, a + i * ai, ai, ap, b + j, ldb, c + (long)i * ldc + j, ldc, accumulate);
            for (; i + 4 <= m; i += 4) Block4x32(k, a + i * ai, ai, ap, b + j, ldb, c + (long)i * ldc + j, ldc, accumulate);
            for (; i < m; i++)
            {
                Block1x16(k, a + i * ai, ap, b + j, ldb, c + (long)i * ldc + j, accumulate);
                Block1x16(k, a + i * ai, ap, b + j + 16, ldb, c + (long)i * ldc + j + 16, accumulate);
            }
        }
        if (j < n)
        {
            int i = 0;
            for (; i + 4 <= m; i += 4) Block4x16(k, a + i * ai, ai, ap, b + j, ldb, c + (long)i * ldc + j, ldc, accumulate);
            for (; i < m; i++) Block1x16(k, a + i * ai, ap, b + j, ldb, c + (long)i * ldc + j, accumulate);
        }
    }

    /// <summary>12×32 block of <see cref="Run"/>: rows as three pointers (rows 0–3, 4–7, 8–11) plus the offsets ai, 2ai, 3ai.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    static void Block12x32(int k, float* a, long ai, long ap, float* b, int ldb, float* c, int ldc, bool accumulate)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default, c90 = default, c91 = default, c100 = default, c101 = default, c110 = default, c111 = default;
        long ai2 = 2 * ai, ai3 = 3 * ai, ai4 = 4 * ai, sb = ldb;
        float* p0 = a;
        for (int p = 0; p < k; p++, p0 += ap)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            b += sb;
            float* p4 = p0 + ai4, p8 = p4 + ai4;
            var x = Vector512.Create(p0[0]); c00 = Avx512F.FusedMultiplyAdd(x, b0, c00); c01 = Avx512F.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(p0[ai]); c10 = Avx512F.FusedMultiplyAdd(x, b0, c10); c11 = Avx512F.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(p0[ai2]); c20 = Avx512F.FusedMultiplyAdd(x, b0, c20); c21 = Avx512F.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(p0[ai3]); c30 = Avx512F.FusedMultiplyAdd(x, b0, c30); c31 = Avx512F.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(p4[0]); c40 = Avx512F.FusedMultiplyAdd(x, b0, c40); c41 = Avx512F.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(p4[ai]); c50 = Avx512F.FusedMultiplyAdd(x, b0, c50); c51 = Avx512F.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(p4[ai2]); c60 = Avx512F.FusedMultiplyAdd(x, b0, c60); c61 = Avx512F.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(p4[ai3]); c70 = Avx512F.FusedMultiplyAdd(x, b0, c70); c71 = Avx512F.FusedMultiplyAdd(x, b1, c71);
            x = Vector512.Create(p8[0]); c80 = Avx512F.FusedMultiplyAdd(x, b0, c80); c81 = Avx512F.FusedMultiplyAdd(x, b1, c81);
            x = Vector512.Create(p8[ai]); c90 = Avx512F.FusedMultiplyAdd(x, b0, c90); c91 = Avx512F.FusedMultiplyAdd(x, b1, c91);
            x = Vector512.Create(p8[ai2]); c100 = Avx512F.FusedMultiplyAdd(x, b0, c100); c101 = Avx512F.FusedMultiplyAdd(x, b1, c101);
            x = Vector512.Create(p8[ai3]); c110 = Avx512F.FusedMultiplyAdd(x, b0, c110); c111 = Avx512F.FusedMultiplyAdd(x, b1, c111);
        }
        Store(c, c00, accumulate); Store(c + 16, c01, accumulate); c += ldc;
        Store(c, c10, accumulate); Store(c + 16, c11, accumulate); c += ldc;
        Store(c, c20, accumulate); Store(c + 16, c21, accumulate); c += ldc;
        Store(c, c30, accumulate); Store(c + 16, c31, accumulate); c += ldc;
        Store(c, c40, accumulate); Store(c + 16, c41, accumulate); c += ldc;
        Store(c, c50, accumulate); Store(c + 16, c51, accumulate); c += ldc;
        Store(c, c60, accumulate); Store(c + 16, c61, accumulate); c += ldc;
        Store(c, c70, accumulate); Store(c + 16, c71, accumulate); c += ldc;
        Store(c, c80, accumulate); Store(c + 16, c81, accumulate); c += ldc;
        Store(c, c90, accumulate); Store(c + 16, c91, accumulate); c += ldc;
        Store(c, c100, accumulate); Store(c + 16, c101, accumulate); c += ldc;
        Store(c, c110, accumulate); Store(c + 16, c111, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    static void Block8x32(int k, float* a, long ai, long ap, float* b, int ldb, float* c, int ldc, bool accumulate)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        // Rows as two pointers (rows 0–3 and 4–7) plus the offsets ai, 2ai, 3ai, which x86 addressing takes as
        // base + index·4: eight row pointers left the JIT two short of registers, and it reloaded two from the
        // stack every step (session 7's disassembly).
        long ai2 = 2 * ai, ai3 = 3 * ai, ai4 = 4 * ai, sb = ldb;
        float* p0 = a;
        for (int p = 0; p < k; p++, p0 += ap)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            b += sb;
            float* p4 = p0 + ai4;
            var x = Vector512.Create(p0[0]); c00 = Avx512F.FusedMultiplyAdd(x, b0, c00); c01 = Avx512F.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(p0[ai]); c10 = Avx512F.FusedMultiplyAdd(x, b0, c10); c11 = Avx512F.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(p0[ai2]); c20 = Avx512F.FusedMultiplyAdd(x, b0, c20); c21 = Avx512F.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(p0[ai3]); c30 = Avx512F.FusedMultiplyAdd(x, b0, c30); c31 = Avx512F.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(p4[0]); c40 = Avx512F.FusedMultiplyAdd(x, b0, c40); c41 = Avx512F.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(p4[ai]); c50 = Avx512F.FusedMultiplyAdd(x, b0, c50); c51 = Avx512F.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(p4[ai2]); c60 = Avx512F.FusedMultiplyAdd(x, b0, c60); c61 = Avx512F.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(p4[ai3]); c70 = Avx512F.FusedMultiplyAdd(x, b0, c70); c71 = Avx512F.FusedMultiplyAdd(x, b1, c71);
        }
        Store(c, c00, accumulate); Store(c + 16, c01, accumulate); c += ldc;
        Store(c, c10, accumulate); Store(c + 16, c11, accumulate); c += ldc;
        Store(c, c20, accumulate); Store(c + 16, c21, accumulate); c += ldc;
        Store(c, c30, accumulate); Store(c + 16, c31, accumulate); c += ldc;
        Store(c, c40, accumulate); Store(c + 16, c41, accumulate); c += ldc;
        Store(c, c50, accumulate); Store(c + 16, c51, accumulate); c += ldc;
        Store(c, c60, accumulate); Store(c + 16, c61, accumulate); c += ldc;
        Store(c, c70, accumulate); Store(c + 16, c71, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    static void Block4x32(int k, float* a, long ai, long ap, float* b, int ldb, float* c, int ldc, bool accumulate)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        float* a0 = a, a1 = a + ai, a2 = a + 2 * ai, a3 = a + 3 * ai;
        long o = 0;
        for (int p = 0; p < k; p++, o += ap)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            b += ldb;
            var x = Vector512.Create(a0[o]); c00 = Avx512F.FusedMultiplyAdd(x, b0, c00); c01 = Avx512F.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a1[o]); c10 = Avx512F.FusedMultiplyAdd(x, b0, c10); c11 = Avx512F.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a2[o]); c20 = Avx512F.FusedMultiplyAdd(x, b0, c20); c21 = Avx512F.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a3[o]); c30 = Avx512F.FusedMultiplyAdd(x, b0, c30); c31 = Avx512F.FusedMultiplyAdd(x, b1, c31);
        }
        Store(c, c00, accumulate); Store(c + 16, c01, accumulate);
        Store(c + ldc, c10, accumulate); Store(c + ldc + 16, c11, accumulate);
        Store(c + 2 * ldc, c20, accumulate); Store(c + 2 * ldc + 16, c21, accumulate);
        Store(c + 3 * ldc, c30, accumulate); Store(c + 3 * ldc + 16, c31, accumulate);
    }

    static void Block4x16(int k, float* a, long ai, long ap, float* b, int ldb, float* c, int ldc, bool accumulate)
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        float* a0 = a, a1 = a + ai, a2 = a + 2 * ai, a3 = a + 3 * ai;
        long o = 0;
        for (int p = 0; p < k; p++, o += ap)
        {
            var b0 = Vector512.Load(b);
            b += ldb;
            c0 = Avx512F.FusedMultiplyAdd(Vector512.Create(a0[o]), b0, c0);
            c1 = Avx512F.FusedMultiplyAdd(Vector512.Create(a1[o]), b0, c1);
            c2 = Avx512F.FusedMultiplyAdd(Vector512.Create(a2[o]), b0, c2);
            c3 = Avx512F.FusedMultiplyAdd(Vector512.Create(a3[o]), b0, c3);
        }
        Store(c, c0, accumulate); Store(c + ldc, c1, accumulate); Store(c + 2 * ldc, c2, accumulate); Store(c + 3 * ldc, c3, accumulate);
    }

    static void Block1x16(int k, float* a, long ap, float* b, int ldb, float* c, bool accumulate)
    {
        Vector512<float> c0 = default;
        long o = 0;
        for (int p = 0; p < k; p++, b += ldb, o += ap) c0 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[o]), Vector512.Load(b), c0);
        Store(c, c0, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store(float* c, Vector512<float> v, bool accumulate)
    {
        if (accumulate) v += Vector512.Load(c);
        v.Store(c);
    }

    /// <summary>
    /// Copies an [rows, cols] block into column panels 32 wide (the last one cols mod 32 when that is not 0),
    /// each panel row-major and contiguous: panel p starts at dst + 32·p·rows and has row stride
    /// <see cref="PanelWidth"/>. A B operand read as panels streams through consecutive lines, whatever the
    /// source's row stride (V inside the fused q|k|v rows is 3 KiB apart, beyond the L1 stride prefetcher).
    /// </summary>
    public static void PackPanels(int rows, int cols, float* src, int lds, float* dst)
    {
        for (int p = 0; p * 32 < cols; p++)
        {
            int w = PanelWidth(cols, p);
            float* d = dst + 32L * p * rows;
            float* from = src + 32 * p;
            if (w == 32 && Vec.Use512)
                // Two vector moves per row: Buffer.MemoryCopy's call and size dispatch cost more than the 128-byte copy itself.
                for (int r = 0; r < rows; r++, from += lds, d += 32)
                {
                    Vector512.Store(Vector512.Load(from), d);
                    Vector512.Store(Vector512.Load(from + 16), d + 16);
                }
            else if (w == 32)
                for (int r = 0; r < rows; r++, from += lds, d += 32)
                {
                    Vector256.Store(Vector256.Load(from), d);
                    Vector256.Store(Vector256.Load(from + 8), d + 8);
                    Vector256.Store(Vector256.Load(from + 16), d + 16);
                    Vector256.Store(Vector256.Load(from + 24), d + 24);
                }
            else
                for (int r = 0; r < rows; r++)
                    Buffer.MemoryCopy(from + (long)r * lds, d + (long)r * w, w * 4L, w * 4L);
        }
    }

    /// <summary>dst[r, 0..cols) = src[r, 0..cols) for cols a multiple of 16 (whole vectors; attention's dK, dV copy-out).</summary>
    public static void CopyRows(int rows, int cols, float* src, int lds, float* dst, int ldd)
    {
        if ((cols & 15) != 0) throw new ArgumentException("cols must be a multiple of 16", nameof(cols));
        if (Vec.Use512)
            for (int r = 0; r < rows; r++, src += lds, dst += ldd)
                for (int c = 0; c < cols; c += 16) Vector512.Store(Vector512.Load(src + c), dst + c);
        else
            for (int r = 0; r < rows; r++, src += lds, dst += ldd)
                for (int c = 0; c < cols; c += 8) Vector256.Store(Vector256.Load(src + c), dst + c);
    }

    /// <summary>Width of column panel <paramref name="p"/> of a <paramref name="cols"/>-wide block (see <see cref="PackPanels"/>).</summary>
    public static int PanelWidth(int cols, int p) => Math.Min(32, cols - 32 * p);

    /// <summary>dst[j, i] = src[i, j] for an [rows, cols] block (dst row stride <paramref name="ldd"/>).</summary>
    public static void Transpose(int rows, int cols, float* src, int lds, float* dst, int ldd)
    {
        int i = 0;
        bool simd = Avx.IsSupported;
        for (; i + 8 <= rows; i += 8)
        {
            int j = 0;
            if (simd)
                for (; j + 8 <= cols; j += 8) Transpose8x8(src + (long)i * lds + j, lds, dst + (long)j * ldd + i, ldd);
            for (; j < cols; j++)
                for (int ii = i; ii < i + 8; ii++) dst[(long)j * ldd + ii] = src[(long)ii * lds + j];
        }
        for (; i < rows; i++)
            for (int j = 0; j < cols; j++) dst[(long)j * ldd + i] = src[(long)i * lds + j];
    }

    /// <summary>An 8×8 block transposed in registers (the classic unpack / shuffle / 128-bit-lane permute network).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Transpose8x8(float* src, int lds, float* dst, int ldd)
    {
        var r0 = Avx.LoadVector256(src); var r1 = Avx.LoadVector256(src + lds);
        var r2 = Avx.LoadVector256(src + 2 * lds); var r3 = Avx.LoadVector256(src + 3 * lds);
        var r4 = Avx.LoadVector256(src + 4 * lds); var r5 = Avx.LoadVector256(src + 5 * lds);
        var r6 = Avx.LoadVector256(src + 6 * lds); var r7 = Avx.LoadVector256(src + 7 * lds);
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + ldd, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2 * ldd, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3 * ldd, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4 * ldd, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5 * ldd, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6 * ldd, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7 * ldd, Avx.Permute2x128(u3, u7, 0x31));
    }

    /// <summary>The plain triple loop of <see cref="TN"/> (for tests).</summary>
    internal static void ReferenceTN(int m, int n, int k, float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float s = accumulate ? c[(long)i * ldc + j] : 0;
                for (int p = 0; p < k; p++) s += a[(long)p * lda + i] * b[(long)p * ldb + j];
                c[(long)i * ldc + j] = s;
            }
    }

    /// <summary>
    /// What both register-block paths compute, element by element (for tests, bit for bit): one fused multiply-add
    /// chain s = fma(A(i, p), B(p, j), s) over p = 0..k−1 from s = 0, then C + s when accumulating. A(i, p) = a[i·ai + p·ap]
    /// as in <see cref="Run"/>: (lda, 1) for <see cref="NN"/>, (1, lda) for <see cref="TN"/>.
    /// </summary>
    internal static void ReferenceFma(int m, int n, int k, float* a, long ai, long ap, float* b, int ldb, float* c, int ldc, bool accumulate)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float s = 0;
                for (int p = 0; p < k; p++) s = MathF.FusedMultiplyAdd(a[i * ai + p * ap], b[(long)p * ldb + j], s);
                c[(long)i * ldc + j] = accumulate ? s + c[(long)i * ldc + j] : s;
            }
    }

    /// <summary>The plain triple loop (for tests).</summary>
    internal static void Reference(int m, int n, int k, float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float s = accumulate ? c[(long)i * ldc + j] : 0;
                for (int p = 0; p < k; p++) s += a[(long)i * lda + p] * b[(long)p * ldb + j];
                c[(long)i * ldc + j] = s;
            }
    }
}
