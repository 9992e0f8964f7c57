using System.Runtime.Intrinsics.X86;
using SharpLM.Kernels.Training;

namespace SharpLM.Tests.Kernels;

/// <summary>
/// Attention's small products (<see cref="SmallMatMul"/>) on each register-block path against the element-wise FMA chain
/// both paths compute (<see cref="SmallMatMul.ReferenceFma"/>), bit for bit. scripts/test.sh reruns these with AVX-512 off
/// (the dispatching NN/TN then take the 256-bit path) and with hardware intrinsics off (Supported false).
/// </summary>
public unsafe class SmallMatMulTests
{
    static bool Has256 => Avx2.IsSupported && Fma.IsSupported;

    static float[] Random(int n, int seed)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 2 - 1);
        return a;
    }

    // m: the 6-row blocks with every remainder (8 → 4 + 4, 7 → 6 + 1, 5 → 4 + 1, 1–3 single rows) and 12-, 8-row
    // 512-bit blocks; n: one and several 16-column panels, a last 16-wide panel after 32-wide ones; k: 0, 1, odd, long.
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 16, 1 }, { 2, 16, 0 }, { 3, 32, 1 }, { 5, 48, 7 }, { 6, 16, 2 }, { 7, 32, 3 }, { 8, 16, 64 }, { 9, 80, 31 },
        { 10, 32, 5 }, { 13, 48, 9 }, { 20, 16, 4 }, { 32, 272, 64 }, { 32, 64, 256 }, { 33, 112, 33 }, { 256, 64, 32 }, { 257, 32, 17 },
    };

    /// <summary>C[m, n] (+)= A·B on a path with A addressed as a[i·ai + p·ap]; padded strides so no row is contiguous with the next.</summary>
    static void Check(int m, int n, int k, bool transposedA, Action<IntPtr, int, IntPtr, int, IntPtr, int, bool> product)
    {
        int lda = transposedA ? m + 3 : k + 3, ldb = n + 16, ldc = n + 5;
        var a = Random(Math.Max(1, (transposedA ? k : m) * lda), 1);
        var b = Random(Math.Max(1, k * ldb), 2);
        foreach (bool accumulate in new[] { false, true })
        {
            var got = Random(m * ldc, 3);
            var want = (float[])got.Clone();
            fixed (float* pa = a, pb = b, pg = got, pw = want)
            {
                product((IntPtr)pa, lda, (IntPtr)pb, ldb, (IntPtr)pg, ldc, accumulate);
                if (transposedA) SmallMatMul.ReferenceFma(m, n, k, pa, 1, lda, pb, ldb, pw, ldc, accumulate);
                else SmallMatMul.ReferenceFma(m, n, k, pa, lda, 1, pb, ldb, pw, ldc, accumulate);
            }
            for (int i = 0; i < got.Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(want[i]) == BitConverter.SingleToInt32Bits(got[i]),
                    $"m={m} n={n} k={k} accumulate={accumulate}: C[{i / ldc}, {i % ldc}] = {got[i]:R}, the FMA chain gives {want[i]:R}");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void NN256_is_the_fma_chain_bit_for_bit(int m, int n, int k)
    {
        if (!Has256) return; // the 256-bit blocks need AVX2 + FMA to execute
        Check(m, n, k, false, (a, lda, b, ldb, c, ldc, acc) => SmallMatMul.NN256(m, n, k, (float*)a, lda, (float*)b, ldb, (float*)c, ldc, acc));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TN256_is_the_fma_chain_bit_for_bit(int m, int n, int k)
    {
        if (!Has256) return;
        Check(m, n, k, true, (a, lda, b, ldb, c, ldc, acc) => SmallMatMul.TN256(m, n, k, (float*)a, lda, (float*)b, ldb, (float*)c, ldc, acc));
    }

    /// <summary>The dispatching entry points: 512-bit blocks with AVX-512, else the 256-bit ones; the same bits either way.</summary>
    [Theory]
    [MemberData(nameof(Shapes))]
    public void NN_and_TN_are_the_fma_chain_bit_for_bit(int m, int n, int k)
    {
        if (!SmallMatMul.Supported) return; // no SIMD path: attention runs its scalar reference instead
        Check(m, n, k, false, (a, lda, b, ldb, c, ldc, acc) => SmallMatMul.NN(m, n, k, (float*)a, lda, (float*)b, ldb, (float*)c, ldc, acc));
        Check(m, n, k, true, (a, lda, b, ldb, c, ldc, acc) => SmallMatMul.TN(m, n, k, (float*)a, lda, (float*)b, ldb, (float*)c, ldc, acc));
    }

    [Fact]
    public void The_fma_chain_is_the_product_within_rounding()
    {
        const int m = 9, n = 32, k = 40;
        var a = Random(m * k, 4);
        var b = Random(k * n, 5);
        var fma = new float[m * n];
        var plain = new float[m * n];
        fixed (float* pa = a, pb = b, pf = fma, pp = plain)
        {
            SmallMatMul.ReferenceFma(m, n, k, pa, k, 1, pb, n, pf, n, accumulate: false);
            SmallMatMul.Reference(m, n, k, pa, k, pb, n, pp, n, accumulate: false);
        }
        for (int i = 0; i < fma.Length; i++) Assert.Equal(plain[i], fma[i], 1e-5f);
    }

    [Fact]
    public void Columns_must_be_whole_16_wide_panels()
    {
        if (!SmallMatMul.Supported) return;
        var x = new float[64];
        fixed (float* p = x)
        {
            var pp = (IntPtr)p;
            Assert.Throws<ArgumentException>(() => SmallMatMul.NN(1, 8, 1, (float*)pp, 1, (float*)pp, 8, (float*)pp, 8, false));
            Assert.Throws<ArgumentException>(() => SmallMatMul.TN(1, 24, 1, (float*)pp, 1, (float*)pp, 24, (float*)pp, 24, false));
        }
    }

    [Fact]
    public void Panels_and_row_copies_move_every_element()
    {
        if (!SmallMatMul.Supported) return;
        const int rows = 7, cols = 80, lds = 100;
        var src = Random(rows * lds, 6);
        var panels = new float[rows * cols];
        var copy = new float[rows * (cols + 16)];
        fixed (float* ps = src, pp = panels, pc = copy)
        {
            SmallMatMul.PackPanels(rows, cols, ps, lds, pp);
            SmallMatMul.CopyRows(rows, cols, ps, lds, pc, cols + 16);
        }
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
            {
                int p = c / 32, w = SmallMatMul.PanelWidth(cols, p);
                Assert.Equal(src[r * lds + c], panels[32 * p * rows + r * w + c % 32]);
                Assert.Equal(src[r * lds + c], copy[r * (cols + 16) + c]);
            }
    }
}
