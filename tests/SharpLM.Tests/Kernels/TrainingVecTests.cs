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
    public void Exp256_and_Tanh256_keep_NaN_and_saturate_infinities()
    {
        // Their clamps are plain vmaxps/vminps with x second, the operand those return for NaN: NaN must come out NaN,
        // as with the 512-bit path's IEEE clamps, in every lane position.
        if (!Avx2.IsSupported || !Fma.IsSupported) return;
        for (int lane = 0; lane < 8; lane++)
        {
            var x = new float[] { 1f, -2f, 0.5f, 100f, -100f, float.PositiveInfinity, float.NegativeInfinity, 3f };
            x[lane] = float.NaN;
            Vector256<float> e, t;
            fixed (float* p = x) { e = Vec.Exp256(Vector256.Load(p)); t = Vec.Tanh256(Vector256.Load(p)); }
            for (int i = 0; i < 8; i++)
            {
                if (i == lane) { Assert.True(float.IsNaN(e[i]) && float.IsNaN(t[i]), $"lane {i}: exp {e[i]}, tanh {t[i]}"); continue; }
                Assert.True(float.IsFinite(e[i]) && e[i] >= 0, $"exp({x[i]}) = {e[i]}");
                Assert.True(Math.Abs(t[i] - Math.Tanh(Math.Clamp(x[i], -44, 44))) < 1e-6, $"tanh({x[i]}) = {t[i]}");
            }
        }
    }

    [Theory]
    [InlineData(5)]
    [InlineData(8)]
    [InlineData(37)]
    [InlineData(256)]
    public void MaxF256_is_the_exact_max(int n)
    {
        if (!Avx2.IsSupported) return;
        var r = new Random(n);
        for (int trial = 0; trial < 50; trial++)
        {
            var x = new float[n];
            for (int i = 0; i < n; i++) x[i] = (float)(r.NextDouble() * 200 - 150);
            if (trial % 5 == 1) x[r.Next(n)] = float.NegativeInfinity;
            if (trial % 5 == 2) Array.Fill(x, -3.25f);
            float want = x.Max();
            float got;
            fixed (float* p = x) got = Vec.MaxF256(p, n);
            Assert.Equal(want, got);
        }
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

    // ---- The 256-bit (AVX2 + FMA) loops: against the scalar float code on any machine, against the 512-bit loop bit for
    // bit where AVX-512 is present (there the public helpers take it; the 256-bit loops are called directly). ----

    static bool Avx2Fma => Avx2.IsSupported && Fma.IsSupported;

    static float[] RandomFloats(int n, int seed, double scale)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)((r.NextDouble() * 2 - 1) * scale);
        return a;
    }

    /// <summary>The scalar float loop's GELU (MathF.Tanh): the 256-bit loop differs from it only through its tanh.</summary>
    static (float Gelu, float DGelu) ScalarGelu(float z)
    {
        float c = (float)Math.Sqrt(2 / Math.PI), a = 0.044715f;
        float t = MathF.Tanh(c * (z + a * z * z * z));
        return (0.5f * z * (1 + t), 0.5f * (1 + t) + 0.5f * z * (1 - t * t) * c * (1 + 3 * a * z * z));
    }

    static void AssertSameBits(float[] expected, float[] actual, int from, int to, string what)
    {
        for (int i = from; i < to; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{what}[{i}]: {expected[i]:R} vs {actual[i]:R}");
    }

    [Theory]
    [InlineData(1536)]   // the small preset's intermediate width: all vector
    [InlineData(1541)]   // a scalar tail past n/16·16
    [InlineData(13)]     // shorter than one 16-lane group: all scalar
    public void GeGlu256_matches_the_scalar_loop_and_the_512_bit_loop_bits(int n)
    {
        if (!Avx2Fma) return;
        float[] g = RandomFloats(n, 21, 8), u = RandomFloats(n, 22, 1), h = new float[n], h512 = new float[n];
        int end;
        fixed (float* pg = g, pu = u, ph = h, ph512 = h512)
        {
            end = Vec.GeGlu256(pg, pu, ph, n);
            if (Avx512F.IsSupported) Vec.GeGlu(pg, pu, ph512, n);
        }
        Assert.Equal(n / 16 * 16, end);
        for (int i = 0; i < end; i++)
        {
            float expect = ScalarGelu(g[i]).Gelu * u[i];
            Assert.True(Math.Abs(h[i] - expect) <= 2e-6 * (1 + Math.Abs(g[i])), $"h[{i}] = {h[i]:R}, scalar {expect:R} (g {g[i]:R})");
        }
        if (Avx512F.IsSupported) AssertSameBits(h512, h, 0, end, "h");
    }

    [Theory]
    [InlineData(1536, 1536, 0)]      // a whole row, prefetching the next one
    [InlineData(1541, 1536, 1541)]
    [InlineData(61, 13, 0)]          // a piece ending inside an 8-lane group: the padded last piece
    [InlineData(45, 4, 45)]
    [InlineData(40, 0, 0)]           // all scalar
    public void GeGluBackward256_matches_the_scalar_loop_and_the_512_bit_loop_bits(int n, int vectorEnd, int prefetchRow)
    {
        if (!Avx2Fma) return;
        float[] g = RandomFloats(n + prefetchRow, 23, 8), u = RandomFloats(n + prefetchRow, 24, 1), dh = RandomFloats(n, 25, 1);
        float[] dg = new float[n], du = new float[n + prefetchRow], h = new float[n];
        float[] dg512 = new float[n], du512 = new float[n + prefetchRow], h512 = new float[n];
        fixed (float* pg = g, pu = u, pdh = dh, pdg = dg, pdu = du, ph = h, pdg512 = dg512, pdu512 = du512, ph512 = h512)
        {
            Vec.GeGluBackward256(pg, pu, pdh, pdg, pdu, ph, vectorEnd, prefetchRow, prefetchRow);
            if (Avx512F.IsSupported) Vec.GeGluBackward(pg, pu, pdh, pdg512, pdu512, ph512, n, vectorEnd, prefetchRow, prefetchRow);
        }
        for (int i = 0; i < n; i++)
        {
            if (i >= vectorEnd) { Assert.True(dg[i] == 0 && du[i] == 0 && h[i] == 0, $"element {i} past the vector end was written"); continue; }
            var (gelu, dgelu) = ScalarGelu(g[i]);
            float tol = 3e-6f * (1 + Math.Abs(g[i]));
            Assert.True(Math.Abs(dg[i] - dh[i] * u[i] * dgelu) <= tol, $"dg[{i}] = {dg[i]:R}, scalar {dh[i] * u[i] * dgelu:R}");
            Assert.True(Math.Abs(du[i] - dh[i] * gelu) <= tol, $"du[{i}] = {du[i]:R}, scalar {dh[i] * gelu:R}");
            Assert.True(Math.Abs(h[i] - gelu * u[i]) <= tol, $"h[{i}] = {h[i]:R}, scalar {gelu * u[i]:R}");
        }
        if (!Avx512F.IsSupported) return;
        AssertSameBits(dg512, dg, 0, vectorEnd, "dg");
        AssertSameBits(du512, du, 0, vectorEnd, "du");
        AssertSameBits(h512, h, 0, vectorEnd, "h");
    }

    [Theory]
    [InlineData(16384, true)]   // a head softmax row of small (vocabulary 16,384), prefetching the next row
    [InlineData(1003, false)]   // a scalar tail
    public void ExpShiftSum256_matches_expf_and_the_512_bit_loop_bits(int n, bool prefetch)
    {
        if (!Avx2Fma) return;
        var x = RandomFloats(n, 26, 20);
        float[] y = (float[])x.Clone(), y512 = (float[])x.Clone(), next = new float[n];
        double sum, sum512 = 0;
        int end;
        fixed (float* py = y, py512 = y512, pn = next)
        {
            end = Vec.ExpShiftSum256(py, 3f, n, prefetch ? pn : null, out sum);
            if (Avx512F.IsSupported) sum512 = Vec.ExpShiftSum(py512, 3f, n, prefetch ? pn : null);
        }
        Assert.Equal(n / 16 * 16, end);
        double expectSum = 0;
        for (int i = 0; i < end; i++)
        {
            float e = MathF.Exp(x[i] - 3f);
            expectSum += e;
            Assert.True(Math.Abs(y[i] - e) <= 2.5e-7 * e, $"exp({x[i] - 3f:R}) = {y[i]:R}, expf {e:R}");
        }
        for (int i = end; i < n; i++) Assert.Equal(x[i], y[i]); // the tail is the caller's scalar loop
        Assert.Equal(expectSum, sum, expectSum * 1e-6);
        if (!Avx512F.IsSupported) return;
        AssertSameBits(y512, y, 0, end, "exp");
        double tail = 0;
        for (int i = end; i < n; i++) tail += y512[i];
        Assert.Equal(sum512 - tail, sum, sum512 * 1e-6);
    }

    [Theory]
    [InlineData(576)]
    [InlineData(64)]
    [InlineData(45)]    // tails of 5 and 13
    [InlineData(3)]
    public void Norm_rows_are_bit_identical_to_the_scalar_expressions(int n)
    {
        // The norm helpers use no fused multiply-add: every path computes each element with the scalar loop's operations.
        float[] x = RandomFloats(n, 27, 3), w = RandomFloats(n, 28, 0.5), res = RandomFloats(n, 29, 1), dy = RandomFloats(n, 30, 1);
        float[] dx0 = RandomFloats(n, 31, 1), part0 = RandomFloats(n, 32, 1);
        float r = 0.37f, m = -0.21f;
        float[] y = new float[n], ya = new float[n], dx = new float[n], dxa = (float[])dx0.Clone(), part = (float[])part0.Clone();
        float dot;
        fixed (float* px = x, pw = w, pr = res, pdy = dy, py = y, pya = ya, pdx = dx, pdxa = dxa, pp = part)
        {
            Vec.ScaleByOnePlus(px, r, pw, py, n);
            Vec.ScaleByOnePlusAdd(px, r, pw, pr, pya, n);
            Vec.NormBackwardInput(pdy, px, pw, r, m, pdx, n, accumulate: false);
            Vec.NormBackwardInput(pdy, px, pw, r, m, pdxa, n, accumulate: true);
            dot = Vec.NormBackwardDot(pdy, px, pw, r, pp, n);
        }
        double dotExact = 0;
        for (int j = 0; j < n; j++)
        {
            Assert.Equal(x[j] * r * (1 + w[j]), y[j]);
            Assert.Equal(res[j] + x[j] * r * (1 + w[j]), ya[j]);
            float v = r * (dy[j] * (1 + w[j]) - x[j] * (r * m));
            Assert.Equal(v, dx[j]);
            Assert.Equal(dx0[j] + v, dxa[j]);
            float xh = x[j] * r;
            Assert.Equal(part0[j] + dy[j] * xh, part[j]);
            dotExact += (double)dy[j] * (1 + w[j]) * xh;
        }
        Assert.Equal(dotExact, dot, 1e-5 * (1 + Math.Abs(dotExact)));
    }

    [Theory]
    [InlineData(64)]
    [InlineData(256)]
    [InlineData(45)]
    public void Dot_and_Axpy_match_the_scalar_loops(int n)
    {
        float[] a = RandomFloats(n, 33, 1), b = RandomFloats(n, 34, 1), y0 = RandomFloats(n, 35, 1);
        float[] y = (float[])y0.Clone();
        float alpha = 0.613f, dot;
        fixed (float* pa = a, pb = b, py = y)
        {
            dot = Vec.Dot(pa, pb, n);
            Vec.Axpy(alpha, pa, py, n);
        }
        double exact = 0;
        for (int i = 0; i < n; i++) exact += (double)a[i] * b[i];
        Assert.Equal(exact, dot, 1e-5);
        bool fused = Vec.Use512 || Vec.Use256; // the first n/16·16 elements take fused multiply-adds there
        for (int i = 0; i < n; i++)
        {
            float expect = fused && i < n / 16 * 16 ? MathF.FusedMultiplyAdd(alpha, a[i], y0[i]) : y0[i] + alpha * a[i];
            Assert.Equal(expect, y[i]);
        }
    }
}
