using SharpLM.Kernels.Training;

namespace SharpLM.Training.Ops;

/// <summary>
/// Session 7's blocked attention jobs, kept verbatim behind SHARPLM_ATTENTION_LEGACY=1 (<see cref="Legacy"/>)
/// so the new path can be A/B-tested on a quiet machine in one build: scores as NN products from Q's and dO's rows,
/// the query block's Q and dO packed per block, rowsum(dO ⊙ O) per row inside the block loop, and
/// <see cref="SmallMatMul.TN"/>'s 8-pointer blocks. Delete this file once the A/B is settled.
/// </summary>
internal static unsafe partial class AttentionBlocked
{
    /// <summary>SHARPLM_ATTENTION_LEGACY=1 selects these jobs for the whole process.</summary>
    static readonly bool LegacyFromEnvironment = Environment.GetEnvironmentVariable("SHARPLM_ATTENTION_LEGACY") == "1";

    /// <summary>Tests and the bench's A/B select the legacy jobs for calls made from this thread.</summary>
    [ThreadStatic] internal static bool ForceLegacy;

    internal static bool Legacy => LegacyFromEnvironment || ForceLegacy;

    /// <summary>Forward scratch per thread: Kᵀ [d, tp]; V as panels [T·d]; S [MB, tp].</summary>
    static long LegacyForwardScratch(in Attention.Shape s) => (long)s.HeadDim * Stride(s.SeqLen) + (long)s.SeqLen * s.HeadDim + (long)MB * Stride(s.SeqLen);

    /// <summary>Backward scratch per thread: Kᵀ, Vᵀ [d, tp]; K as panels [T·d]; P, dS [MB, tp]; the query block's Q and dO as panels [MB·d]; dK, dV sums [T, d].</summary>
    static long LegacyBackwardScratch(in Attention.Shape s) =>
        2L * s.HeadDim * Stride(s.SeqLen) + (long)s.SeqLen * s.HeadDim + 2L * MB * Stride(s.SeqLen) + 2L * MB * s.HeadDim + 2L * s.SeqLen * s.HeadDim;

    sealed class LegacyForwardJob : ForwardJobBase
    {

        /// <summary>Task = batch row b and <see cref="HeadsPerTask"/> query heads of one KV head: Kᵀ and V's panels are prepared once for them.</summary>
        public override void Run(int index, int worker)
        {
            var s = S;
            int tasksPerRow = s.Heads / HeadsPerTask, b = index / tasksPerRow, h0 = index % tasksPerRow * HeadsPerTask, kvh = h0 / s.Group;
            int d = s.HeadDim, T = s.SeqLen, tp = Stride(T);
            float scale = (float)s.Scale;
            float* kt = Scratch + worker * PerWorker, vp = kt + (long)d * tp, sc = vp + (long)T * d;
            float* inv = stackalloc float[MB];
            long row0 = (long)b * T;
            TransposeHead(K + row0 * s.KvWidth + kvh * d, s.KvWidth, T, d, kt, tp);
            SmallMatMul.PackPanels(T, d, V + row0 * s.VRow + kvh * d, s.VRow, vp);
            for (int h = h0; h < h0 + HeadsPerTask; h++)
                for (int i0 = 0; i0 < T; i0 += MB)
                {
                    int mb = Math.Min(MB, T - i0);
                    var (lo, hi) = KeyRange(s, i0, mb);
                    int n = Padded(hi - lo), keys = hi - lo;
                    float* qb = Q + (row0 + i0) * s.QWidth + h * d;
                    SmallMatMul.NN(mb, n, d, qb, s.QWidth, kt + lo, tp, sc, tp, accumulate: false);
                    for (int r = 0; r < mb; r++)
                    {
                        int i = i0 + r, first = FirstKey(s, i);
                        float* row = sc + (long)r * tp;
                        int a = first - lo, len = i - first + 1;
                        float shift = scale * Vec.MaxF(row + a, len);          // c > 0, so max(c·s) = c·max(s)
                        double sum = Vec.ExpAffineMasked(row, a, a + len, n, scale, shift);
                        inv[r] = (float)(1.0 / sum);
                        Lse[((long)b * s.Heads + h) * T + i] = shift + (float)Math.Log(sum);
                    }
                    float* ob = O + (row0 + i0) * s.QWidth + h * d;
                    TimesPanels(mb, keys, sc, tp, vp, T, lo, d, ob, s.QWidth, accumulate: false);   // O = E·V
                    for (int r = 0; r < mb; r++) Vec.Scale(inv[r], ob + (long)r * s.QWidth, ob + (long)r * s.QWidth, d);
                }
        }
    }

    sealed class LegacyBackwardJob : BackwardJobBase
    {

        public override void Run(int index, int worker)
        {
            var s = S;
            int b = index / s.KvHeads, kvh = index % s.KvHeads, d = s.HeadDim, T = s.SeqLen, tp = Stride(T);
            float scale = (float)s.Scale;
            float* kt = Scratch + worker * PerWorker, vt = kt + (long)d * tp, kp = vt + (long)d * tp, p = kp + (long)T * d, dp = p + (long)MB * tp;
            float* qp = dp + (long)MB * tp, dop = qp + (long)MB * d, dkSum = dop + (long)MB * d, dvSum = dkSum + (long)T * d;
            long row0 = (long)b * T;
            float* kBase = K + row0 * s.KvWidth + kvh * d, vBase = V + row0 * s.VRow + kvh * d;
            TransposeHead(kBase, s.KvWidth, T, d, kt, tp);
            TransposeHead(vBase, s.VRow, T, d, vt, tp);
            SmallMatMul.PackPanels(T, d, kBase, s.KvWidth, kp);
            new Span<float>(dkSum, 2 * T * d).Clear();
            for (int h = kvh * s.Group; h < (kvh + 1) * s.Group; h++)
            {
                for (int i0 = 0; i0 < T; i0 += MB)
                {
                    int mb = Math.Min(MB, T - i0);
                    var (lo, hi) = KeyRange(s, i0, mb);
                    int n = Padded(hi - lo), keys = hi - lo;
                    long qo = (row0 + i0) * s.QWidth + h * d;
                    SmallMatMul.NN(mb, n, d, Q + qo, s.QWidth, kt + lo, tp, p, tp, accumulate: false);        // S
                    SmallMatMul.NN(mb, n, d, Do + qo, s.QWidth, vt + lo, tp, dp, tp, accumulate: false);      // dP = dO·Vᵀ
                    for (int r = 0; r < mb; r++)
                    {
                        int i = i0 + r, first = FirstKey(s, i), a = first - lo, len = i - first + 1;
                        float* pr = p + (long)r * tp, dpr = dp + (long)r * tp;
                        float di = Vec.Dot(Do + qo + (long)r * s.QWidth, O + qo + (long)r * s.QWidth, d);     // rowsum(dO ⊙ O)
                        Vec.SoftmaxBackwardRow(pr, dpr, a, a + len, n, scale, Lse[((long)b * s.Heads + h) * T + i], di); // P and dS (scaled), 0 at masked keys
                    }
                    TimesPanels(mb, keys, dp, tp, kp, T, lo, d, Dq + qo, s.QWidth, accumulate: false);        // dQ = dS·K
                    SmallMatMul.PackPanels(mb, d, Q + qo, s.QWidth, qp);
                    SmallMatMul.PackPanels(mb, d, Do + qo, s.QWidth, dop);
                    TransposedTimesPanels(keys, mb, dp, tp, qp, mb, 0, d, dkSum + (long)lo * d, d, accumulate: true);  // dK += dSᵀ·Q
                    TransposedTimesPanels(keys, mb, p, tp, dop, mb, 0, d, dvSum + (long)lo * d, d, accumulate: true);  // dV += Pᵀ·dO
                }
            }
            for (int j = 0; j < T; j++)
            {
                Buffer.MemoryCopy(dkSum + (long)j * d, Dk + (row0 + j) * s.KvWidth + kvh * d, d * 4L, d * 4L);
                Buffer.MemoryCopy(dvSum + (long)j * d, Dv + (row0 + j) * s.VRow + kvh * d, d * 4L, d * 4L);
            }
        }
    }
}
