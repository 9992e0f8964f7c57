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
    [InlineData(37, 1003, true)]    // a partial last task of rows, a vocabulary with a scalar tail
    [InlineData(16, 4096, true)]
    [InlineData(9, 517, false)]     // loss only
    public void Head_softmax_rows_with_prefetch_are_bit_identical_to_one_row_per_task(int rows, int vocab, bool backward)
    {
        var logits = Random(rows * vocab, 51, 8);
        var targets = new int[rows];
        var r = new Random(52);
        for (int i = 0; i < rows; i++) targets[i] = i % 5 == 3 ? -1 : r.Next(vocab);
        float[] a = (float[])logits.Clone(), b = (float[])logits.Clone();
        double[] lossA = new double[rows], lossB = new double[rows];
        using var workers = new Workers(2);
        bool saved = TiedHeadCrossEntropy.PrefetchRows;
        fixed (float* pa = a, pb = b)
        fixed (double* la = lossA, lb = lossB)
        fixed (int* pt = targets)
            try
            {
                TiedHeadCrossEntropy.PrefetchRows = true;
                TiedHeadCrossEntropy.CrossEntropyRows(workers, pa, pt, la, rows, vocab, 1f / rows, backward);
                TiedHeadCrossEntropy.PrefetchRows = false;
                TiedHeadCrossEntropy.CrossEntropyRows(workers, pb, pt, lb, rows, vocab, 1f / rows, backward);
            }
            finally { TiedHeadCrossEntropy.PrefetchRows = saved; }
        Assert.Equal(lossB, lossA);
        Assert.Equal(b, a);
        Assert.Contains(lossA, l => l > 0); // the rows did compute
    }

    [Theory]
    [InlineData(7, 45)]      // 32 + 8 vector columns and a scalar tail of 5
    [InlineData(64, 576)]    // the norm weights' partials of small: 64 chunks × H, three tasks of 256 columns
    [InlineData(3, 5)]       // all scalar
    public void Column_sums_are_bit_identical_to_the_scalar_order(int count, int cols)
    {
        var partials = Random(count * cols, 40, 100);
        var dst0 = Random(cols, 41);
        var dst = (float[])dst0.Clone();
        using var workers = new Workers(2);
        fixed (float* pp = partials, pd = dst) ColumnSums.AddInto(workers, pd, pp, count, cols);
        for (int j = 0; j < cols; j++)
        {
            float s = 0;
            for (int k = 0; k < count; k++) s += partials[k * cols + j];
            Assert.Equal(dst0[j] + s, dst[j]);
        }
    }

    [Theory]
    [InlineData(2, 19, 8, 64)]
    [InlineData(1, 33, 2, 128)]
    [InlineData(1, 7, 3, 48)]    // halves of 24: 256-bit vectors only (the 512-bit path needs d a multiple of 32)
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
    [InlineData(37, 64)]     // odd row count, several 32-row chunks, a partial last one
    [InlineData(70, 576)]    // the small preset's hidden size
    [InlineData(5, 45)]      // a width with a scalar tail
    public void Add_then_next_norm_is_bit_identical_to_the_two_ops(int rows, int cols)
    {
        var x = Random(rows * cols, 11, 3);
        var w = Random(cols, 12, 0.5f);
        var w2 = Random(cols, 13, 0.5f);
        var res = Random(rows * cols, 14);
        float[] y1 = new float[rows * cols], z1 = new float[rows * cols], y2 = new float[rows * cols], z2 = new float[rows * cols];
        float[] ra1 = new float[rows], rb1 = new float[rows], ra2 = new float[rows], rb2 = new float[rows];
        using var workers = new Workers(2);
        fixed (float* px = x, pw = w, pw2 = w2, pr = res, py1 = y1, pz1 = z1, py2 = y2, pz2 = z2, pa1 = ra1, pb1 = rb1, pa2 = ra2, pb2 = rb2)
        {
            RmsNorm.ForwardAddNorm(workers, py1, pa1, px, pw, pr, pz1, pb1, pw2, rows, cols, 1e-6);
            RmsNorm.ForwardAdd(workers, py2, pa2, px, pw, pr, rows, cols, 1e-6);
            RmsNorm.Forward(workers, pz2, pb2, py2, pw2, rows, cols, 1e-6);
        }
        Assert.Equal(y2, y1);
        Assert.Equal(z2, z1);
        Assert.Equal(ra2, ra1);
        Assert.Equal(rb2, rb1);
    }

    [Theory]
    [InlineData(37, 64, true, false)]
    [InlineData(70, 576, false, false)]
    [InlineData(5, 45, true, true)]    // the final norm's case: the second norm's dx overwrites the first's dy
    [InlineData(33, 48, false, true)]
    public void Two_norm_backwards_in_one_pass_are_bit_identical_to_two_calls(int rows, int cols, bool accumulate, bool dx2IsDy)
    {
        var x = Random(rows * cols, 21, 3);
        var x2 = Random(rows * cols, 22, 2);
        var w = Random(cols, 23, 0.5f);
        var w2 = Random(cols, 24, 0.5f);
        var dyIn = Random(rows * cols, 25);
        var dresIn = Random(rows * cols, 26);
        var rstd = new float[rows];
        var rstd2 = new float[rows];
        var scratch = new float[rows * cols];
        using var workers = new Workers(2);
        fixed (float* px = x, px2 = x2, pw = w, pw2 = w2, pr = rstd, pr2 = rstd2, ps = scratch)
        {
            RmsNorm.Forward(workers, ps, pr, px, pw, rows, cols, 1e-6);
            RmsNorm.Forward(workers, ps, pr2, px2, pw2, rows, cols, 1e-6);
        }
        (float[] dres, float[] dx2, float[] dw, float[] dw2) Run(bool fused)
        {
            var dy = (float[])dyIn.Clone();
            var dres = (float[])dresIn.Clone();
            var dx2 = dx2IsDy ? dy : new float[rows * cols];
            var dw = Random(cols, 27);
            var dw2 = Random(cols, 28);
            fixed (float* px = x, px2 = x2, pw = w, pw2 = w2, pr = rstd, pr2 = rstd2, pdy = dy, pdres = dres, pdx2 = dx2, pdw = dw, pdw2 = dw2)
            {
                if (fused) RmsNorm.BackwardThen(workers, pdres, pdw, pdy, px, pr, pw, accumulate, pdx2, pdw2, px2, pr2, pw2, rows, cols);
                else
                {
                    RmsNorm.Backward(workers, pdres, pdw, pdy, px, pr, pw, rows, cols, accumulate);
                    RmsNorm.Backward(workers, pdx2, pdw2, pdres, px2, pr2, pw2, rows, cols, accumulateDx: false);
                }
            }
            return (dres, dx2, dw, dw2);
        }
        var a = Run(fused: true);
        var b = Run(fused: false);
        Assert.Equal(b.dres, a.dres);
        Assert.Equal(b.dx2, a.dx2);
        Assert.Equal(b.dw, a.dw);
        Assert.Equal(b.dw2, a.dw2);
    }

    [Theory]
    [InlineData(2, 19, 8, 2, 64, false)]   // odd T, GQA group 4, the 512-bit RoPE path
    [InlineData(1, 33, 3, 1, 48, false)]   // head_dim not a multiple of 32 (scalar RoPE), N·heads not a multiple of 32
    [InlineData(3, 7, 4, 4, 32, false)]    // no GQA, several tasks of 32 tokens with a partial last one
    [InlineData(2, 19, 8, 2, 64, true)]    // the scalar RoPE loop on both sides
    public void QK_norm_and_rope_in_one_pass_are_bit_identical_to_the_four_ops(int batch, int seq, int heads, int kvHeads, int d, bool scalarRope)
    {
        int N = batch * seq, qW = heads * d, kvW = kvHeads * d, qkvW = qW + 2 * kvW;
        var cos = new float[seq * d / 2];
        var sin = new float[seq * d / 2];
        fixed (float* pc = cos, ps = sin) Rope.BuildTables(pc, ps, seq, d, 10_000, 1);
        var qkv = Random(N * qkvW, 31, 3);
        var qn = Random(d, 32, 0.5f);
        var kn = Random(d, 33, 0.5f);
        var dqIn = Random(N * qW, 34);
        var dkIn = Random(N * kvW, 35);
        var shape = new QkNormRope.Shape(N, seq, heads, kvHeads, d, qkvW);
        var inQ = new RmsNorm.RowLayout(heads, qkvW);
        var inK = new RmsNorm.RowLayout(kvHeads, qkvW);
        var flat = RmsNorm.RowLayout.Contiguous(d);
        using var workers = new Workers(2);
        (float[] q, float[] k, float[] qr, float[] kr, float[] dqkv, float[] gq, float[] gk) Run(bool fused)
        {
            float[] q = new float[N * qW], k = new float[N * kvW], qr = new float[N * heads], kr = new float[N * kvHeads];
            var dqkv = Random(N * qkvW, 36); // the v part must stay as it is
            var gq = Random(d, 37);
            var gk = Random(d, 38);
            var dq = (float[])dqIn.Clone();
            var dk = (float[])dkIn.Clone();
            Rope.ForceScalar = scalarRope;
            try
            {
                fixed (float* px = qkv, pqn = qn, pkn = kn, pq = q, pk = k, pqr = qr, pkr = kr, pd = dqkv, pgq = gq, pgk = gk, pdq = dq, pdk = dk, pc = cos, ps = sin)
                {
                    if (fused)
                    {
                        QkNormRope.Forward(workers, pq, pqr, pk, pkr, px, pqn, pkn, pc, ps, shape, 1e-6);
                        QkNormRope.Backward(workers, pd, pgq, pgk, pdq, pdk, px, pqr, pkr, pqn, pkn, pc, ps, shape);
                    }
                    else
                    {
                        RmsNorm.Forward(workers, pq, flat, pqr, px, inQ, pqn, N * heads, d, 1e-6);
                        RmsNorm.Forward(workers, pk, flat, pkr, px + qW, inK, pkn, N * kvHeads, d, 1e-6);
                        Rope.Forward(workers, pq, pc, ps, N, seq, heads, d);
                        Rope.Forward(workers, pk, pc, ps, N, seq, kvHeads, d);
                        Rope.Backward(workers, pdq, pc, ps, N, seq, heads, d);
                        Rope.Backward(workers, pdk, pc, ps, N, seq, kvHeads, d);
                        RmsNorm.Backward(workers, pd, pgq, pdq, flat, px, inQ, pqr, pqn, N * heads, d, accumulateDx: false);
                        RmsNorm.Backward(workers, pd + qW, pgk, pdk, flat, px + qW, inK, pkr, pkn, N * kvHeads, d, accumulateDx: false);
                    }
                }
            }
            finally { Rope.ForceScalar = false; }
            return (q, k, qr, kr, dqkv, gq, gk);
        }
        var a = Run(fused: true);
        var b = Run(fused: false);
        Assert.Equal(b.q, a.q);
        Assert.Equal(b.k, a.k);
        Assert.Equal(b.qr, a.qr);
        Assert.Equal(b.kr, a.kr);
        Assert.Equal(b.dqkv, a.dqkv);
        Assert.Equal(b.gq, a.gq);
        Assert.Equal(b.gk, a.gk);
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
