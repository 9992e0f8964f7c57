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
/// B operands whose rows lie far apart (V inside the fused q|k|v rows, K, the query block's Q and dO) are first
/// copied into contiguous 32-wide column panels, and dK, dV are summed in contiguous scratch, then copied out.
/// Forward (task = one batch row b and KV head, looping over the query heads that share it; per query head when
/// there are fewer (b, KV head) pairs than two per worker): Kᵀ is transposed once into scratch; per block S = Q·Kᵀ
/// (unscaled), then per row m = max S, E = exp(c·S − c·m) with its sum ℓ in the same pass, O = E·V and each O
/// row divided by ℓ afterwards (d values per row instead of a pass over the row's keys); lse = c·m + log ℓ.
/// Backward (task = b and one KV head, looping over the query heads that share it, so dK and dV are owned):
/// P = exp(c·S − lse), dP = dO·Vᵀ, dS = P ⊙ (dP − rowsum(dO ⊙ O))·c, dQ = dS·K, dK += dSᵀ·Q, dV += Pᵀ·dO; the
/// last two read dS and P in place as Aᵀ (<see cref="SmallMatMul.TN"/>), no transposed copies.
/// With a probabilities buffer (<see cref="SaveProbabilities"/>, off by default) the forward also writes P = exp(c·S − lse)
/// per block, with the same expression the backward would use, and the backward reads it instead of recomputing S and P.
/// Used when T is float, head_dim is a multiple of 16 and AVX-512 or AVX2 + FMA is present (<see cref="SmallMatMul.Supported"/>:
/// the products and the row passes each have a 512-bit and a 256-bit path); the generic path in
/// <see cref="Attention"/> is the reference it is tested against.
/// </remarks>
internal static unsafe class AttentionBlocked
{
    const int MB = 32;

    public static bool Applies<T>(in Attention.Shape s) =>
        typeof(T) == typeof(float) && SmallMatMul.Supported && s.HeadDim % 16 == 0 && s.Scale > 0;

    static int Padded(int t) => (t + 15) & ~15;

    /// <summary>
    /// Software prefetch of the rows the next query block reads (Q, dO, O) and writes (O, dQ), and of K/V rows ahead
    /// of their transpose. Those rows are one head's 256 bytes inside [B·T, heads·d] rows 2–3 KiB apart, which the
    /// hardware prefetchers do not follow, so without it each block starts with ~128 DRAM-latency misses per tensor.
    /// Results are the same bits either way; SHARPLM_ATTN_PREFETCH=0 turns it off (quiet-machine A/B).
    /// </summary>
    internal static bool Prefetch { get; set; } = Environment.GetEnvironmentVariable("SHARPLM_ATTN_PREFETCH") != "0";

    /// <summary>Rows of the next block are prefetched this many rows of the current block apart (spreads the misses over the row loop).</summary>
    const int PrefetchAheadRows = 16;

    /// <summary>Brings the lines holding row[0..d) toward L1 (one prefetch per 64-byte line).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void PrefetchRow(float* row, int d)
    {
        byte* p = (byte*)((nuint)row & ~(nuint)63), end = (byte*)(row + d);
        for (; p < end; p += 64) Sse.Prefetch0(p);
    }

    /// <summary>
    /// The query block a task processes after block <paramref name="i0"/> of head <paramref name="h"/>: the following block
    /// of that head, else block 0 of the next head before <paramref name="headEnd"/>. Returns its rows to prefetch (0 with
    /// <see cref="Prefetch"/> off or at the task's end) and the offset of its first row in [B·T, heads·d] tensors.
    /// </summary>
    static (int Rows, long Offset) NextBlock(in Attention.Shape s, long row0, int i0, int h, int headEnd)
    {
        int T = s.SeqLen, d = s.HeadDim;
        if (i0 + MB < T) return (Prefetch ? Math.Min(MB, T - i0 - MB) : 0, (row0 + i0 + MB) * s.QWidth + (long)h * d);
        return (Prefetch && h + 1 < headEnd ? Math.Min(MB, T) : 0, row0 * s.QWidth + (long)(h + 1) * d);
    }

    /// <summary>
    /// Row stride of the transposed K/V and score scratch: padded to 16 and then one more 64-byte line, so that
    /// a power-of-two T (1 KiB rows at T = 256) does not map a 32-column panel's rows onto a few L1 sets.
    /// </summary>
    static int Stride(int t) => Padded(t) + 16;

    /// <summary>
    /// Whether the model saves P = exp(c·S − lse) in the forward for the backward (which then skips S = Q·Kᵀ and its exp;
    /// same bits). Off by default: measured on one core, the forward's second exp pass and P's round trip through DRAM
    /// (~9.4 MB a layer for small) cost what the backward saves (BENCHMARKS.md, Training). SHARPLM_ATTN_SAVE_P=1 turns it
    /// on for a quiet-machine A/B with both workers; it adds ~113 MB of arena for small.
    /// </summary>
    internal static bool SaveProbabilities { get; set; } = Environment.GetEnvironmentVariable("SHARPLM_ATTN_SAVE_P") == "1";

    /// <summary>P is saved only while it is at most this many times the attention output (N × heads·d): T ≲ 8·d for causal layers.</summary>
    const int SavedProbabilityRatio = 4;

    /// <summary>Floats the model's arena holds for saved P at <paramref name="s"/>: <see cref="ProbabilityFloats"/> when <see cref="SaveProbabilities"/> is on and P is small enough, else 0 (the backward recomputes P).</summary>
    public static long SavedProbabilityFloats(in Attention.Shape s)
    {
        if (!SaveProbabilities) return 0;
        long total = ProbabilityFloats(s);
        return total <= SavedProbabilityRatio * (long)s.Batch * s.SeqLen * s.QWidth ? total : 0;
    }

    /// <summary>
    /// Floats of P for <paramref name="s"/>: per (b, query head), query block after query block, an [mb, n] block whose
    /// n = the block's padded key count (<see cref="KeyRange"/>), zeros at masked keys.
    /// </summary>
    public static long ProbabilityFloats(in Attention.Shape s) => (long)s.Batch * s.Heads * ProbabilitiesPerHead(s);

    static long ProbabilitiesPerHead(in Attention.Shape s)
    {
        long total = 0;
        for (int i0 = 0; i0 < s.SeqLen; i0 += MB)
        {
            int mb = Math.Min(MB, s.SeqLen - i0);
            var (lo, hi) = KeyRange(s, i0, mb);
            total += (long)mb * Padded(hi - lo);
        }
        return total;
    }

    /// <param name="probs">null, or <see cref="SavedProbabilityFloats"/> floats that receive P for <see cref="Backward"/>.</param>
    public static void Forward(Workers workers, float* o, float* lse, float* q, float* k, float* v, in Attention.Shape s, float* probs = null)
    {
        var job = workers.Shared<ForwardJob>();
        job.O = o; job.Lse = lse; job.Q = q; job.K = k; job.V = v; job.S = s;
        job.Probs = probs; job.PerHead = probs == null ? 0 : ProbabilitiesPerHead(s);
        job.PerWorker = ForwardScratch(s);
        job.Scratch = workers.Shared<Scratch<float>>().Get(workers.Count * job.PerWorker);
        // A task per (b, KV head) shares its Kᵀ and V panels across the group's query heads; with too few such
        // tasks to keep every worker busy (batch 1, one KV head), a task per (b, query head) instead.
        job.HeadsPerTask = s.Batch * s.KvHeads >= 2 * workers.Count ? s.Group : 1;
        workers.For(job, s.Batch * s.Heads / job.HeadsPerTask);
    }

    /// <param name="probs">null (recompute P), or the P that <see cref="Forward"/> saved for these q, k, lse.</param>
    public static void Backward(Workers workers, float* dq, float* dk, float* dv, float* dout, float* q, float* k, float* v, float* o, float* lse, in Attention.Shape s, float* probs = null)
    {
        var job = workers.Shared<BackwardJob>();
        job.Dq = dq; job.Dk = dk; job.Dv = dv; job.Do = dout; job.Q = q; job.K = k; job.V = v; job.O = o; job.Lse = lse; job.S = s;
        job.Probs = probs; job.PerHead = probs == null ? 0 : ProbabilitiesPerHead(s);
        job.PerWorker = BackwardScratch(s);
        job.Scratch = workers.Shared<Scratch<float>>().Get(workers.Count * job.PerWorker);
        workers.For(job, s.Batch * s.KvHeads);
    }

    /// <summary>Forward scratch per thread: Kᵀ [d, tp]; V as panels [T·d]; S [MB, tp]; E [MB, tp] (when P is saved, S is kept for it).</summary>
    static long ForwardScratch(in Attention.Shape s) => (long)s.HeadDim * Stride(s.SeqLen) + (long)s.SeqLen * s.HeadDim + 2L * MB * Stride(s.SeqLen);

    /// <summary>Backward scratch per thread: Kᵀ, Vᵀ [d, tp]; K as panels [T·d]; P, dS [MB, tp]; the query block's Q and dO as panels [MB·d]; dK, dV sums [T, d].</summary>
    static long BackwardScratch(in Attention.Shape s) =>
        2L * s.HeadDim * Stride(s.SeqLen) + (long)s.SeqLen * s.HeadDim + 2L * MB * Stride(s.SeqLen) + 2L * MB * s.HeadDim + 2L * s.SeqLen * s.HeadDim;

    /// <summary>C[m, d] (+)= A[m, k]·B[k, d] with B given as panels of <paramref name="rows"/> rows (<see cref="SmallMatMul.PackPanels"/>), starting at row <paramref name="row0"/>.</summary>
    static void TimesPanels(int m, int k, float* a, int lda, float* panels, int rows, int row0, int d, float* c, int ldc, bool accumulate)
    {
        for (int p = 0; 32 * p < d; p++)
        {
            int w = SmallMatMul.PanelWidth(d, p);
            SmallMatMul.NN(m, w, k, a, lda, panels + 32L * p * rows + (long)row0 * w, w, c + 32 * p, ldc, accumulate);
        }
    }

    /// <summary>C[m, d] (+)= Aᵀ·B with A stored [k, m] and B given as panels of k rows.</summary>
    static void TransposedTimesPanels(int m, int k, float* a, int lda, float* panels, int d, float* c, int ldc, bool accumulate)
    {
        for (int p = 0; 32 * p < d; p++)
        {
            int w = SmallMatMul.PanelWidth(d, p);
            SmallMatMul.TN(m, w, k, a, lda, panels + 32L * p * k, w, c + 32 * p, ldc, accumulate);
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

    /// <summary>
    /// Kᵀ (or Vᵀ) of one head into [d, tp] scratch, columns T..tp zeroed. With <see cref="Prefetch"/> it goes in stripes of
    /// 8 rows, prefetching the rows <see cref="PrefetchAheadRows"/> ahead, and <paramref name="next"/>'s rows with
    /// them (the head the following pass reads, e.g. V for <see cref="SmallMatMul.PackPanels"/>); the same copy either way.
    /// </summary>
    static void TransposeHead(float* src, int rowStride, int T, int d, float* dst, int tp, float* next = null, int nextStride = 0)
    {
        if (!Prefetch) SmallMatMul.Transpose(T, d, src, rowStride, dst, tp);
        else
        {
            for (int r = 0; r < Math.Min(PrefetchAheadRows, T); r++) PrefetchRow(src + (long)r * rowStride, d);
            for (int i = 0; i < T; i += 8)
            {
                int rows = Math.Min(8, T - i);
                for (int r = i + PrefetchAheadRows; r < Math.Min(i + PrefetchAheadRows + 8, T); r++) PrefetchRow(src + (long)r * rowStride, d);
                if (next != null)
                    for (int r = i; r < i + rows; r++) PrefetchRow(next + (long)r * nextStride, d);
                SmallMatMul.Transpose(rows, d, src + (long)i * rowStride, rowStride, dst + i, tp);
            }
        }
        for (int c = 0; c < d; c++)
            for (int j = T; j < tp; j++) dst[(long)c * tp + j] = 0;
    }

    sealed class ForwardJob : ParallelJob
    {
        public float* O, Lse, Q, K, V, Scratch, Probs;
        public long PerWorker, PerHead;
        public Attention.Shape S;

        public int HeadsPerTask;

        /// <summary>Task = batch row b and <see cref="HeadsPerTask"/> query heads of one KV head: Kᵀ and V's panels are prepared once for them.</summary>
        public override void Run(int index, int worker)
        {
            var s = S;
            int tasksPerRow = s.Heads / HeadsPerTask, b = index / tasksPerRow, h0 = index % tasksPerRow * HeadsPerTask, kvh = h0 / s.Group;
            int d = s.HeadDim, T = s.SeqLen, tp = Stride(T);
            float scale = (float)s.Scale;
            float* kt = Scratch + worker * PerWorker, vp = kt + (long)d * tp, sc = vp + (long)T * d, es = sc + (long)MB * tp;
            float* inv = stackalloc float[MB];
            long row0 = (long)b * T;
            TransposeHead(K + row0 * s.KvWidth + kvh * d, s.KvWidth, T, d, kt, tp, V + row0 * s.VRow + kvh * d, s.VRow);
            SmallMatMul.PackPanels(T, d, V + row0 * s.VRow + kvh * d, s.VRow, vp);
            for (int h = h0; h < h0 + HeadsPerTask; h++)
                for (int i0 = 0, pAt = 0; i0 < T; i0 += MB)
                {
                    int mb = Math.Min(MB, T - i0);
                    var (lo, hi) = KeyRange(s, i0, mb);
                    int n = Padded(hi - lo), keys = hi - lo;
                    // With P saved: E goes to es (S stays in sc for P's pass), P to this block's [mb, n] rows.
                    float* pb = Probs == null ? null : Probs + ((long)b * s.Heads + h) * PerHead + pAt;
                    float* e = pb == null ? sc : es;
                    pAt += mb * n;
                    float* qb = Q + (row0 + i0) * s.QWidth + h * d;
                    SmallMatMul.NN(mb, n, d, qb, s.QWidth, kt + lo, tp, sc, tp, accumulate: false);
                    var (nextRows, nextOffset) = NextBlock(s, row0, i0, h, h0 + HeadsPerTask);   // its Q (read) and O (written) rows
                    for (int r = 0; r < mb; r++)
                    {
                        if (r < nextRows)
                        {
                            PrefetchRow(Q + nextOffset + (long)r * s.QWidth, d);
                            PrefetchRow(O + nextOffset + (long)r * s.QWidth, d);
                        }
                        int i = i0 + r, first = FirstKey(s, i);
                        float* row = sc + (long)r * tp;
                        int a = first - lo, len = i - first + 1;
                        float shift = scale * Vec.MaxF(row + a, len);          // c > 0, so max(c·s) = c·max(s)
                        double sum = pb == null ? Vec.ExpAffineMasked(row, a, a + len, n, scale, shift)
                                                : Vec.ExpAffineMaskedTo(row, e + (long)r * tp, a, a + len, n, scale, shift);
                        inv[r] = (float)(1.0 / sum);
                        float l = shift + (float)Math.Log(sum);
                        Lse[((long)b * s.Heads + h) * T + i] = l;
                        if (pb != null) Vec.ExpAffineMaskedTo(row, pb + (long)r * n, a, a + len, n, scale, l);   // P = exp(c·S − lse), as the backward would recompute it
                    }
                    float* ob = O + (row0 + i0) * s.QWidth + h * d;
                    TimesPanels(mb, keys, e, tp, vp, T, lo, d, ob, s.QWidth, accumulate: false);   // O = E·V
                    for (int r = 0; r < mb; r++) Vec.Scale(inv[r], ob + (long)r * s.QWidth, ob + (long)r * s.QWidth, d);
                }
        }
    }

    sealed class BackwardJob : ParallelJob
    {
        public float* Dq, Dk, Dv, Do, Q, K, V, O, Lse, Scratch, Probs;
        public long PerWorker, PerHead;
        public Attention.Shape S;

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
                for (int i0 = 0, pAt = 0; i0 < T; i0 += MB)
                {
                    int mb = Math.Min(MB, T - i0);
                    var (lo, hi) = KeyRange(s, i0, mb);
                    int n = Padded(hi - lo), keys = hi - lo;
                    long qo = (row0 + i0) * s.QWidth + h * d;
                    float* pb = Probs == null ? null : Probs + ((long)b * s.Heads + h) * PerHead + pAt;   // the forward's P, [mb, n]
                    pAt += mb * n;
                    if (pb == null) SmallMatMul.NN(mb, n, d, Q + qo, s.QWidth, kt + lo, tp, p, tp, accumulate: false);   // S
                    SmallMatMul.NN(mb, n, d, Do + qo, s.QWidth, vt + lo, tp, dp, tp, accumulate: false);      // dP = dO·Vᵀ
                    var (nextRows, nextOffset) = NextBlock(s, row0, i0, h, (kvh + 1) * s.Group);  // its Q, dO, O (read) and dQ (written) rows
                    for (int r = 0; r < mb; r++)
                    {
                        if (r < nextRows)
                        {
                            long nr = nextOffset + (long)r * s.QWidth;
                            PrefetchRow(Q + nr, d); PrefetchRow(Do + nr, d); PrefetchRow(O + nr, d); PrefetchRow(Dq + nr, d);
                        }
                        int i = i0 + r, first = FirstKey(s, i), a = first - lo, len = i - first + 1;
                        float* pr = p + (long)r * tp, dpr = dp + (long)r * tp;
                        float di = Vec.Dot(Do + qo + (long)r * s.QWidth, O + qo + (long)r * s.QWidth, d);     // rowsum(dO ⊙ O)
                        if (pb == null) Vec.SoftmaxBackwardRow(pr, dpr, a, a + len, n, scale, Lse[((long)b * s.Heads + h) * T + i], di); // P and dS (scaled), 0 at masked keys
                        else Vec.SoftmaxBackwardRowFromP(pb + (long)r * n, dpr, a, n, scale, di);                                     // dS from the saved P
                    }
                    TimesPanels(mb, keys, dp, tp, kp, T, lo, d, Dq + qo, s.QWidth, accumulate: false);        // dQ = dS·K
                    SmallMatMul.PackPanels(mb, d, Q + qo, s.QWidth, qp);
                    SmallMatMul.PackPanels(mb, d, Do + qo, s.QWidth, dop);
                    TransposedTimesPanels(keys, mb, dp, tp, qp, d, dkSum + (long)lo * d, d, accumulate: true);  // dK += dSᵀ·Q
                    if (pb == null) TransposedTimesPanels(keys, mb, p, tp, dop, d, dvSum + (long)lo * d, d, accumulate: true);  // dV += Pᵀ·dO
                    else TransposedTimesPanels(keys, mb, pb, n, dop, d, dvSum + (long)lo * d, d, accumulate: true);
                }
            }
            SmallMatMul.CopyRows(T, d, dkSum, d, Dk + row0 * s.KvWidth + kvh * d, s.KvWidth);
            SmallMatMul.CopyRows(T, d, dvSum, d, Dv + row0 * s.VRow + kvh * d, s.VRow);
        }
    }
}
