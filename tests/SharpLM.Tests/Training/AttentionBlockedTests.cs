using SharpLM.Kernels.Training;
using SharpLM.Training.Ops;

namespace SharpLM.Tests.Training;

/// <summary>The blocked float attention against the per-row reference (which the finite-difference tests prove).</summary>
public unsafe class AttentionBlockedTests
{
    static float[] Random(int n, int seed, float scale = 1)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 2 - 1) * scale;
        return a;
    }

    [Theory]
    [InlineData(2, 37, 4, 1, 16, int.MaxValue, 0)]   // T not a multiple of 16 or 32, MQA, global
    [InlineData(1, 100, 4, 2, 32, 20, 0)]            // window smaller than a query block
    [InlineData(3, 70, 2, 2, 16, 33, 96)]            // v inside wider rows
    [InlineData(1, 130, 8, 2, 64, 64, 0)]            // tiny-preset-like head
    [InlineData(2, 77, 8, 2, 64, 33, 768)]           // small-preset-like GQA group of 4, window edge mid-block, v in q|k|v rows
    [InlineData(1, 45, 4, 1, 32, int.MaxValue, 0)]   // one (b, KV head) pair: forward tasks per query head
    [InlineData(2, 71, 8, 2, 64, 33, 768)]           // T = 2·window + 5 (a real window, blocks that start past it)
    [InlineData(1, 96, 4, 2, 16, int.MaxValue, 0)]   // T a multiple of the query block
    public void Matches_the_reference(int B, int T, int heads, int kvHeads, int d, int window, int vStride)
    {
        if (!SmallMatMul.Supported) return; // the blocked path needs AVX-512 or AVX2 + FMA and is not used without either
        MatchesTheReference(B, T, heads, kvHeads, d, window, vStride);
    }

    static void MatchesTheReference(int B, int T, int heads, int kvHeads, int d, int window, int vStride)
    {
        var s = new Attention.Shape { Batch = B, SeqLen = T, Heads = heads, KvHeads = kvHeads, HeadDim = d, Window = window, Scale = 1 / Math.Sqrt(d), VStride = vStride };
        int N = B * T;
        var q = Random(N * s.QWidth, 1, 2);
        var k = Random(N * s.KvWidth, 2, 2);
        var v = Random(N * s.VRow, 3);
        var dout = Random(N * s.QWidth, 4);
        using var w = new Workers(2);
        (float[] O, float[] Lse, float[] Dq, float[] Dk, float[] Dv) Run(bool reference, bool saveP = false)
        {
            long nP = saveP ? AttentionBlocked.ProbabilityFloats(s) : 0;
            var probs = new float[Math.Max(nP, 1)];
            Array.Fill(probs, float.NaN);   // every element the backward reads must have been written by the forward
            var o = new float[N * s.QWidth];
            var lse = new float[N * heads];
            var dq = new float[q.Length];
            var dk = new float[k.Length];
            var dv = new float[v.Length];
            Attention.ForceReference = reference;
            try
            {
                fixed (float* po = o, pl = lse, pq = q, pk = k, pv = v, pd = dout, pdq = dq, pdk = dk, pdv = dv, pp = probs)
                {
                    float* p = saveP ? pp : null;
                    Attention.Forward(w, po, pl, pq, pk, pv, s, p);
                    Attention.Backward(w, pdq, pdk, pdv, pd, pq, pk, pv, po, pl, s, p);
                }
            }
            finally { Attention.ForceReference = false; }
            return (o, lse, dq, dk, dv);
        }
        var fast = Run(false);
        var slow = Run(true);
        // Saved P: the same bits as recomputing it (the same vector expressions on the same scores).
        var saved = Run(false, saveP: true);
        Assert.Equal(fast.O, saved.O);
        Assert.Equal(fast.Lse, saved.Lse);
        Assert.Equal(fast.Dq, saved.Dq);
        Assert.Equal(fast.Dk, saved.Dk);
        Assert.Equal(fast.Dv, saved.Dv);
        void Close(float[] a, float[] b, string what)
        {
            double num = 0, den = 0;
            for (int i = 0; i < a.Length; i++) { num += (a[i] - b[i]) * (double)(a[i] - b[i]); den += (double)b[i] * b[i]; }
            Assert.True(Math.Sqrt(num / den) < 2e-6, $"{what}: relative difference {Math.Sqrt(num / den):E2}");
        }
        Close(fast.O, slow.O, "O");
        Close(fast.Lse, slow.Lse, "lse");
        Close(fast.Dq, slow.Dq, "dq");
        Close(fast.Dk, slow.Dk, "dk");
        Close(fast.Dv, slow.Dv, "dv");
    }

    [Fact]
    public void SmallMatMul_matches_its_reference()
    {
        if (!SmallMatMul.Supported) return;
        // m covers the 12-, 8-, 4- and 1-row blocks and their remainders; n the 32- and 16-wide columns
        foreach (var (m, n, k) in new[] { (1, 16, 1), (5, 48, 7), (9, 32, 64), (33, 80, 31), (8, 16, 3), (15, 112, 5), (12, 64, 33), (32, 272, 64), (25, 32, 2) })
        {
            var a = Random(m * (k + 3), 5);
            var b = Random(k * (n + 16), 6);
            var c1 = Random(m * (n + 5), 7);
            var c2 = (float[])c1.Clone();
            var c3 = (float[])c1.Clone();
            fixed (float* pa = a, pb = b, p1 = c1, p2 = c2, p3 = c3)
            {
                SmallMatMul.NN(m, n, k, pa, k + 3, pb, n + 16, p1, n + 5, accumulate: true);
                SmallMatMul.Reference(m, n, k, pa, k + 3, pb, n + 16, p2, n + 5, accumulate: true);
                SmallMatMul.Rows12 = false;   // the 8-row blocking: the same FMA chain per element, so the same bits
                try { SmallMatMul.NN(m, n, k, pa, k + 3, pb, n + 16, p3, n + 5, accumulate: true); }
                finally { SmallMatMul.Rows12 = true; }
            }
            for (int i = 0; i < c1.Length; i++) Assert.Equal(c2[i], c1[i], 1e-4f);
            Assert.Equal(c3, c1);
        }
    }

    [Fact]
    public void SmallMatMul_TN_matches_its_reference()
    {
        if (!SmallMatMul.Supported) return;
        foreach (var (m, n, k) in new[] { (1, 16, 1), (5, 48, 7), (9, 32, 64), (33, 80, 31), (8, 16, 3), (15, 112, 5), (144, 64, 32), (12, 32, 2), (23, 64, 9), (32, 272, 64), (257, 96, 33) })
        {
            int lda = m + 3;
            var a = Random(k * lda, 8);
            var b = Random(k * (n + 16), 9);
            foreach (bool accumulate in new[] { false, true })
            {
                var c1 = Random(m * (n + 5), 10);
                var c2 = (float[])c1.Clone();
                fixed (float* pa = a, pb = b, p1 = c1, p2 = c2)
                {
                    SmallMatMul.TN(m, n, k, pa, lda, pb, n + 16, p1, n + 5, accumulate);
                    SmallMatMul.ReferenceTN(m, n, k, pa, lda, pb, n + 16, p2, n + 5, accumulate);
                }
                for (int i = 0; i < c1.Length; i++) Assert.Equal(c2[i], c1[i], 1e-4f);
            }
        }
    }
}
