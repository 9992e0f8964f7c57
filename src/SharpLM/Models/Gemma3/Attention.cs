using SharpLM.Kernels;

namespace SharpLM.Models.Gemma3;

/// <summary>
/// Grouped-query attention of a chunk of C new tokens at positions p … p+C−1 over the cached past and
/// the chunk itself (spec §1.4, §1.7). Query i sees key j iff j ≤ i and, on local layers, i − j &lt; W.
/// Past keys come from the <see cref="KvCache"/>; the chunk's own keys come from the projection buffers,
/// so a local layer's W-slot ring is never overwritten while a query of the chunk still needs it. The
/// caller appends the chunk to the cache afterwards.
/// </summary>
internal static unsafe class Attention
{
    [ThreadStatic] static float[]? t_scores;

    /// <summary>One call's operands as raw pointers (the arrays stay pinned for the call), so the (token, head)
    /// items run on <see cref="KernelThreads.Pool"/> with nothing allocated per call.</summary>
    struct Job
    {
        public float* Q, K, V, Output, CacheK, CacheV;
        public int CacheCapacity, NumHeads, HeadDim, Groups, QueryWidth, KvWidth, Position, Window;
        public bool Local;
        public float Scale;
    }

    /// <param name="q">[C, nH·d] queries (normed, rotated).</param>
    /// <param name="k">[C, nKV·d] the chunk's keys (normed, rotated).</param>
    /// <param name="v">[C, nKV·d] the chunk's values.</param>
    /// <param name="output">[C, nH·d] attention output per head, concatenated in head order.</param>
    public static void Run(Gemma3Config c, KvCache cache, int layer, int p, int chunk,
        float[] q, float[] k, float[] v, float[] output)
    {
        int items = chunk * c.NumHeads;
        long work = (long)items * (p + chunk) * c.HeadDim;
        fixed (float* pq = q, pk = k, pv = v, po = output)
        fixed (float* ck = &System.Runtime.InteropServices.MemoryMarshal.GetReference(cache.Key(layer, 0)))
        fixed (float* cv = &System.Runtime.InteropServices.MemoryMarshal.GetReference(cache.Value(layer, 0)))
        {
            var job = new Job
            {
                Q = pq, K = pk, V = pv, Output = po, CacheK = ck, CacheV = cv,
                CacheCapacity = cache.Capacity(layer), NumHeads = c.NumHeads, HeadDim = c.HeadDim,
                Groups = c.NumHeads / c.NumKvHeads, QueryWidth = c.QueryWidth, KvWidth = c.KvWidth,
                Position = p, Window = c.SlidingWindow, Local = !c.IsGlobal(layer), Scale = c.AttentionScale,
            };
            // Small calls (early decode steps) are not worth waking workers for.
            KernelThreads.Pool.Run(&Items, &job, items, 1, work < 1 << 16 ? 1 : int.MaxValue);
        }
    }

    static void Items(void* ctx, int start, int end)
    {
        for (int item = start; item < end; item++) One((Job*)ctx, item);
    }

    /// <summary>Query head h of chunk token t over the keys it may see (only the last W on local layers).</summary>
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

    /// <summary>KV head <paramref name="kvh"/> of cached position <paramref name="j"/> (the cache is a ring of
    /// <see cref="Job.CacheCapacity"/> slots per layer, as <see cref="KvCache.Key"/> indexes it).</summary>
    static ReadOnlySpan<float> CacheRow(float* cache, Job* a, int j, int kvh) =>
        new(cache + (long)(j % a->CacheCapacity) * a->KvWidth + kvh * a->HeadDim, a->HeadDim);
}
