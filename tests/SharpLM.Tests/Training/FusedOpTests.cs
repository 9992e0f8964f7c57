using SharpLM.Kernels.Training;
using SharpLM.Training.Ops;

namespace SharpLM.Tests.Training;

/// <summary>
/// Fused and vectorised float paths of the training ops against the plain ops they replace: same bits where the
/// operations are the same (RoPE, norm + residual), close to double math where they are not (masked row exp).
/// </summary>
public unsafe class FusedOpTests
{
    static float[] Random(int n, int seed, float scale = 1)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 2 - 1) * scale;
        return a;
    }

    [Theory]
    [InlineData(37, 64)]     // odd row count, several chunks of 32 rows
    [InlineData(70, 576)]    // the small preset's hidden size
    [InlineData(5, 45)]      // a width with a scalar tail
    public void Norm_plus_residual_is_bit_identical_to_norm_then_add(int rows, int cols)
    {
        var x = Random(rows * cols, 1, 3);
        var w = Random(cols, 2, 0.5f);
        var res = Random(rows * cols, 3);
        var fused = new float[rows * cols];
        var normed = new float[rows * cols];
        var added = new float[rows * cols];
        var r1 = new float[rows];
        var r2 = new float[rows];
        using var workers = new Workers(2);
        fixed (float* px = x, pw = w, pr = res, pf = fused, pn = normed, pa = added, pr1 = r1, pr2 = r2)
        {
            RmsNorm.ForwardAdd(workers, pf, pr1, px, pw, pr, rows, cols, 1e-6);
            RmsNorm.Forward(workers, pn, pr2, px, pw, rows, cols, 1e-6);
            Residual.Forward(workers, pa, pr, pn, (long)rows * cols);
        }
        Assert.Equal(r2, r1);
        Assert.Equal(added, fused);
    }

    [Theory]
    [InlineData(2, 19, 8, 64)]
    [InlineData(1, 33, 2, 128)]
    public void Rope_vector_path_is_bit_identical_to_the_scalar_loop(int batch, int seq, int heads, int d)
    {
        var cos = new float[seq * d / 2];
        var sin = new float[seq * d / 2];
        fixed (float* pc = cos, ps = sin) Rope.BuildTables(pc, ps, seq, d, 10_000, 1);
        var x = Random(batch * seq * heads * d, 4, 2);
        using var workers = new Workers(2);
        foreach (bool inverse in new[] { false, true })
        {
            var fast = (float[])x.Clone();
            var slow = (float[])x.Clone();
            fixed (float* pf = fast, psl = slow, pc = cos, ps = sin)
            {
                if (inverse) Rope.Backward(workers, pf, pc, ps, batch * seq, seq, heads, d);
                else Rope.Forward(workers, pf, pc, ps, batch * seq, seq, heads, d);
                Rope.ForceScalar = true;
                try
                {
                    if (inverse) Rope.Backward(workers, psl, pc, ps, batch * seq, seq, heads, d);
                    else Rope.Forward(workers, psl, pc, ps, batch * seq, seq, heads, d);
                }
                finally { Rope.ForceScalar = false; }
            }
            Assert.Equal(slow, fast);
        }
    }

    [Theory]
    [InlineData(0, 1, 16)]
    [InlineData(0, 37, 48)]
    [InlineData(5, 21, 32)]
    [InlineData(17, 80, 80)]
    public void Masked_row_exp_matches_double(int from, int to, int n)
    {
        if (!Vec.Use512) return; // the masked row kernel is the AVX-512 attention path's
        var x = Random(n, 5, 4);
        var y = (float[])x.Clone();
        float scale = 0.125f, shift = 0.3f;
        double sum;
        fixed (float* py = y) sum = Vec.ExpAffineMasked(py, from, to, n, scale, shift);
        double expected = 0;
        for (int j = 0; j < n; j++)
        {
            double e = j >= from && j < to ? Math.Exp((double)x[j] * scale - shift) : 0;
            expected += e;
            Assert.Equal(e, y[j], 1e-6 * Math.Max(1, e));
        }
        Assert.Equal(expected, sum, 1e-5 * expected);
        fixed (float* px = x)
            Assert.Equal(x.AsSpan(from, to - from).ToArray().Max(), Vec.MaxF(px + from, to - from));
    }

    [Theory]
    [InlineData(0, 1, 16)]
    [InlineData(5, 21, 32)]
    [InlineData(17, 80, 80)]
    public void Softmax_backward_row_matches_double(int from, int to, int n)
    {
        if (!Vec.Use512) return;
        var s = Random(n, 6, 4);
        var dpIn = Random(n, 7);
        var p = (float[])s.Clone();
        var dp = (float[])dpIn.Clone();
        float scale = 0.125f, lse = 1.7f, d = 0.2f;
        fixed (float* pp = p, pd = dp) Vec.SoftmaxBackwardRow(pp, pd, from, to, n, scale, lse, d);
        for (int j = 0; j < n; j++)
        {
            bool valid = j >= from && j < to;
            double e = valid ? Math.Exp((double)s[j] * scale - lse) : 0;
            Assert.Equal(e, p[j], 1e-6 * Math.Max(1, e));
            Assert.Equal(valid ? e * (dpIn[j] - d) * scale : 0, dp[j], 1e-6);
        }
    }
}
