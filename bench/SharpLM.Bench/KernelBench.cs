using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using SharpLM.Kernels;
using SharpLM.Tensors;
using SharpLM.Threading;

namespace SharpLM.Bench;

/// <summary>
/// Kernel micro-benchmarks (kernel-lab style: one number per type and level, against the machine's roofline).
/// Decode: y = W·x over a set of Gemma-1B-shaped MLP matrices [6912, 1152] and [1152, 6912] totalling
/// ~320 MB (far past the last-level cache), reported as GB/s of weights read and as a fraction of the
/// measured triad and read bandwidth. "in-L2" repeats decode on one thread over one matrix small enough to
/// stay in L2 (~384 KiB, timed in CPU time): the kernel's compute ceiling per core, so when threads × it is
/// close to the DRAM figure the kernel, not memory, is the limit. Prefill: Y = X·Wᵀ for 256 tokens on one matrix
/// pair, in GMAC/s.
/// <c>kernels [threads] [--isa scalar|v128|v256|v512] [--decode-only] [--l2-only] [--per-core] [--types q4_0,q8_0,...]</c>
/// </summary>
public static unsafe class KernelBench
{
    public static int Run(string[] args)
    {
        int threads = args.Length > 0 && int.TryParse(args[0], out int t) ? t : Environment.ProcessorCount;
        var isas = new List<KernelIsa>();
        for (int i = 0; i < args.Length - 1; i++)
            if (args[i] == "--isa") isas.Add(KernelIsaInfo.FromEnvironment(args[i + 1], KernelIsaInfo.Best));
        if (isas.Count == 0) isas.Add(KernelIsaInfo.Default);
        bool decodeOnly = args.Contains("--decode-only");
        var types = new[] { TensorType.Q4_0, TensorType.Q8_0, TensorType.BF16, TensorType.F16, TensorType.F32 };
        for (int i = 0; i < args.Length - 1; i++)
            if (args[i] == "--types") types = args[i + 1].Split(',').Select(n => Enum.Parse<TensorType>(n, ignoreCase: true)).ToArray();
        if (args.Contains("--per-core"))
        {
            // Per-core decode from DRAM and from L2, both timed in process CPU time on one thread: a stall on
            // memory counts, another process's time slice does not, so the figures hold on a loaded machine.
            Console.WriteLine("| type | level | DRAM GB/s per core | in-L2 GB/s per core |");
            Console.WriteLine("|---|---|---:|---:|");
            foreach (var type in types)
                foreach (var isa in isas)
                    Console.WriteLine(Inv($"| {type} | {isa} | {MeasureDramPerCore(type, isa):F2} | {MeasureInCache(type, isa):F2} |"));
            return 0;
        }
        if (args.Contains("--l2-only"))
        {
            // Quick compute-ceiling check while iterating on a kernel (no DRAM sweep, no bandwidth run).
            // Prefill on both MLP shapes: C = 1152 (gate/up) and C = 6912 (down, whose 16-row panels outgrow L1).
            Console.WriteLine("| type | level | in-L2 GB/s per core | prefill-64 C=1152 GMAC/s per core | prefill-64 C=6912 GMAC/s per core |");
            Console.WriteLine("|---|---|---:|---:|---:|");
            foreach (var type in types)
                foreach (var isa in isas)
                    Console.WriteLine(Inv($"| {type} | {isa} | {MeasureInCache(type, isa):F1} | {MeasurePrefillPerCore(type, isa):F1} | {MeasurePrefillPerCore(type, isa, 1152, 6912):F1} |"));
            return 0;
        }

        var bw = MemoryBandwidth.Measure(threads);
        Console.WriteLine(Inv($"bandwidth ({threads} threads): triad {bw.TriadGBs:F1} GB/s, read {bw.ReadGBs:F1} GB/s"));
        using var pool = new WorkerPool(threads);
        Console.WriteLine("| type | level | decode GB/s | % triad | % read | in-L2 GB/s per core | prefill-256 GMAC/s |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|");
        foreach (var type in types)
            foreach (var isa in isas)
            {
                var (gbs, gmacs) = Measure(type, isa, pool, decodeOnly);
                double l2 = MeasureInCache(type, isa);
                Console.WriteLine(Inv($"| {type} | {isa} | {gbs:F1} | {100 * gbs / bw.TriadGBs:F0} % | {100 * gbs / bw.ReadGBs:F0} % | {l2:F1} | {(decodeOnly ? "-" : gmacs.ToString("F1", CultureInfo.InvariantCulture))} |"));
            }
        return 0;
    }

    static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    static (double gbs, double gmacs) Measure(TensorType type, KernelIsa isa, WorkerPool pool, bool decodeOnly)
    {
        const int H = 1152, I = 6912;
        long pairBytes = 2 * type.RowBytes(H) * I;
        int pairs = (int)Math.Max(2, (320L << 20) / pairBytes);
        var mats = new List<(nint p, WeightMatrix w)>();
        var rng = new Random(1);
        for (int i = 0; i < pairs; i++)
        {
            mats.Add(Make(type, I, H, rng));
            mats.Add(Make(type, H, I, rng));
        }
        var x = new float[256 * I];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        var y = new float[256 * I];
        long bytes = mats.Sum(m => m.w.ByteLength);

        // Decode: every matrix once per "token", best of several sweeps.
        double best = double.MaxValue;
        for (int rep = 0; rep < 6; rep++)
        {
            long t0 = Stopwatch.GetTimestamp();
            foreach (var (_, w) in mats) MatrixKernels.MatMul(w, x.AsSpan(0, w.Cols), 1, y, pool, isa);
            best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        double gbs = bytes / best / 1e9;

        double gmacs = 0;
        if (!decodeOnly)
        {
            const int T = 256;
            double bestP = double.MaxValue;
            for (int rep = 0; rep < 3; rep++)
            {
                long t0 = Stopwatch.GetTimestamp();
                MatrixKernels.MatMul(mats[0].w, x.AsSpan(0, T * H), T, y, pool, isa);
                MatrixKernels.MatMul(mats[1].w, x.AsSpan(0, T * I), T, y, pool, isa);
                bestP = Math.Min(bestP, Stopwatch.GetElapsedTime(t0).TotalSeconds);
            }
            gmacs = 2.0 * H * I * T / bestP / 1e9;
        }
        foreach (var (p, _) in mats) NativeMemory.AlignedFree((void*)p);
        return (gbs, gmacs);
    }

    /// <summary>
    /// Decode GB/s of one thread over the ~320 MB set of <see cref="Measure"/> (far past the caches), timed in
    /// process CPU time (best of several sweeps): what one core streams from DRAM through the kernel.
    /// </summary>
    static double MeasureDramPerCore(TensorType type, KernelIsa isa)
    {
        const int H = 1152, I = 6912;
        long pairBytes = 2 * type.RowBytes(H) * I;
        int pairs = (int)Math.Max(2, (320L << 20) / pairBytes);
        var mats = new List<(nint p, WeightMatrix w)>();
        var rng = new Random(1);
        for (int i = 0; i < pairs; i++)
        {
            mats.Add(Make(type, I, H, rng));
            mats.Add(Make(type, H, I, rng));
        }
        var x = new float[I];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        var y = new float[I];
        long bytes = mats.Sum(m => m.w.ByteLength);
        using var single = new WorkerPool(1);
        var self = Process.GetCurrentProcess();
        double best = double.MaxValue;
        for (int rep = 0; rep < 5; rep++)
        {
            self.Refresh();
            var c0 = self.TotalProcessorTime;
            foreach (var (_, w) in mats) MatrixKernels.MatMul(w, x.AsSpan(0, w.Cols), 1, y, single, isa);
            self.Refresh();
            best = Math.Min(best, (self.TotalProcessorTime - c0).TotalSeconds);
        }
        foreach (var (p, _) in mats) NativeMemory.AlignedFree((void*)p);
        return bytes / best / 1e9;
    }

    /// <summary>
    /// Decode GB/s of one thread over one [R, 1152] matrix of ~384 KiB, repeated (L2-resident): the kernel's
    /// compute ceiling per core. Timed in CPU time of the process (only this thread runs), so a shared,
    /// oversubscribed machine slows the wall clock but not this figure.
    /// </summary>
    static double MeasureInCache(TensorType type, KernelIsa isa)
    {
        const int H = 1152;
        int rows = (int)Math.Max(16, (384L << 10) / type.RowBytes(H));
        var rng = new Random(2);
        var (p, w) = Make(type, rows, H, rng);
        var x = new float[H];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        var y = new float[rows];
        using var single = new WorkerPool(1);
        const int Repeats = 300;
        double best = double.MaxValue;
        var self = Process.GetCurrentProcess();
        for (int rep = 0; rep < 8; rep++)
        {
            self.Refresh();
            var c0 = self.TotalProcessorTime;
            for (int k = 0; k < Repeats; k++) MatrixKernels.MatMul(w, x, 1, y, single, isa);
            self.Refresh();
            best = Math.Min(best, (self.TotalProcessorTime - c0).TotalSeconds);
        }
        NativeMemory.AlignedFree((void*)p);
        return w.ByteLength * (double)Repeats / best / 1e9;
    }

    /// <summary>
    /// Prefill GMAC/s of one thread: 64 tokens through a [1536, 1152] matrix (Gemma 1B's hidden size), timed in
    /// CPU time like <see cref="MeasureInCache"/>; compute-bound, so a per-core figure that load disturbs little.
    /// </summary>
    static double MeasurePrefillPerCore(TensorType type, KernelIsa isa, int R = 1536, int H = 1152)
    {
        const int T = 64;
        var rng = new Random(3);
        var (p, w) = Make(type, R, H, rng);
        var x = new float[T * H];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        var y = new float[T * R];
        using var single = new WorkerPool(1);
        const int Repeats = 4;
        double best = double.MaxValue;
        var self = Process.GetCurrentProcess();
        for (int rep = 0; rep < 5; rep++)
        {
            self.Refresh();
            var c0 = self.TotalProcessorTime;
            for (int k = 0; k < Repeats; k++) MatrixKernels.MatMul(w, x, T, y, single, isa);
            self.Refresh();
            best = Math.Min(best, (self.TotalProcessorTime - c0).TotalSeconds);
        }
        NativeMemory.AlignedFree((void*)p);
        return (double)R * H * T * Repeats / best / 1e9;
    }

    static (nint, WeightMatrix) Make(TensorType type, int rows, int cols, Random rng)
    {
        long rb = type.RowBytes(cols), n = rb * rows;
        byte* p = (byte*)NativeMemory.AlignedAlloc((nuint)n, 64);
        var span = new Span<byte>(p, checked((int)n));
        rng.NextBytes(span);
        // Valid, normal-range scales and values: subnormals or NaNs would time microcode assists, not the kernel.
        if (type is TensorType.Q4_0 or TensorType.Q8_0)
        {
            int bb = type.BlockBytes();
            for (long b = 0; b < n; b += bb) *(Half*)(p + b) = (Half)(0.001 + rng.NextDouble() * 0.01);
        }
        else if (type is TensorType.F16) for (long i = 0; i < n; i += 2) *(Half*)(p + i) = (Half)(rng.NextDouble() - 0.5);
        else if (type is TensorType.BF16) for (long i = 0; i < n; i += 2) *(ushort*)(p + i) = BFloat16.FromSingle((float)(rng.NextDouble() - 0.5));
        else for (long i = 0; i < n; i += 4) *(float*)(p + i) = (float)(rng.NextDouble() - 0.5);
        return ((nint)p, new WeightMatrix(p, type, rows, cols));
    }
}
