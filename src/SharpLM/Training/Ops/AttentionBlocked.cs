using SharpLM.Kernels.Training;

namespace SharpLM.Training.Ops;

/// <summary>
/// The float fast path of <see cref="Attention"/>: the same math, computed 32 queries at a time with small
/// matrix products (<see cref="SmallMatMul"/>) instead of one dot product per (query, key) pair. Per block of
/// queries [i0, i0+mb) only the keys any of them may see, [max(0, i0−W+1), i0+mb), are touched; scores,
/// probabilities and their gradients live in per-thread scratch of mb × T, never a T×T matrix.
/// </summary>
/// <remarks>
/// Forward (task = one batch row b and head h): Kᵀ is transposed once into scratch; per block S = Q·Kᵀ,
/// masked row softmax gives P and lse, O = P·V.
/// Backward (task = b and one KV head, looping over the query heads that share it, so dK and dV are owned):
/// P = exp(c·S − lse), dP = dO·Vᵀ, dS = P ⊙ (dP − rowsum(dO ⊙ O))·c, dQ = dS·K, dK += dSᵀ·Q, dV += Pᵀ·dO.
/// Used when T is float, head_dim is a multiple of 16 and AVX-512 is present; the generic path in
/// <see cref="Attention"/> is the reference it is tested against.
/// </remarks>
internal static unsafe class AttentionBlocked
{
    const int MB = 32;

    public static bool Applies<T>(in Attention.Shape s) =>
        typeof(T) == typeof(float) && SmallMatMul.Supported && s.HeadDim % 16 == 0;

    static int Padded(int t) => (t + 15) & ~15;

    /// <summary>Per-thread scratch: Kᵀ, Vᵀ [d, Tp]; S, dP [MB, Tp]; Pᵀ, dSᵀ [Tp, MB].</summary>
    static long ScratchPerWorker(in Attention.Shape s) => 2L * s.HeadDim * Padded(s.SeqLen) + 2L * MB * Padded(s.SeqLen) + 2L * Padded(s.SeqLen) * MB;

    public static void Forward(Workers workers, float* o, float* lse, float* q, float* k, float* v, in Attention.Shape s)
    {
        var job = workers.Shared<ForwardJob>();
        job.O = o; job.Lse = lse; job.Q = q; job.K = k; job.V = v; job.S = s;
        job.PerWorker = ScratchPerWorker(s);
        job.Scratch = workers.Shared<Scratch<float>>().Get(workers.Count * job.PerWorker);
        workers.For(job, s.Batch * s.Heads);
    }

    public static void Backward(Workers workers, float* dq, float* dk, float* dv, float* dout, float* q, float* k, float* v, float* o, float* lse, in Attention.Shape s)
    {
        var job = workers.Shared<BackwardJob>();
        job.Dq = dq; job.Dk = dk; job.Dv = dv; job.Do = dout; job.Q = q; job.K = k; job.V = v; job.O = o; job.Lse = lse; job.S = s;
        job.PerWorker = ScratchPerWorker(s);
        job.Scratch = workers.Shared<Scratch<float>>().Get(workers.Count * job.PerWorker);
        workers.For(job, s.Batch * s.KvHeads);
    }

    /// <summary>Keys seen by queries [i0, i0+mb): from lo (rounded down to 16, so rows stay aligned) to hi.</summary>
    static (int Lo, int Hi) KeyRange(in Attention.Shape s, int i0, int mb)
    {
        long lo = s.Window == int.MaxValue ? 0 : Math.Max(0L, (long)i0 - s.Window + 1);
        return ((int)lo & ~15, i0 + mb);
    }

    /// <summary>Valid keys of query i: [first, i].</summary>
    static int FirstKey(in Attention.Shape s, int i) => s.Window == int.MaxValue ? 0 : (int)Math.Max(0L, (long)i - s.Window + 1);

    static void TransposeHead(float* src, int rowStride, int T, int d, float* dst, int tp)
    {
        SmallMatMul.Transpose(T, d, src, rowStride, dst, tp);
        for (int c = 0; c < d; c++)
            for (int j = T; j < tp; j++) dst[(long)c * tp + j] = 0;
    }

    sealed class ForwardJob : ParallelJob
    {
        public float* O, Lse, Q, K, V, Scratch;
        public long PerWorker;
        public Attention.Shape S;

        public override void Run(int index, int worker)
        {
            var s = S;
            int b = index / s.Heads, h = index % s.Heads, kvh = h / s.Group, d = s.HeadDim, T = s.SeqLen, tp = Padded(T);
            float scale = (float)s.Scale;
            float* kt = Scratch + worker * PerWorker, sc = kt + 2L * d * tp;
            long row0 = (long)b * T;
            TransposeHead(K + row0 * s.KvWidth + kvh * d, s.KvWidth, T, d, kt, tp);
            for (int i0 = 0; i0 < T; i0 += MB)
            {
                int mb = Math.Min(MB, T - i0);
                var (lo, hi) = KeyRange(s, i0, mb);
                int n = Padded(hi - lo);
                float* qb = Q + (row0 + i0) * s.QWidth + h * d;
                SmallMatMul.NN(mb, n, d, qb, s.QWidth, kt + lo, tp, sc, tp, accumulate: false);
                for (int r = 0; r < mb; r++)
                {
                    int i = i0 + r, first = FirstKey(s, i);
                    float* row = sc + (long)r * tp;
                    int a = first - lo, len = i - first + 1;
                    Vec.Scale(scale, row + a, row + a, len);
                    float max = Vec.Max(row + a, len);
                    double sum = Vec.ExpShiftSum(row + a, max, len);
                    Vec.Scale((float)(1.0 / sum), row + a, row + a, len);
                    new Span<float>(row, a).Clear();
                    new Span<float>(row + a + len, n - a - len).Clear();
                    Lse[((long)b * s.Heads + h) * T + i] = max + (float)Math.Log(sum);
                }
                SmallMatMul.NN(mb, d, hi - lo, sc, tp, V + (row0 + lo) * s.VRow + kvh * d, s.VRow,
                    O + (row0 + i0) * s.QWidth + h * d, s.QWidth, accumulate: false);
            }
        }
    }

    sealed class BackwardJob : ParallelJob
    {
        public float* Dq, Dk, Dv, Do, Q, K, V, O, Lse, Scratch;
        public long PerWorker;
        public Attention.Shape S;

        public override void Run(int index, int worker)
        {
            var s = S;
            int b = index / s.KvHeads, kvh = index % s.KvHeads, d = s.HeadDim, T = s.SeqLen, tp = Padded(T);
            float scale = (float)s.Scale;
            float* kt = Scratch + worker * PerWorker, vt = kt + (long)d * tp, p = vt + (long)d * tp, dp = p + (long)MB * tp;
            float* pt = dp + (long)MB * tp, dst = pt + (long)tp * MB;
            long row0 = (long)b * T;
            float* kBase = K + row0 * s.KvWidth + kvh * d, vBase = V + row0 * s.VRow + kvh * d;
            TransposeHead(kBase, s.KvWidth, T, d, kt, tp);
            TransposeHead(vBase, s.VRow, T, d, vt, tp);
            for (int j = 0; j < T; j++)
            {
                new Span<float>(Dk + (row0 + j) * s.KvWidth + kvh * d, d).Clear();
                new Span<float>(Dv + (row0 + j) * s.VRow + kvh * d, d).Clear();
            }
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
                        Vec.ExpAffine(pr + a, scale, Lse[((long)b * s.Heads + h) * T + i], len);               // P
                        float di = Vec.Dot(Do + qo + (long)r * s.QWidth, O + qo + (long)r * s.QWidth, d);     // rowsum(dO ⊙ O)
                        Vec.SoftmaxGrad(pr + a, dpr + a, di, scale, len);                                       // dS (scaled)
                        new Span<float>(pr, a).Clear(); new Span<float>(pr + a + len, n - a - len).Clear();
                        new Span<float>(dpr, a).Clear(); new Span<float>(dpr + a + len, n - a - len).Clear();
                    }
                    SmallMatMul.NN(mb, d, keys, dp, tp, kBase + (long)lo * s.KvWidth, s.KvWidth, Dq + qo, s.QWidth, accumulate: false); // dQ = dS·K
                    SmallMatMul.Transpose(mb, keys, dp, tp, dst, MB);
                    SmallMatMul.Transpose(mb, keys, p, tp, pt, MB);
                    SmallMatMul.NN(keys, d, mb, dst, MB, Q + qo, s.QWidth, Dk + (row0 + lo) * s.KvWidth + kvh * d, s.KvWidth, accumulate: true); // dK += dSᵀ·Q
                    SmallMatMul.NN(keys, d, mb, pt, MB, Do + qo, s.QWidth, Dv + (row0 + lo) * s.VRow + kvh * d, s.VRow, accumulate: true);      // dV += Pᵀ·dO
                }
            }
        }
    }
}
