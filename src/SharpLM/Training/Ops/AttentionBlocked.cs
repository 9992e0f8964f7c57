using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using SharpLM.Kernels.Training;

namespace SharpLM.Training.Ops;

/// <summary>
/// The float fast path of <see cref="Attention"/>: the same math, computed 32 queries at a time with small
/// matrix products (<see cref="SmallMatMul"/>) instead of one dot product per (query, key) pair. Per block of
/// queries [i0, i0+mb) only the keys any of them may see, [max(0, i0−W+1), i0+mb), are touched; scores,
/// probabilities and their gradients live in per-thread scratch of mb × T, never a T×T matrix.
/// </summary>
/// <remarks>
/// Per query head, a task first copies what it reads from the activations into per-thread scratch: the head's Qᵀ
/// (and dOᵀ), so that the score products S = Q·Kᵀ and dP = dO·Vᵀ run as <see cref="SmallMatMul.TN"/> products whose A
/// operand is 12 consecutive floats per step (one pointer, no per-row pointers for the JIT to spill); B operands whose
/// rows lie far apart (V inside the fused q|k|v rows, K, the head's Q and dO) as contiguous 32-wide column panels;
/// rowsum(dO ⊙ O) for all the head's rows. A head's slice is 256 bytes every nH·d floats, beyond the hardware
/// prefetchers, so the row passes of one head prefetch the next head's rows into L2. dK, dV are summed in contiguous
/// scratch, then copied out.
/// Forward (task = one batch row b and KV head, looping over the query heads that share it; per query head when
/// there are fewer (b, KV head) pairs than two per worker): Kᵀ is transposed once into scratch; per block S = Q·Kᵀ
/// (unscaled), then per row m = max S, E = exp(c·S − c·m) with its sum ℓ in the same pass, O = E·V and each O
/// row divided by ℓ afterwards (d values per row instead of a pass over the row's keys); lse = c·m + log ℓ.
/// Backward (task = b and one KV head, looping over the query heads that share it, so dK and dV are owned):
/// P = exp(c·S − lse), dP = dO·Vᵀ, dS = P ⊙ (dP − rowsum(dO ⊙ O))·c, dQ = dS·K, dK += dSᵀ·Q, dV += Pᵀ·dO; the
/// last two read dS and P in place as Aᵀ (<see cref="SmallMatMul.TN"/>), no transposed copies.
/// Used when T is float, head_dim is a multiple of 16 and AVX-512 is present; the generic path in
/// <see cref="Attention"/> is the reference it is tested against. SHARPLM_ATTENTION_LEGACY=1 runs session 7's jobs
/// (AttentionBlocked.Legacy.cs) instead, for a quiet A/B in one build.
/// </remarks>
internal static unsafe partial class AttentionBlocked
{
    const int MB = 32;

    public static bool Applies<T>(in Attention.Shape s) =>
        typeof(T) == typeof(float) && SmallMatMul.Supported && s.HeadDim % 16 == 0 && s.Scale > 0;

    static int Padded(int t) => (t + 15) & ~15;

    /// <summary>
    /// Row stride of the transposed K/V/Q/dO and score scratch: padded to 16 and then one more 64-byte line, so that
    /// a power-of-two T (1 KiB rows at T = 256) does not map a 32-column panel's rows onto a few L1 sets.
    /// </summary>
    static int Stride(int t) => Padded(t) + 16;

    public static void Forward(Workers workers, float* o, float* lse, float* q, float* k, float* v, in Attention.Shape s)
    {
        bool legacy = Legacy;
        ForwardJobBase job = legacy ? workers.Shared<LegacyForwardJob>() : workers.Shared<ForwardJob>();
        job.O = o; job.Lse = lse; job.Q = q; job.K = k; job.V = v; job.S = s;
        // A task per (b, KV head) shares its Kᵀ and V panels across the group's query heads; with too few such
        // tasks to keep every worker busy (batch 1, one KV head), a task per (b, query head) instead.
        job.HeadsPerTask = s.Batch * s.KvHeads >= 2 * workers.Count ? s.Group : 1;
        job.PerWorker = legacy ? LegacyForwardScratch(s) : ForwardScratch(s);
        job.Scratch = workers.Shared<Scratch<float>>().Get(workers.Count * job.PerWorker);
        workers.For(job, s.Batch * s.Heads / job.HeadsPerTask);
    }

    public static void Backward(Workers workers, float* dq, float* dk, float* dv, float* dout, float* q, float* k, float* v, float* o, float* lse, in Attention.Shape s)
    {
        bool legacy = Legacy;
        BackwardJobBase job = legacy ? workers.Shared<LegacyBackwardJob>() : workers.Shared<BackwardJob>();
        job.Dq = dq; job.Dk = dk; job.Dv = dv; job.Do = dout; job.Q = q; job.K = k; job.V = v; job.O = o; job.Lse = lse; job.S = s;
        job.PerWorker = legacy ? LegacyBackwardScratch(s) : BackwardScratch(s);
        job.Scratch = workers.Shared<Scratch<float>>().Get(workers.Count * job.PerWorker);
        workers.For(job, s.Batch * s.KvHeads);
    }

    /// <summary>Forward scratch per thread: Kᵀ, the current head's Qᵀ [d, tp]; V as panels [T·d]; S [MB, tp].</summary>
    static long ForwardScratch(in Attention.Shape s) => 2L * s.HeadDim * Stride(s.SeqLen) + (long)s.SeqLen * s.HeadDim + (long)MB * Stride(s.SeqLen);

    /// <summary>
    /// Backward scratch per thread: Kᵀ, Vᵀ, the current head's Qᵀ and dOᵀ [d, tp]; K, the head's Q and dO as panels
    /// [T·d]; P, dS [MB, tp]; dK, dV sums [T, d]; the head's rowsum(dO ⊙ O) [T].
    /// </summary>
    static long BackwardScratch(in Attention.Shape s)
    {
        long d = s.HeadDim, tp = Stride(s.SeqLen), T = s.SeqLen;
        return 4 * d * tp + 3 * T * d + 2L * MB * tp + 2 * T * d + T;
    }

    /// <summary>
    /// Asks for one head row's lines (d floats) into L2. The head slices of Q, dO and O are d floats every
    /// nH·d: too far apart for the hardware prefetchers, so each line would otherwise wait on DRAM when the next
    /// head's transpose reads it. Issued a row at a time inside the current head's row passes, which barely
    /// touch memory, so the misses overlap computation.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void PrefetchRow(float* row, int d)
    {
        for (int c = 0; c < d; c += 16) Sse.Prefetch1(row + c);
    }

    /// <summary>C[m, d] (+)= A[m, k]·B[k, d] with B given as panels of <paramref name="rows"/> rows (<see cref="SmallMatMul.PackPanels"/>), starting at row <paramref name="row0"/>.</summary>
    static void TimesPanels(int m, int k, float* a, int lda, float* panels, int rows, int row0, int d, float* c, int ldc, bool accumulate)
    {
        for (int p = 0; 32 * p < d; p++)
        {
            int w = SmallMatMul.PanelWidth(d, p);
            SmallMatMul.NN(m, w, k, a, lda, panels + 32L * p * rows + (long)row0 * w, w, c + 32 * p, ldc, accumulate);
        }
    }

    /// <summary>C[m, d] (+)= Aᵀ·B with A stored [k, m] and B the k rows from <paramref name="row0"/> of panels of <paramref name="rows"/> rows.</summary>
    static void TransposedTimesPanels(int m, int k, float* a, int lda, float* panels, int rows, int row0, int d, float* c, int ldc, bool accumulate)
    {
        for (int p = 0; 32 * p < d; p++)
        {
            int w = SmallMatMul.PanelWidth(d, p);
            SmallMatMul.TN(m, w, k, a, lda, panels + 32L * p * rows + (long)row0 * w, w, c + 32 * p, ldc, accumulate);
        }
    }

    /// <summary>Keys seen by queries [i0, i0+mb): from lo (rounded down to 16, so rows stay aligned) to hi.</summary>
    static (int Lo, int Hi) KeyRange(in Attention.Shape s, int i0, int mb)
    {
        long lo = s.Window == int.MaxValue ? 0 : Math.Max(0L, (long)i0 - s.Window + 1);
        return ((int)lo & ~15, i0 + mb);
    }

    /// <summary>Valid keys of query i: [first, i].</summary>
    static int FirstKey(in Attention.Shape s, int i) => s.Window == int.MaxValue ? 0 : (int)Math.Max(0L, (long)i - s.Window + 1);

    /// <summary>dst[c, j] = src[j, c] for T rows of <paramref name="cols"/> values (one or several heads side by side), columns T..tp zeroed.</summary>
    static void TransposeHead(float* src, int rowStride, int T, int cols, float* dst, int tp)
    {
        SmallMatMul.Transpose(T, cols, src, rowStride, dst, tp);
        for (int c = 0; c < cols; c++)
            new Span<float>(dst + (long)c * tp + T, tp - T).Clear();
    }

    abstract class ForwardJobBase : ParallelJob
    {
        public float* O, Lse, Q, K, V, Scratch;
        public long PerWorker;
        public Attention.Shape S;
        public int HeadsPerTask;
    }

    abstract class BackwardJobBase : ParallelJob
    {
        public float* Dq, Dk, Dv, Do, Q, K, V, O, Lse, Scratch;
        public long PerWorker;
        public Attention.Shape S;
    }

    sealed class ForwardJob : ForwardJobBase
    {
        /// <summary>Task = batch row b and <see cref="ForwardJobBase.HeadsPerTask"/> query heads of one KV head: Kᵀ and V's panels are prepared once for them.</summary>
        public override void Run(int index, int worker)
        {
            var s = S;
            int G = HeadsPerTask, tasksPerRow = s.Heads / G, b = index / tasksPerRow, h0 = index % tasksPerRow * G, kvh = h0 / s.Group;
            int d = s.HeadDim, T = s.SeqLen, tp = Stride(T);
            float scale = (float)s.Scale;
            float* kt = Scratch + worker * PerWorker, qt = kt + (long)d * tp, vp = qt + (long)d * tp, sc = vp + (long)T * d;
            float* inv = stackalloc float[MB];
            long row0 = (long)b * T;
            TransposeHead(K + row0 * s.KvWidth + kvh * d, s.KvWidth, T, d, kt, tp);
            SmallMatMul.PackPanels(T, d, V + row0 * s.VRow + kvh * d, s.VRow, vp);
            for (int h = h0; h < h0 + G; h++)
            {
                float* qh = Q + row0 * s.QWidth + h * d;
                TransposeHead(qh, s.QWidth, T, d, qt, tp);
                bool prefetch = h + 1 < h0 + G;
                for (int i0 = 0; i0 < T; i0 += MB)
                {
                    int mb = Math.Min(MB, T - i0);
                    var (lo, hi) = KeyRange(s, i0, mb);
                    int n = Padded(hi - lo), keys = hi - lo;
                    SmallMatMul.TN(mb, n, d, qt + i0, tp, kt + lo, tp, sc, tp, accumulate: false);          // S = Q·Kᵀ
                    for (int r = 0; r < mb; r++)
                    {
                        int i = i0 + r, first = FirstKey(s, i);
                        float* row = sc + (long)r * tp;
                        int a = first - lo, len = i - first + 1;
                        float shift = scale * Vec.MaxF(row + a, len);          // c > 0, so max(c·s) = c·max(s)
                        double sum = Vec.ExpAffineMasked(row, a, a + len, n, scale, shift);
                        inv[r] = (float)(1.0 / sum);
                        Lse[((long)b * s.Heads + h) * T + i] = shift + (float)Math.Log(sum);
                        if (prefetch) PrefetchRow(qh + (long)i * s.QWidth + d, d);                          // the next head's Q row
                    }
                    float* ob = O + (row0 + i0) * s.QWidth + h * d;
                    TimesPanels(mb, keys, sc, tp, vp, T, lo, d, ob, s.QWidth, accumulate: false);   // O = E·V
                    for (int r = 0; r < mb; r++) Vec.Scale(inv[r], ob + (long)r * s.QWidth, ob + (long)r * s.QWidth, d);
                }
            }
        }
    }

    sealed class BackwardJob : BackwardJobBase
    {
        public override void Run(int index, int worker)
        {
            var s = S;
            int b = index / s.KvHeads, kvh = index % s.KvHeads, d = s.HeadDim, T = s.SeqLen, tp = Stride(T), h0 = kvh * s.Group, h1 = h0 + s.Group;
            float scale = (float)s.Scale;
            float* kt = Scratch + worker * PerWorker, vt = kt + (long)d * tp, qt = vt + (long)d * tp, dot = qt + (long)d * tp;
            float* kp = dot + (long)d * tp, qp = kp + (long)T * d, dop = qp + (long)T * d;
            float* p = dop + (long)T * d, dp = p + (long)MB * tp, dkSum = dp + (long)MB * tp, dvSum = dkSum + (long)T * d, rowDot = dvSum + (long)T * d;
            long row0 = (long)b * T;
            float* kBase = K + row0 * s.KvWidth + kvh * d, vBase = V + row0 * s.VRow + kvh * d;
            TransposeHead(kBase, s.KvWidth, T, d, kt, tp);
            TransposeHead(vBase, s.VRow, T, d, vt, tp);
            SmallMatMul.PackPanels(T, d, kBase, s.KvWidth, kp);
            new Span<float>(dkSum, 2 * T * d).Clear();
            for (int h = h0; h < h1; h++)
            {
                long hq = row0 * s.QWidth + h * d;
                // The head's Q and dO transposed (A of the score products) and as panels (B of dK, dV); then rowsum(dO ⊙ O).
                TransposeHead(Q + hq, s.QWidth, T, d, qt, tp);
                TransposeHead(Do + hq, s.QWidth, T, d, dot, tp);
                SmallMatMul.PackPanels(T, d, Q + hq, s.QWidth, qp);
                SmallMatMul.PackPanels(T, d, Do + hq, s.QWidth, dop);
                for (int i = 0; i < T; i++) rowDot[i] = Vec.Dot(Do + hq + (long)i * s.QWidth, O + hq + (long)i * s.QWidth, d);
                bool prefetch = h + 1 < h1;
                for (int i0 = 0; i0 < T; i0 += MB)
                {
                    int mb = Math.Min(MB, T - i0);
                    var (lo, hi) = KeyRange(s, i0, mb);
                    int n = Padded(hi - lo), keys = hi - lo;
                    long qo = (row0 + i0) * s.QWidth + h * d;
                    SmallMatMul.TN(mb, n, d, qt + i0, tp, kt + lo, tp, p, tp, accumulate: false);            // S
                    SmallMatMul.TN(mb, n, d, dot + i0, tp, vt + lo, tp, dp, tp, accumulate: false);          // dP = dO·Vᵀ
                    for (int r = 0; r < mb; r++)
                    {
                        int i = i0 + r, first = FirstKey(s, i), a = first - lo, len = i - first + 1;
                        Vec.SoftmaxBackwardRow(p + (long)r * tp, dp + (long)r * tp, a, a + len, n, scale,
                            Lse[((long)b * s.Heads + h) * T + i], rowDot[i]);                                  // P and dS (scaled), 0 at masked keys
                        if (prefetch)
                        {
                            long next = hq + (long)i * s.QWidth + d;                                           // the next head's row i
                            PrefetchRow(Q + next, d); PrefetchRow(Do + next, d); PrefetchRow(O + next, d);
                        }
                    }
                    TimesPanels(mb, keys, dp, tp, kp, T, lo, d, Dq + qo, s.QWidth, accumulate: false);        // dQ = dS·K
                    TransposedTimesPanels(keys, mb, dp, tp, qp, T, i0, d, dkSum + (long)lo * d, d, accumulate: true);  // dK += dSᵀ·Q
                    TransposedTimesPanels(keys, mb, p, tp, dop, T, i0, d, dvSum + (long)lo * d, d, accumulate: true);  // dV += Pᵀ·dO
                }
            }
            SmallMatMul.CopyRows(T, d, dkSum, d, Dk + row0 * s.KvWidth + kvh * d, s.KvWidth);
            SmallMatMul.CopyRows(T, d, dvSum, d, Dv + row0 * s.VRow + kvh * d, s.VRow);
        }
    }
}
