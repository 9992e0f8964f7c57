using System.Runtime.CompilerServices;
using SharpLM.Kernels;

namespace SharpLM.Models.Gemma3;

/// <summary>
/// Grouped-query attention of the new rows of one or more sequences over each sequence's cached past and its
/// own new rows (spec §1.4, §1.7). Row t of a segment is the token at position p+t of that sequence; its
/// query sees key j iff j ≤ p+t and, on local layers, p+t − j &lt; W. Past keys come from the sequence's
/// <see cref="KvCache"/>; the segment's own keys come from the projection buffers, so a local layer's W-slot
/// ring is never overwritten while a query of the chunk still needs it. The caller appends the new rows to
/// the caches afterwards.
/// </summary>
internal static unsafe class Attention
{
    [ThreadStatic] static float[]? t_scores;

    /// <summary>One segment's operands as raw pointers (caches are pinned, the row buffers pinned for the call),
    /// so the (segment, token, head) items run on <see cref="KernelThreads.Pool"/> with nothing allocated per call.</summary>
    internal struct Job
    {
        public float* Q, K, V, Output, CacheK, CacheV;
        public int CacheCapacity, NumHeads, HeadDim, Groups, QueryWidth, KvWidth, Position, Window;
        public bool Local;
        /// <summary>Items are (token, KV head) and run <see cref="Group"/>; otherwise (token, query head) and <see cref="One"/>.</summary>
        public bool Grouped;
        public float Scale;
        /// <summary>The first work item of this segment (items of all segments are numbered consecutively).</summary>
        public int FirstItem;
    }

    struct Batch
    {
        public Job* Jobs;
        public int Count;
    }

    /// <param name="segments">The sequences whose rows are in the buffers, in row order.</param>
    /// <param name="jobs">Scratch with room for one job per segment (kept by the caller, so nothing is allocated).</param>
    /// <param name="q">[rows, nH·d] queries (normed, rotated).</param>
    /// <param name="k">[rows, nKV·d] the new keys (normed, rotated).</param>
    /// <param name="v">[rows, nKV·d] the new values.</param>
    /// <param name="output">[rows, nH·d] attention output per head, concatenated in head order.</param>
    public static void Run(Gemma3Config c, int layer, ReadOnlySpan<SequenceRows> segments, Job[] jobs,
        float[] q, float[] k, float[] v, float[] output)
    {
        int items = 0;
        long work = 0;
        bool local = !c.IsGlobal(layer);
        var isa = KernelIsaInfo.Default;
        fixed (float* pq = q, pk = k, pv = v, po = output)
        fixed (Job* pj = jobs)
        {
            for (int s = 0; s < segments.Length; s++)
            {
                var seg = segments[s];
                pj[s] = new Job
                {
                    Q = pq + seg.Row * c.QueryWidth, K = pk + seg.Row * c.KvWidth, V = pv + seg.Row * c.KvWidth,
                    Output = po + seg.Row * c.QueryWidth,
                    CacheK = seg.Cache.KeyBase(layer), CacheV = seg.Cache.ValueBase(layer),
                    CacheCapacity = seg.Cache.Capacity(layer), NumHeads = c.NumHeads, HeadDim = c.HeadDim,
                    Groups = c.NumHeads / c.NumKvHeads, QueryWidth = c.QueryWidth, KvWidth = c.KvWidth,
                    Position = seg.Position, Window = c.SlidingWindow, Local = local, Scale = c.AttentionScale,
                    FirstItem = items,
                    // Rows of a prompt chunk: the query heads of a KV head together (AttentionTile). One-row segments
                    // (decode, batched decode) keep one item per query head, so a single token still spreads over
                    // the workers.
                    Grouped = seg.Count > 1 && AttentionTile.Vectorized(isa, c.HeadDim),
                };
                items += seg.Count * (pj[s].Grouped ? c.NumKvHeads : c.NumHeads);
                work += (long)seg.Count * c.NumHeads * (local ? Math.Min(seg.Position + seg.Count, c.SlidingWindow) : seg.Position + seg.Count) * c.HeadDim;
            }
            var batch = new Batch { Jobs = pj, Count = segments.Length };
            // Small calls (early decode steps) are not worth waking workers for.
            KernelThreads.Pool.Run(&Items, &batch, items, 1, work < 1 << 16 ? 1 : int.MaxValue);
        }
    }

    static void Items(void* ctx, int start, int end)
    {
        var batch = (Batch*)ctx;
        int s = 0;
        for (int item = start; item < end; item++)
        {
            while (s + 1 < batch->Count && batch->Jobs[s + 1].FirstItem <= item) s++;
            var job = batch->Jobs + s;
            if (job->Grouped) Group(job, item - job->FirstItem);
            else One(job, item - job->FirstItem);
        }
    }

    /// <summary>Query head h of chunk token t over the keys it may see (only the last W on local layers).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void One(Job* a, int item)
    {
        int nH = a->NumHeads, d = a->HeadDim, p = a->Position, qW = a->QueryWidth, kvW = a->KvWidth;
        int t = item / nH, h = item % nH, i = p + t, kvh = h / a->Groups;
        int lo = a->Local ? Math.Max(0, i - a->Window + 1) : 0;
        int count = i - lo + 1;
        var scores = t_scores is { } s && s.Length >= count ? s : t_scores = new float[Math.Max(count, 256)];
        var qv = new ReadOnlySpan<float>(a->Q + t * qW + h * d, d);
        int n = 0;
        for (int j = lo; j < p; j++)
            scores[n++] = Dot.Compute(qv, CacheRow(a->CacheK, a, j, kvh)) * a->Scale;
        for (int j = Math.Max(lo, p); j <= i; j++)
            scores[n++] = Dot.Compute(qv, new ReadOnlySpan<float>(a->K + (j - p) * kvW + kvh * d, d)) * a->Scale;
        Softmax.Apply(scores.AsSpan(0, n));
        var o = new Span<float>(a->Output + t * qW + h * d, d);
        o.Clear();
        n = 0;
        for (int j = lo; j < p; j++)
            Dot.AddScaled(CacheRow(a->CacheV, a, j, kvh), scores[n++], o);
        for (int j = Math.Max(lo, p); j <= i; j++)
            Dot.AddScaled(new ReadOnlySpan<float>(a->V + (j - p) * kvW + kvh * d, d), scores[n++], o);
    }

    /// <summary>
    /// The query heads of KV head kvh for chunk token t over the keys they may see, up to
    /// <see cref="AttentionTile.Heads"/> heads per pass: each key and value row is read once per pass instead of once
    /// per head. The cache's ring slots are visited as contiguous runs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Group(Job* a, int item)
    {
        int nKV = a->NumHeads / a->Groups, d = a->HeadDim, p = a->Position, qW = a->QueryWidth, kvW = a->KvWidth, cap = a->CacheCapacity;
        int t = item / nKV, kvh = item % nKV, i = p + t;
        int lo = a->Local ? Math.Max(0, i - a->Window + 1) : 0;
        int count = i - lo + 1, first = Math.Max(lo, p);
        var isa = KernelIsaInfo.Default;
        int need = AttentionTile.Heads * count;
        var scores = t_scores is { } buf && buf.Length >= need ? buf : t_scores = new float[Math.Max(need, 1024)];
        fixed (float* s = scores)
            for (int h0 = 0; h0 < a->Groups; h0 += AttentionTile.Heads)
            {
                int heads = Math.Min(AttentionTile.Heads, a->Groups - h0), h = kvh * a->Groups + h0;
                float* q = a->Q + t * qW + h * d;
                float* kBase = a->CacheK + kvh * d, vBase = a->CacheV + kvh * d;
                int n = 0;
                for (int j = lo; j < p;)
                {
                    int slot = j % cap, run = Math.Min(p - j, cap - slot);
                    AttentionTile.Scores(isa, q, heads, d, kBase + (long)slot * kvW, kvW, run, a->Scale, s + n, count);
                    n += run;
                    j += run;
                }
                AttentionTile.Scores(isa, q, heads, d, a->K + (first - p) * kvW + kvh * d, kvW, i - first + 1, a->Scale, s + n, count);
                for (int hh = 0; hh < heads; hh++) Softmax.Apply(new Span<float>(s + hh * count, count));
                float* o = a->Output + t * qW + h * d;
                new Span<float>(o, heads * d).Clear();
                n = 0;
                for (int j = lo; j < p;)
                {
                    int slot = j % cap, run = Math.Min(p - j, cap - slot);
                    AttentionTile.WeightedSum(isa, s + n, count, heads, d, vBase + (long)slot * kvW, kvW, run, o);
                    n += run;
                    j += run;
                }
                AttentionTile.WeightedSum(isa, s + n, count, heads, d, a->V + (first - p) * kvW + kvh * d, kvW, i - first + 1, o);
            }
    }

    /// <summary>KV head <paramref name="kvh"/> of cached position <paramref name="j"/> (the cache is a ring of
    /// <see cref="Job.CacheCapacity"/> slots per layer, as <see cref="KvCache.Key"/> indexes it).</summary>
    static ReadOnlySpan<float> CacheRow(float* cache, Job* a, int j, int kvh) =>
        new(cache + (long)(j % a->CacheCapacity) * a->KvWidth + kvh * a->HeadDim, a->HeadDim);
}
