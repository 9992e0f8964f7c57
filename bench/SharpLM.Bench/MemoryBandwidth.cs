using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpLM.Bench;

/// <summary>
/// The machine's memory bandwidth, the roofline for decode (which must read every weight once per token).
/// Two kernels over arrays far larger than the last-level cache, each thread on its own 64-byte-aligned
/// region that it touched first (so its pages are local to it):
/// <list type="bullet">
/// <item><b>triad</b> a[i] = b[i] + s·c[i] (STREAM): 2 reads + 1 write, counted as 3 arrays × bytes as STREAM
///   does. Stores are non-temporal (they bypass the cache, so there is no read-for-ownership of a).</item>
/// <item><b>read</b>: a sum over one array, the access pattern of a matrix–vector product over weights.</item>
/// </list>
/// Threads are persistent and start each pass together at a barrier; a pass's time is the slowest thread's.
/// The best pass is reported (bandwidth is a capacity; noise only lowers it).
/// </summary>
public static unsafe class MemoryBandwidth
{
    public static int Run(string[] args)
    {
        int threads = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : Environment.ProcessorCount;
        var r = Measure(threads);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"memory bandwidth, {threads} thread(s), {r.BytesPerArray >> 20} MiB per array: triad {r.TriadGBs:F1} GB/s, read {r.ReadGBs:F1} GB/s"));
        return 0;
    }

    public readonly record struct Result(double TriadGBs, double ReadGBs, long BytesPerArray);

    /// <summary>Best-of-passes triad and read bandwidth in GB/s (1e9 bytes/s).</summary>
    public static Result Measure(int threads, long bytesPerArray = 256L << 20, int passes = 10)
    {
        long perThread = bytesPerArray / threads / 64 * 64;
        var regions = new (nint a, nint b, nint c)[threads];
        var triadTicks = new long[threads];
        var readTicks = new long[threads];
        var sinks = new float[threads];
        using var start = new Barrier(threads);
        double bestTriad = 0, bestRead = 0;
        // Pass −1 only touches the pages (first-touch placement); the rest alternate triad and read.
        int pass = -1;
        var workers = new Thread[threads];
        using var done = new Barrier(threads + 1);
        using var go = new Barrier(threads + 1);
        for (int t = 0; t < threads; t++)
        {
            int id = t;
            workers[t] = new Thread(() =>
            {
                nint a = (nint)NativeMemory.AlignedAlloc((nuint)perThread, 64);
                nint b = (nint)NativeMemory.AlignedAlloc((nuint)perThread, 64);
                nint c = (nint)NativeMemory.AlignedAlloc((nuint)perThread, 64);
                regions[id] = (a, b, c);
                long n = perThread / sizeof(float);
                while (true)
                {
                    go.SignalAndWait();
                    if (pass == int.MaxValue) break;
                    start.SignalAndWait();
                    long t0 = Stopwatch.GetTimestamp();
                    if (pass < 0)
                    {
                        new Span<float>((void*)b, (int)Math.Min(n, int.MaxValue)).Fill(1f);
                        new Span<float>((void*)c, (int)Math.Min(n, int.MaxValue)).Fill(2f);
                        new Span<float>((void*)a, (int)Math.Min(n, int.MaxValue)).Clear();
                    }
                    else
                    {
                        Triad((float*)a, (float*)b, (float*)c, 3f, n);
                        long t1 = Stopwatch.GetTimestamp();
                        triadTicks[id] = t1 - t0;
                        start.SignalAndWait();
                        t1 = Stopwatch.GetTimestamp();
                        sinks[id] += Sum((float*)b, n);
                        readTicks[id] = Stopwatch.GetTimestamp() - t1;
                    }
                    done.SignalAndWait();
                }
                NativeMemory.AlignedFree((void*)a);
                NativeMemory.AlignedFree((void*)b);
                NativeMemory.AlignedFree((void*)c);
            }) { IsBackground = true, Name = $"bandwidth {t}" };
            workers[t].Start();
        }
        for (; pass < passes; pass++)
        {
            go.SignalAndWait();
            done.SignalAndWait();
            if (pass < 0) continue;
            double freq = Stopwatch.Frequency;
            double triadSec = triadTicks.Max() / freq, readSec = readTicks.Max() / freq;
            bestTriad = Math.Max(bestTriad, 3.0 * perThread * threads / triadSec / 1e9);
            bestRead = Math.Max(bestRead, 1.0 * perThread * threads / readSec / 1e9);
        }
        pass = int.MaxValue;
        go.SignalAndWait();
        foreach (var w in workers) w.Join();
        GC.KeepAlive(sinks);
        return new Result(bestTriad, bestRead, perThread * threads);
    }

    /// <summary>a = b + s·c, widest vectors available, non-temporal stores (a is 64-byte aligned).</summary>
    static void Triad(float* a, float* b, float* c, float s, long n)
    {
        long i = 0;
        if (Avx512F.IsSupported)
        {
            var vs = Vector512.Create(s);
            for (; i + 32 <= n; i += 32)
            {
                Avx512F.StoreAlignedNonTemporal(a + i, Avx512F.FusedMultiplyAdd(Vector512.Load(c + i), vs, Vector512.Load(b + i)));
                Avx512F.StoreAlignedNonTemporal(a + i + 16, Avx512F.FusedMultiplyAdd(Vector512.Load(c + i + 16), vs, Vector512.Load(b + i + 16)));
            }
        }
        else if (Avx.IsSupported)
        {
            var vs = Vector256.Create(s);
            for (; i + 16 <= n; i += 16)
            {
                Avx.StoreAlignedNonTemporal(a + i, Vector256.Load(b + i) + vs * Vector256.Load(c + i));
                Avx.StoreAlignedNonTemporal(a + i + 8, Vector256.Load(b + i + 8) + vs * Vector256.Load(c + i + 8));
            }
        }
        else
        {
            var vs = Vector128.Create(s);
            for (; i + 4 <= n; i += 4) (Vector128.Load(b + i) + vs * Vector128.Load(c + i)).Store(a + i);
        }
        for (; i < n; i++) a[i] = b[i] + s * c[i];
        if (Sse.IsSupported) Sse.StoreFence(); // non-temporal stores are weakly ordered: drain them inside the timing
    }

    /// <summary>Σ b, four independent accumulators so the adds do not serialize.</summary>
    static float Sum(float* b, long n)
    {
        long i = 0;
        var s0 = Vector512<float>.Zero; var s1 = s0; var s2 = s0; var s3 = s0;
        for (; i + 64 <= n; i += 64)
        {
            s0 += Vector512.Load(b + i);
            s1 += Vector512.Load(b + i + 16);
            s2 += Vector512.Load(b + i + 32);
            s3 += Vector512.Load(b + i + 48);
        }
        float s = Vector512.Sum((s0 + s1) + (s2 + s3));
        for (; i < n; i++) s += b[i];
        return s;
    }
}
