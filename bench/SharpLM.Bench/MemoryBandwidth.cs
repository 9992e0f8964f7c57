using System.Diagnostics;
using System.Globalization;

namespace SharpLM.Bench;

/// <summary>
/// STREAM-style triad a[i] = b[i] + s·c[i] over three float arrays far larger than the caches, on N threads.
/// Bytes moved per pass = 3 arrays × length × 4 (two reads, one write; write-allocate traffic not counted,
/// as STREAM reports). The best of several passes is the machine's practical bandwidth: the roofline for
/// decode, which must read every weight once per token.
/// </summary>
public static class MemoryBandwidth
{
    public static int Run(string[] args)
    {
        int threads = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : Environment.ProcessorCount;
        double gbs = Measure(threads);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"triad bandwidth, {threads} thread(s): {gbs:F1} GB/s"));
        return 0;
    }

    /// <summary>Best-of-passes triad bandwidth in GB/s (1e9 bytes/s).</summary>
    public static double Measure(int threads, long bytesPerArray = 256L << 20, int passes = 8)
    {
        int n = (int)(bytesPerArray / sizeof(float));
        var a = new float[n];
        var b = new float[n];
        var c = new float[n];
        Array.Fill(b, 1f);
        Array.Fill(c, 2f);
        const float s = 3f;
        int chunk = (n + threads - 1) / threads;
        double best = 0;
        for (int pass = 0; pass < passes; pass++)
        {
            var sw = Stopwatch.StartNew();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                int lo = t * chunk, hi = Math.Min(n, lo + chunk);
                if (lo >= hi) return;
                Triad(a.AsSpan(lo, hi - lo), b.AsSpan(lo, hi - lo), c.AsSpan(lo, hi - lo), s);
            });
            sw.Stop();
            if (pass == 0) continue; // first pass faults the pages in
            best = Math.Max(best, 3.0 * n * sizeof(float) / sw.Elapsed.TotalSeconds / 1e9);
        }
        GC.KeepAlive(a);
        return best;
    }

    static void Triad(Span<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, float s)
    {
        // System.Numerics.Tensors is not referenced; a plain loop auto-vectorizes poorly, so use Vector<T>.
        int i = 0;
        int w = System.Numerics.Vector<float>.Count;
        var vs = new System.Numerics.Vector<float>(s);
        for (; i <= a.Length - w; i += w)
            (new System.Numerics.Vector<float>(b[i..]) + vs * new System.Numerics.Vector<float>(c[i..])).CopyTo(a[i..]);
        for (; i < a.Length; i++) a[i] = b[i] + s * c[i];
    }
}
