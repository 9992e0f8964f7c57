using SharpLM.Kernels.Training;
using SharpLM.Training.Ops;
using static SharpLM.Tests.Training.GradCheck;

namespace SharpLM.Tests.Training;

/// <summary>
/// Every op's backward against float64 central differences of L = Σ g ⊙ forward(…), with g random: the
/// same generic code that trains in float, run in double.
/// </summary>
public unsafe class OpGradientTests : IDisposable
{
    const double Tol = 1e-6;
    readonly Workers _w = new(2);

    public void Dispose() => _w.Dispose();

    [Fact]
    public void RmsNorm_input_and_weight()
    {
        int R = 5, C = 7;
        var x = RandomArray(R * C, 1, 2);
        var w = RandomArray(C, 2, 0.5);
        var g = RandomArray(R * C, 3);
        double Loss()
        {
            var y = new double[R * C];
            var rstd = new double[R];
            fixed (double* py = y, pr = rstd, px = x, pw = w) RmsNorm.Forward(_w, py, pr, px, pw, R, C, 1e-6);
            return Dot(y, g);
        }
        var dx = new double[R * C];
        var dw = new double[C];
        var y0 = new double[R * C];
        var r0 = new double[R];
        fixed (double* py = y0, pr = r0, px = x, pw = w, pdx = dx, pdw = dw, pg = g)
        {
            RmsNorm.Forward(_w, py, pr, px, pw, R, C, 1e-6);
            RmsNorm.Backward(_w, pdx, pdw, pg, px, pr, pw, R, C, accumulateDx: false);
        }
        Check(x, dx, Loss, "dx", Tol);
        Check(w, dw, Loss, "dw", Tol);
    }

    [Fact]
    public void RmsNorm_backward_in_place_and_accumulating()
    {
        int R = 70, C = 3; // more rows than one 32-row chunk
        var x = RandomArray(R * C, 4);
        var w = RandomArray(C, 5);
        var g = RandomArray(R * C, 6);
        var y = new double[R * C];
        var rstd = new double[R];
        var dxSeparate = new double[R * C];
        var dwA = new double[C];
        var dwB = new double[C];
        var acc = RandomArray(R * C, 7);
        var accExpect = (double[])acc.Clone();
        var inPlace = (double[])g.Clone();
        fixed (double* px = x, pw = w, pg = g, py = y, pr = rstd, pd = dxSeparate, pa = dwA, pb = dwB, pacc = acc, pin = inPlace)
        {
            RmsNorm.Forward(_w, py, pr, px, pw, R, C, 1e-6);
            RmsNorm.Backward(_w, pd, pa, pg, px, pr, pw, R, C, false);
            RmsNorm.Backward(_w, pin, pb, pin, px, pr, pw, R, C, false);
            RmsNorm.Backward(_w, pacc, pb, pg, px, pr, pw, R, C, true);
        }
        Assert.Equal(dxSeparate, inPlace);
        for (int i = 0; i < acc.Length; i++) Assert.Equal(accExpect[i] + dxSeparate[i], acc[i], 12);
        for (int j = 0; j < C; j++) Assert.Equal(2 * dwA[j], dwB[j], 12); // dw accumulates (+=)
    }

    [Fact]
    public void Embedding_with_scale_and_repeated_tokens()
    {
        int V = 6, H = 5, N = 9;
        var e = RandomArray(V * H, 8);
        var tokens = new[] { 1, 3, 1, 0, 5, 3, 3, 2, 1 };
        var g = RandomArray(N * H, 9);
        double scale = 2.25;
        double Loss()
        {
            var h = new double[N * H];
            fixed (double* ph = h, pe = e) fixed (int* pt = tokens) Embedding.Forward(_w, ph, pt, pe, N, H, V, scale);
            return Dot(h, g);
        }
        var de = new double[V * H];
        fixed (double* pde = de, pg = g) fixed (int* pt = tokens) Embedding.Backward(_w, pde, pg, pt, N, H, scale);
        Check(e, de, Loss, "dE", Tol);
    }

    [Fact]
    public void Rope_backward_is_the_transpose()
    {
        int B = 2, T = 5, heads = 3, d = 8;
        var cos = new double[T * d / 2];
        var sin = new double[T * d / 2];
        fixed (double* pc = cos, ps = sin) Rope.BuildTables(pc, ps, T, d, 10_000, 1);
        var x = RandomArray(B * T * heads * d, 10);
        var g = RandomArray(x.Length, 11);
        double Loss()
        {
            var y = (double[])x.Clone();
            fixed (double* py = y, pc = cos, ps = sin) Rope.Forward(_w, py, pc, ps, B * T, T, heads, d);
            return Dot(y, g);
        }
        var dx = (double[])g.Clone();
        fixed (double* pd = dx, pc = cos, ps = sin) Rope.Backward(_w, pd, pc, ps, B * T, T, heads, d);
        Check(x, dx, Loss, "dx", Tol);
    }

    [Fact]
    public void Rope_matches_the_rotate_half_formula()
    {
        int T = 4, d = 6;
        var cos = new double[T * d / 2];
        var sin = new double[T * d / 2];
        fixed (double* pc = cos, ps = sin) Rope.BuildTables(pc, ps, T, d, 10_000, 2);
        var x = RandomArray(T * d, 12);
        var y = (double[])x.Clone();
        fixed (double* py = y, pc = cos, ps = sin) Rope.Forward(_w, py, pc, ps, T, T, 1, d);
        for (int p = 0; p < T; p++)
            for (int i = 0; i < d / 2; i++)
            {
                double theta = p * Math.Pow(10_000, -2.0 * i / d) / 2;
                double a = x[p * d + i], b = x[p * d + i + d / 2];
                Assert.Equal(a * Math.Cos(theta) - b * Math.Sin(theta), y[p * d + i], 12);
                Assert.Equal(b * Math.Cos(theta) + a * Math.Sin(theta), y[p * d + i + d / 2], 12);
            }
    }

    [Theory]
    [InlineData(int.MaxValue, 4, 2, 0)] // global, GQA 2:1
    [InlineData(3, 4, 1, 0)]            // sliding window of 3, multi-query
    [InlineData(2, 2, 2, 11)]           // window 2, plain multi-head, v in rows of 11
    public void Attention_gradients(int window, int heads, int kvHeads, int vStride)
    {
        var s = new Attention.Shape { Batch = 2, SeqLen = 6, Heads = heads, KvHeads = kvHeads, HeadDim = 4, Window = window, Scale = 0.5, VStride = vStride };
        int N = s.Batch * s.SeqLen;
        var q = RandomArray(N * s.QWidth, 13);
        var k = RandomArray(N * s.KvWidth, 14);
        var v = RandomArray(N * s.VRow, 15);
        var g = RandomArray(N * s.QWidth, 16);
        double Loss()
        {
            var o = new double[N * s.QWidth];
            var lse = new double[N * heads];
            fixed (double* po = o, pl = lse, pq = q, pk = k, pv = v) Attention.Forward(_w, po, pl, pq, pk, pv, s);
            return Dot(o, g);
        }
        var o0 = new double[N * s.QWidth];
        var lse0 = new double[N * heads];
        var dq = new double[q.Length];
        var dk = RandomArray(k.Length, 99); // garbage: the backward must overwrite
        var dv = RandomArray(v.Length, 98);
        fixed (double* po = o0, pl = lse0, pq = q, pk = k, pv = v, pg = g, pdq = dq, pdk = dk, pdv = dv)
        {
            Attention.Forward(_w, po, pl, pq, pk, pv, s);
            Attention.Backward(_w, pdq, pdk, pdv, pg, pq, pk, pv, po, pl, s);
        }
        var garbage = RandomArray(v.Length, 98);
        for (int r = 0; r < N; r++)
            for (int c = s.KvWidth; c < s.VRow; c++)
            {
                Assert.Equal(garbage[r * s.VRow + c], dv[r * s.VRow + c]); // gaps between v rows are left alone
                dv[r * s.VRow + c] = 0;
            }
        Check(q, dq, Loss, "dq", Tol);
        Check(k, dk, Loss, "dk", Tol);
        Check(v, dv, Loss, "dv", Tol);
    }

    [Fact]
    public void Attention_respects_causality_and_window()
    {
        // Output row i must not change when keys/values outside [i−W+1, i] change.
        var s = new Attention.Shape { Batch = 1, SeqLen = 8, Heads = 1, KvHeads = 1, HeadDim = 2, Window = 3, Scale = 1 };
        var q = RandomArray(16, 17);
        var k = RandomArray(16, 18);
        var v = RandomArray(16, 19);
        double[] Run()
        {
            var o = new double[16];
            var l = new double[8];
            fixed (double* po = o, pl = l, pq = q, pk = k, pv = v) Attention.Forward(_w, po, pl, pq, pk, pv, s);
            return o;
        }
        var before = Run();
        k[2 * 5] += 1; v[2 * 5 + 1] += 1; // position 5
        var after = Run();
        for (int i = 0; i < 8; i++)
        {
            bool sees5 = i >= 5 && i - 5 < 3;
            Assert.Equal(!sees5, before[2 * i] == after[2 * i] && before[2 * i + 1] == after[2 * i + 1]);
        }
    }

    [Fact]
    public void GeGlu_gradients()
    {
        int rows = 3, I = 13; // rows of g | u
        var gu = RandomArray(rows * 2 * I, 20, 4);
        var g = RandomArray(rows * I, 22);
        double Loss()
        {
            var h = new double[rows * I];
            fixed (double* ph = h, pgu = gu) GeGlu.Forward(_w, ph, pgu, rows, I);
            return Dot(h, g);
        }
        var dgu = RandomArray(gu.Length, 97); // overwritten
        fixed (double* pd = dgu, pg = g, pgu = gu) GeGlu.Backward(_w, pd, pg, pgu, rows, I);
        Check(gu, dgu, Loss, "dgate|dup", Tol);
    }

    [Fact]
    public void GeGlu_uses_the_tanh_gelu()
    {
        var gate = new[] { -3.0, -0.5, 0, 0.7, 2.5 };
        var up = new[] { 1.0, 2, 3, 4, 5 };
        var gu = gate.Concat(up).ToArray();
        var h = new double[5];
        fixed (double* ph = h, pgu = gu) GeGlu.Forward(_w, ph, pgu, 1, 5);
        for (int i = 0; i < 5; i++)
        {
            double z = gate[i];
            double gelu = 0.5 * z * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (z + 0.044715 * z * z * z)));
            Assert.Equal(gelu * up[i], h[i], 14);
        }
    }

    [Fact]
    public void RmsNorm_with_strided_head_rows()
    {
        // QK-norm layout: 4 tokens × (2 heads of 3) read from rows of 10 (q | other), normed into a contiguous [8, 3].
        int tokens = 4, heads = 2, d = 3, stride = 10, R = tokens * heads;
        var x = RandomArray(tokens * stride, 30, 2);
        var w = RandomArray(d, 31, 0.5);
        var g = RandomArray(R * d, 32);
        var inLayout = new RmsNorm.RowLayout(heads, stride);
        var outLayout = RmsNorm.RowLayout.Contiguous(d);
        double Loss()
        {
            var y = new double[R * d];
            var r = new double[R];
            fixed (double* py = y, pr = r, px = x, pw = w) RmsNorm.Forward(_w, py, outLayout, pr, px, inLayout, pw, R, d, 1e-6);
            return Dot(y, g);
        }
        var dx = new double[x.Length];
        var dw = new double[d];
        var y0 = new double[R * d];
        var r0 = new double[R];
        fixed (double* py = y0, pr = r0, px = x, pw = w, pdx = dx, pdw = dw, pg = g)
        {
            RmsNorm.Forward(_w, py, outLayout, pr, px, inLayout, pw, R, d, 1e-6);
            RmsNorm.Backward(_w, pdx, pdw, pg, outLayout, px, inLayout, pr, pw, R, d, false);
        }
        Check(x, dx, Loss, "dx (strided)", Tol);
        Check(w, dw, Loss, "dw", Tol);
        for (int t = 0; t < tokens; t++) for (int j = heads * d; j < stride; j++) Assert.Equal(0, dx[t * stride + j]); // untouched gaps
    }

    [Fact]
    public void Linear_gradients()
    {
        int N = 6, In = 5, Out = 4;
        var x = RandomArray(N * In, 23);
        var w = RandomArray(Out * In, 24);
        var g = RandomArray(N * Out, 25);
        double Loss()
        {
            var y = new double[N * Out];
            fixed (double* py = y, px = x, pw = w) Linear.Forward(_w, py, px, pw, N, In, Out);
            return Dot(y, g);
        }
        var dx = new double[x.Length];
        var dw = new double[w.Length];
        fixed (double* pdx = dx, pdw = dw, pg = g, px = x, pw = w) Linear.Backward(_w, pdx, pdw, pg, px, pw, N, In, Out, false);
        Check(x, dx, Loss, "dx", Tol);
        Check(w, dw, Loss, "dW", Tol);
    }

    [Fact]
    public void TiedHead_cross_entropy_gradients_and_value()
    {
        int N = 7, H = 5, V = 11;
        var x = RandomArray(N * H, 26);
        var e = RandomArray(V * H, 27);
        var targets = new[] { 3, 0, 10, -1, 5, 5, 1 };
        double scale = 1.0 / 6;
        double Loss(out double reference)
        {
            using var packed = new GemmPackedB<double>();
            var logits = new double[3 * V];
            var rows = new double[N];
            double sum;
            fixed (double* px = x, pe = e, pl = logits, pr = rows) fixed (int* pt = targets)
            {
                packed.Pack(_w, H, V, pe, H, true);
                sum = TiedHeadCrossEntropy.ForwardBackward(_w, px, pt, pe, packed, pl, 3, pr, null, null, N, H, V, 0.0, out int count);
                Assert.Equal(6, count);
            }
            // plain log-softmax reference
            reference = 0;
            for (int r = 0; r < N; r++)
            {
                if (targets[r] < 0) continue;
                var z = new double[V];
                for (int v = 0; v < V; v++) for (int j = 0; j < H; j++) z[v] += x[r * H + j] * e[v * H + j];
                double m = z.Max(), lse = m + Math.Log(z.Sum(t => Math.Exp(t - m)));
                reference += lse - z[targets[r]];
            }
            return sum * scale;
        }
        double ref0;
        Assert.Equal(Loss(out ref0) / scale, ref0, 10);

        var dx = new double[x.Length];
        var de = new double[e.Length];
        using (var packed = new GemmPackedB<double>())
        {
            var logits = new double[3 * V];
            var rows = new double[N];
            fixed (double* px = x, pe = e, pl = logits, pr = rows, pdx = dx, pde = de) fixed (int* pt = targets)
            {
                packed.Pack(_w, H, V, pe, H, true);
                TiedHeadCrossEntropy.ForwardBackward(_w, px, pt, pe, packed, pl, 3, pr, pdx, pde, N, H, V, scale, out _);
            }
        }
        Check(x, dx, () => Loss(out _), "dx", Tol);
        Check(e, de, () => Loss(out _), "dE", Tol);
    }
}
