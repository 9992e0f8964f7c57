using SharpLM.Kernels;

namespace SharpLM.Tests.Kernels;

/// <summary>
/// The grouped attention kernels at every level against their scalar reference, and the reference against a
/// double-precision sum: 1–4 heads (the tile's padding lanes), key counts around the 4-key tile, head sizes that are
/// and are not multiples of the 64-column block, rows further apart than the head size (KV rows of several heads).
/// </summary>
public sealed unsafe class AttentionTileTests
{
    public static TheoryData<KernelIsa> Levels() => KernelTestData.Levels();

    static readonly int[] HeadSizes = [1, 7, 16, 48, 64, 80, 256];
    static readonly int[] Counts = [1, 2, 3, 4, 5, 7, 8, 9, 17, 33];

    [Theory]
    [MemberData(nameof(Levels))]
    public void ScoresAgreeWithScalarAndDouble(KernelIsa isa)
    {
        foreach (int d in HeadSizes)
            foreach (int count in Counts)
                for (int heads = 1; heads <= AttentionTile.Heads; heads++)
                {
                    int stride = d + 5, sStride = count + 3;
                    var q = KernelTestData.RandomVector(heads * d, d * 31 + heads);
                    var k = KernelTestData.RandomVector(count * stride, d * 17 + count);
                    var got = new float[heads * sStride];
                    var want = new float[heads * sStride];
                    Array.Fill(got, 99f);
                    Array.Fill(want, 99f);
                    const float scale = 0.3f;
                    fixed (float* pq = q, pk = k, pg = got, pw = want)
                    {
                        AttentionTile.Scores(isa, pq, heads, d, pk, stride, count, scale, pg, sStride);
                        AttentionTile.ScoresScalar(pq, heads, d, pk, stride, count, scale, pw, sStride);
                    }
                    for (int h = 0; h < heads; h++)
                    {
                        for (int j = 0; j < count; j++)
                        {
                            double exact = 0, abs = 0;
                            for (int i = 0; i < d; i++) { exact += (double)q[h * d + i] * k[j * stride + i]; abs += Math.Abs((double)q[h * d + i] * k[j * stride + i]); }
                            exact *= scale;
                            double tol = 2e-6 * abs + 1e-7;
                            int at = h * sStride + j;
                            Assert.True(Math.Abs(want[at] - exact) <= tol, $"scalar d={d} count={count} heads={heads} h={h} j={j}: {want[at]} vs {exact}");
                            Assert.True(Math.Abs(got[at] - want[at]) <= 2 * tol, $"{isa} d={d} count={count} heads={heads} h={h} j={j}: {got[at]} vs scalar {want[at]}");
                        }
                        for (int j = count; j < sStride; j++) Assert.Equal(99f, got[h * sStride + j]); // nothing past the run
                    }
                }
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public void WeightedSumAgreesWithScalarAndDouble(KernelIsa isa)
    {
        foreach (int d in HeadSizes)
            foreach (int count in Counts)
                for (int heads = 1; heads <= AttentionTile.Heads; heads++)
                {
                    int stride = d + 3, sStride = count + 2;
                    var s = KernelTestData.RandomVector(heads * sStride, d * 13 + count);
                    var v = KernelTestData.RandomVector(count * stride, d * 7 + heads);
                    var start = KernelTestData.RandomVector(heads * d + 4, count * 5 + heads); // o accumulates onto what is there
                    var got = (float[])start.Clone();
                    var want = (float[])start.Clone();
                    fixed (float* ps = s, pv = v, pg = got, pw = want)
                    {
                        AttentionTile.WeightedSum(isa, ps, sStride, heads, d, pv, stride, count, pg);
                        AttentionTile.WeightedSumScalar(ps, sStride, heads, d, pv, stride, count, pw);
                    }
                    for (int h = 0; h < heads; h++)
                        for (int i = 0; i < d; i++)
                        {
                            double exact = start[h * d + i], abs = Math.Abs(start[h * d + i]);
                            for (int j = 0; j < count; j++) { exact += (double)s[h * sStride + j] * v[j * stride + i]; abs += Math.Abs((double)s[h * sStride + j] * v[j * stride + i]); }
                            double tol = 2e-6 * abs + 1e-7;
                            int at = h * d + i;
                            Assert.True(Math.Abs(want[at] - exact) <= tol, $"scalar d={d} count={count} heads={heads} h={h} i={i}: {want[at]} vs {exact}");
                            Assert.True(Math.Abs(got[at] - want[at]) <= 2 * tol, $"{isa} d={d} count={count} heads={heads} h={h} i={i}: {got[at]} vs scalar {want[at]}");
                        }
                    for (int i = heads * d; i < got.Length; i++) Assert.Equal(start[i], got[i]); // heads past the last untouched
                }
    }
}
