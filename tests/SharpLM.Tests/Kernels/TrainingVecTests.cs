using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpLM.Kernels.Training;

namespace SharpLM.Tests.Kernels;

/// <summary>The float SIMD paths of the training vector helpers against double math.</summary>
public unsafe class TrainingVecTests
{
    [Fact]
    public void Exp512_is_within_two_ulp()
    {
        if (!Avx512F.IsSupported) return;
        double worst = 0;
        var x = new float[16];
        for (double start = -87; start < 88.5; start += 16 * 0.0137)
        {
            for (int i = 0; i < 16; i++) x[i] = (float)(start + i * 0.0137);
            Vector512<float> e;
            fixed (float* p = x) e = Vec.Exp512(Vector512.Load(p));
            for (int i = 0; i < 16; i++)
            {
                double exact = Math.Exp(x[i]);
                if (exact < 1.2e-38) continue; // subnormal results flush to zero by design
                worst = Math.Max(worst, Math.Abs(e[i] - exact) / exact);
            }
        }
        Assert.True(worst < 2.5e-7, $"worst relative error {worst:E2}");
    }

    [Fact]
    public void Exp256_is_within_two_ulp_and_matches_Exp512_bits()
    {
        if (!Avx2.IsSupported || !Fma.IsSupported) return;
        double worst = 0;
        var x = new float[8];
        var xs = new List<float>();
        for (double v = -100; v < 100; v += 0.0137) xs.Add((float)v);
        xs.AddRange([-88f, -87.9f, -87.3f, 88.7f, 88.72f, 0f, -0f, 1e-30f, -1e-30f, float.PositiveInfinity, float.NegativeInfinity]);
        for (int start = 0; start + 8 <= xs.Count; start += 8)
        {
            for (int i = 0; i < 8; i++) x[i] = xs[start + i];
            Vector256<float> e;
            fixed (float* p = x) e = Vec.Exp256(Vector256.Load(p));
            if (Avx512F.IsSupported)
            {
                var x16 = new float[16];
                x.CopyTo(x16, 0);
                Vector512<float> e16;
                fixed (float* p = x16) e16 = Vec.Exp512(Vector512.Load(p));
                for (int i = 0; i < 8; i++)
                    Assert.True(BitConverter.SingleToInt32Bits(e[i]) == BitConverter.SingleToInt32Bits(e16[i]), $"exp({x[i]:R}): 256-bit {e[i]:R}, 512-bit {e16[i]:R}");
            }
            for (int i = 0; i < 8; i++)
            {
                double xc = Math.Clamp((double)x[i], -88, 88.7);
                double exact = Math.Exp((float)xc);
                Assert.True(e[i] >= 0 && float.IsFinite(e[i]), $"exp({x[i]:R}) = {e[i]:R}");
                if (exact < 1.2e-38) { Assert.True(e[i] < 1.2e-38); continue; }
                worst = Math.Max(worst, Math.Abs(e[i] - exact) / exact);
            }
        }
        Assert.True(worst < 2.5e-7, $"worst relative error {worst:E2}");
    }

    [Fact]
    public void Tanh256_matches_Math_Tanh()
    {
        if (!Avx2.IsSupported || !Fma.IsSupported) return;
        var x = new float[8];
        double worst = 0;
        for (double start = -20; start < 20; start += 8 * 0.01)
        {
            for (int i = 0; i < 8; i++) x[i] = (float)(start + i * 0.01);
            Vector256<float> t;
            fixed (float* p = x) t = Vec.Tanh256(Vector256.Load(p));
            for (int i = 0; i < 8; i++) worst = Math.Max(worst, Math.Abs(t[i] - Math.Tanh(x[i])));
        }
        Assert.True(worst < 1e-6, $"worst absolute error {worst:E2}");
    }

    [Theory]
    [InlineData(576, 576, 576, 576)]   // four rows of small's hidden size
    [InlineData(0, 1, 3, 7)]           // empty, shorter than one vector, scalar tails
    [InlineData(1031, 5, 2049, 64)]    // unequal lengths: the shortest ends the common part, the others finish alone
    [InlineData(4100, 4097, 4099, 4098)]
    public void SumSquares4_is_bit_identical_to_four_SumSquares_and_close_to_exact(int n0, int n1, int n2, int n3)
    {
        int[] lengths = [n0, n1, n2, n3];
        var rows = new float[4][];
        var r = new Random(17);
        for (int k = 0; k < 4; k++)
        {
            rows[k] = new float[lengths[k] + 3]; // the tail past n must not be read into the sum
            for (int i = 0; i < rows[k].Length; i++) rows[k][i] = (float)((r.NextDouble() * 2 - 1) * Math.Pow(10, r.Next(-3, 4)));
        }
        var sums = new double[4];
        fixed (float* a = rows[0], b = rows[1], c = rows[2], d = rows[3])
        fixed (double* ps = sums)
        {
            Vec.SumSquares4(a, n0, b, n1, c, n2, d, n3, ps);
            float*[] p = [a, b, c, d];
            for (int k = 0; k < 4; k++)
            {
                Assert.Equal(Vec.SumSquares(p[k], lengths[k]), sums[k]);
                // Reference: the exact squares (a float's square is exact in double) summed with Neumaier's compensation.
                double exact = 0, carry = 0;
                for (int i = 0; i < lengths[k]; i++)
                {
                    double v = (double)rows[k][i] * rows[k][i], t = exact + v;
                    carry += Math.Abs(exact) >= Math.Abs(v) ? exact - t + v : v - t + exact;
                    exact = t;
                }
                exact += carry;
                Assert.True(Math.Abs(sums[k] - exact) <= 1e-13 * Math.Max(1, exact), $"row {k}: {sums[k]} vs {exact}");
            }
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(1000)]
    [InlineData(4133)]
    public void ClearStreaming_zeroes_exactly_the_range(int n)
    {
        var a = new float[n + 40];
        for (int offset = 0; offset < 20; offset += 3) // unaligned starts: a scalar head before the 64-byte stores
        {
            Array.Fill(a, 7f);
            fixed (float* p = a) Vec.ClearStreaming(p + offset, n);
            for (int i = 0; i < a.Length; i++) Assert.Equal(i >= offset && i < offset + n ? 0f : 7f, a[i]);
        }
    }

    [Fact]
    public void GeGlu_float_matches_double()
    {
        int n = 1000;
        var r = new Random(3);
        var g = new float[n];
        var u = new float[n];
        var dh = new float[n];
        for (int i = 0; i < n; i++) { g[i] = (float)(r.NextDouble() * 16 - 8); u[i] = (float)(r.NextDouble() * 2 - 1); dh[i] = (float)(r.NextDouble() * 2 - 1); }
        var h = new float[n];
        var dg = new float[n];
        var du = new float[n];
        fixed (float* pg = g, pu = u, ph = h, pdh = dh, pdg = dg, pdu = du)
        {
            Vec.GeGlu(pg, pu, ph, n);
            Vec.GeGluBackward(pg, pu, pdh, pdg, pdu, n);
        }
        for (int i = 0; i < n; i++)
        {
            double z = g[i], t = Math.Tanh(Math.Sqrt(2 / Math.PI) * (z + 0.044715 * z * z * z));
            double gelu = 0.5 * z * (1 + t);
            double dgelu = 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * Math.Sqrt(2 / Math.PI) * (1 + 3 * 0.044715 * z * z);
            Assert.Equal(gelu * u[i], h[i], 1e-5);
            Assert.Equal(dh[i] * u[i] * dgelu, dg[i], 1e-5);
            Assert.Equal(dh[i] * gelu, du[i], 1e-5);
        }
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(1541)]
    public void GeGlu_backward_recomputes_the_forward_bit_for_bit(int n)
    {
        // The model's backward takes h = gelu(g)⊙u for dW_down from GeGluBackward instead of a second forward pass.
        var r = new Random(5);
        var g = new float[n];
        var u = new float[n];
        var dh = new float[n];
        for (int i = 0; i < n; i++) { g[i] = (float)(r.NextDouble() * 16 - 8); u[i] = (float)(r.NextDouble() * 2 - 1); dh[i] = (float)(r.NextDouble() * 2 - 1); }
        var h = new float[n];
        var h2 = new float[n];
        var dg = new float[n];
        var du = new float[n];
        var dg2 = new float[n];
        var du2 = new float[n];
        fixed (float* pg = g, pu = u, ph = h, ph2 = h2, pdh = dh, pdg = dg, pdu = du, pdg2 = dg2, pdu2 = du2)
        {
            Vec.GeGlu(pg, pu, ph, n);
            Vec.GeGluBackward(pg, pu, pdh, pdg, pdu, n, ph2);
            Vec.GeGluBackward(pg, pu, pdh, pdg2, pdu2, n);
        }
        Assert.Equal(h, h2);
        Assert.Equal(dg, dg2); // asking for h changes nothing else
        Assert.Equal(du, du2);
    }

    [Fact]
    public void ExpShiftSum_float_matches_double()
    {
        var x = new float[1003];
        var r = new Random(4);
        for (int i = 0; i < x.Length; i++) x[i] = (float)(r.NextDouble() * 40 - 30);
        var expect = x.Select(v => Math.Exp(v - 5f)).ToArray(); // the shift happens in float
        double sum;
        fixed (float* p = x) sum = Vec.ExpShiftSum(p, 5f, x.Length);
        Assert.Equal(expect.Sum(), sum, expect.Sum() * 1e-6);
        for (int i = 0; i < x.Length; i++) Assert.Equal(expect[i], x[i], expect[i] * 3e-7 + 1e-30);
    }
}
