using System.Runtime.Intrinsics.X86;
using SharpLM.Kernels.Training;

namespace SharpLM.Tests.Kernels;

/// <summary>
/// The blocked attention's row passes (<see cref="Vec.MaxF"/>, <see cref="Vec.ExpAffineMaskedTo"/>,
/// <see cref="Vec.SoftmaxBackwardRow"/>, <see cref="Vec.SoftmaxBackwardRowFromP"/>): the 256-bit versions against double
/// math and, where AVX-512 runs, against the 512-bit versions bit for bit (the same lane math; the exp sum reduced as
/// Vector512.Sum reduces it).
/// </summary>
public unsafe class AttentionRowTests
{
    static bool Has256 => Avx2.IsSupported && Fma.IsSupported;

    static float[] Random(int n, int seed, float scale = 1)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 2 - 1) * scale;
        return a;
    }

    static void SameBits(float[] want, float[] got, string what)
    {
        for (int i = 0; i < want.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(want[i]) == BitConverter.SingleToInt32Bits(got[i]), $"{what}[{i}]: 512-bit {want[i]:R}, 256-bit {got[i]:R}");
    }

    // (from, to, n): the valid keys [from, to) of a row padded to n (a multiple of 16): from inside a 16-block, to
    // inside one or far below n (whole masked vectors after it, as on the causal diagonal block), the whole row.
    public static TheoryData<int, int, int> Rows => new()
    {
        { 0, 1, 16 }, { 0, 37, 48 }, { 5, 21, 32 }, { 17, 80, 80 }, { 0, 9, 64 }, { 33, 40, 96 }, { 0, 256, 256 }, { 100, 130, 272 }, { 15, 16, 32 },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void Exp_row_256_matches_double_and_the_512_bit_bits(int from, int to, int n)
    {
        if (!Has256) return;
        var x = Random(n, 5, 4);
        float scale = 0.125f, shift = 0.3f;
        var y = new float[n];
        var inPlace = (float[])x.Clone();
        double sum, sumInPlace;
        fixed (float* px = x, py = y, pi = inPlace)
        {
            new Span<float>(py, n).Fill(float.NaN);   // every element must be written
            sum = Vec.ExpAffineMaskedTo256(px, py, from, to, n, scale, shift);
            sumInPlace = Vec.ExpAffineMaskedTo256(pi, pi, from, to, n, scale, shift);
        }
        double expected = 0;
        for (int j = 0; j < n; j++)
        {
            double e = j >= from && j < to ? Math.Exp((double)x[j] * scale - shift) : 0;
            expected += e;
            Assert.Equal(e, y[j], 1e-6 * Math.Max(1, e));
        }
        Assert.Equal(expected, sum, 1e-5 * expected);
        Assert.Equal(y, inPlace);
        Assert.Equal(sum, sumInPlace);
        // The sum's order, spelled out: the 512-bit loop's 16 accumulator lanes (lane l sums y[j + l] over the row's 16-key
        // steps from from & ~15), each 128-bit quarter reduced as (a0 + a1) + (a2 + a3), the quarters as (q0 + q1) + (q2 + q3).
        var lanes = new float[16];
        for (int j = from & ~15; j < n; j += 16)
            for (int l = 0; l < 16; l++) lanes[l] += y[j + l];
        float Quarter(int q) => (lanes[4 * q] + lanes[4 * q + 1]) + (lanes[4 * q + 2] + lanes[4 * q + 3]);
        Assert.Equal((double)((Quarter(0) + Quarter(1)) + (Quarter(2) + Quarter(3))), sum);
        if (!Avx512F.IsSupported) return;
        var y512 = new float[n];
        double sum512;
        fixed (float* px = x, py = y512) sum512 = Vec.ExpAffineMaskedTo(px, py, from, to, n, scale, shift);
        SameBits(y512, y, "exp");
        // The row's elements are the same bits; the sum is compared with a tolerance, not bit for bit: the 512-bit loop
        // reduces its accumulator with Vector512.Sum, whose lane order is the JIT's choice on AVX-512 hardware and was
        // never observed here (this suite was written on an AVX2-only machine).
        Assert.Equal(sum512, sum, 1e-6 * Math.Abs(sum512));
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void Softmax_backward_row_256_matches_double_and_the_512_bit_bits(int from, int to, int n)
    {
        if (!Has256) return;
        var s = Random(n, 6, 4);
        var dpIn = Random(n, 7);
        var p = (float[])s.Clone();
        var dp = (float[])dpIn.Clone();
        float scale = 0.125f, lse = 1.7f, d = 0.2f;
        fixed (float* pp = p, pd = dp) Vec.SoftmaxBackwardRow256(pp, pd, from, to, n, scale, lse, d);
        for (int j = 0; j < n; j++)
        {
            bool valid = j >= from && j < to;
            double e = valid ? Math.Exp((double)s[j] * scale - lse) : 0;
            Assert.Equal(e, p[j], 1e-6 * Math.Max(1, e));
            Assert.Equal(valid ? e * (dpIn[j] - d) * scale : 0, dp[j], 1e-6);
        }
        // From the saved P (which has exact zeros at masked keys): the same dS bits.
        var dpFromP = (float[])dpIn.Clone();
        fixed (float* pp = p, pd = dpFromP) Vec.SoftmaxBackwardRowFromP256(pp, pd, from, n, scale, d);
        Assert.Equal(dp, dpFromP);
        if (!Avx512F.IsSupported) return;
        var p512 = (float[])s.Clone();
        var dp512 = (float[])dpIn.Clone();
        fixed (float* pp = p512, pd = dp512) Vec.SoftmaxBackwardRow(pp, pd, from, to, n, scale, lse, d);
        SameBits(p512, p, "P");
        SameBits(dp512, dp, "dS");
        var dpFromP512 = (float[])dpIn.Clone();
        fixed (float* pp = p512, pd = dpFromP512) Vec.SoftmaxBackwardRowFromP(pp, pd, from, n, scale, d);
        SameBits(dpFromP512, dpFromP, "dS from P");
    }

    [Fact]
    public void Row_max_256_is_the_max_for_every_length_and_offset()
    {
        if (!Has256) return;
        var x = Random(80, 8, 4);
        x[37] = 9;   // a maximum in a tail for some (offset, length)
        fixed (float* px = x)
            for (int offset = 0; offset < 9; offset++)
                for (int n = 1; n + offset <= 64; n++)
                {
                    float want = x.AsSpan(offset, n).ToArray().Max();
                    Assert.Equal(want, Vec.MaxF256(px + offset, n));
                    if (Vec.Use512 || Vec.Use256) Assert.Equal(want, Vec.MaxF(px + offset, n));
                }
        var negative = new float[13];
        Array.Fill(negative, -3f);
        negative[12] = -2f;
        fixed (float* pn = negative) Assert.Equal(-2f, Vec.MaxF256(pn, 13));   // lanes past n must not read as 0
    }
}
