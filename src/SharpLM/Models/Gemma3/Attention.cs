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

    /// <param name="q">[C, nH·d] queries (normed, rotated).</param>
    /// <param name="k">[C, nKV·d] the chunk's keys (normed, rotated).</param>
    /// <param name="v">[C, nKV·d] the chunk's values.</param>
    /// <param name="output">[C, nH·d] attention output per head, concatenated in head order.</param>
    public static void Run(Gemma3Config c, KvCache cache, int layer, int p, int chunk,
        float[] q, float[] k, float[] v, float[] output)
    {
        int nH = c.NumHeads, d = c.HeadDim, groups = c.NumHeads / c.NumKvHeads;
        bool local = !c.IsGlobal(layer);
        int window = c.SlidingWindow;
        float scale = c.AttentionScale;
        int qW = c.QueryWidth, kvW = c.KvWidth;
        int items = chunk * nH;
        long work = (long)items * (p + chunk) * d;

        void One(int item)
        {
            int t = item / nH, h = item % nH, i = p + t, kvh = h / groups;
            int lo = local ? Math.Max(0, i - window + 1) : 0;
            int count = i - lo + 1;
            var scores = t_scores is { } s && s.Length >= count ? s : t_scores = new float[Math.Max(count, 256)];
            var qv = new ReadOnlySpan<float>(q, t * qW + h * d, d);
            int n = 0;
            for (int j = lo; j < p; j++)
                scores[n++] = Dot.Compute(qv, cache.Key(layer, j).Slice(kvh * d, d)) * scale;
            for (int j = Math.Max(lo, p); j <= i; j++)
                scores[n++] = Dot.Compute(qv, new ReadOnlySpan<float>(k, (j - p) * kvW + kvh * d, d)) * scale;
            Softmax.Apply(scores.AsSpan(0, n));
            var o = new Span<float>(output, t * qW + h * d, d);
            o.Clear();
            n = 0;
            for (int j = lo; j < p; j++)
                Dot.AddScaled(cache.Value(layer, j).Slice(kvh * d, d), scores[n++], o);
            for (int j = Math.Max(lo, p); j <= i; j++)
                Dot.AddScaled(new ReadOnlySpan<float>(v, (j - p) * kvW + kvh * d, d), scores[n++], o);
        }

        if (items == 1 || work < 1 << 16 || KernelThreads.Count == 1)
        {
            for (int it = 0; it < items; it++) One(it);
            return;
        }
        Parallel.For(0, items, KernelThreads.Options(items), One);
    }
}
