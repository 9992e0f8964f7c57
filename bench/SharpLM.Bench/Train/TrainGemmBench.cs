using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpLM.Formats;
using SharpLM.Kernels.Training;
using SharpLM.Models.Gemma3;
using SharpLM.Threading;
using SharpLM.Training;

namespace SharpLM.Bench.Train;

/// <summary>
/// <c>train-gemm</c>: how close the training GEMM is to this machine's floating-point peak, on the real shapes of
/// a training step (every Linear's forward, input gradient and weight gradient, and the tied head), beside
/// PyTorch's (OpenBLAS) matmul on the same shapes and layouts (<c>scripts/torch_gemma3.py gemm</c>).
/// </summary>
/// <remarks>
/// Everything is timed in <b>CPU time of the calling thread</b> with one worker, so the figures are GFLOP/s per
/// core and hold on a busy machine (another process only takes turns on the core; it does not slow the
/// instructions). The peak is an FMA loop with 12 independent accumulators (enough to cover the FMA latency on
/// two ports), 512- and 256-bit; on Cascade Lake the 512-bit loop runs at the lower AVX-512 licence clock.
/// </remarks>
public static unsafe class TrainGemmBench
{
    const string Usage = """
        usage: SharpLM.Bench train-gemm [--presets tiny,small] [--batch 8] [--seq 256] [--reps 3] [--python /usr/bin/python3] [--no-torch] [--only SUBSTRING] [--workers N] [--ab]
        Prints the 512- and 256-bit FMA peak per core, then per shape: SharpLM and PyTorch GFLOP/s per core (1 thread, CPU time).
        --workers N (N > 1) instead times SharpLM alone with N workers in wall time (best of reps; needs a quiet machine):
        GFLOP/s, % of N cores' peak, and the wall time split into B packing and tiles.
        --ab alternates the tile schedules (CPU time with 1 worker, wall time with more) (fixed tiles of sessions 3–5 vs row sweeps) rep by rep on the same buffers
        and prints both best times and their ratio.
        --ab-kc N instead alternates the K slice (row sweeps both): the current one (384, or SHARPLM_GEMM_KC) vs up to N.
        --ab-order alternates the 256-bit path's tile order: rows outer (B panels streamed per A micro-panel, as the 512-bit path) vs columns outer (the B panel in L1; default).
        --ab-pad N alternates operands with packed rows (leading dimension = row length) and rows N floats longer.
        --ab-packing alternates the packing of sessions 3–7 (SHARPLM_GEMM_PACKING=per-tile) and the current one (shared:
        A once per product for all column blocks, 12-row A panels as 8+4-row transposes, B rows copied in registers); results are identical.
        --ab-phases alternates sweeping a deep product (K > M: the weight gradients) over all of K per row chunk (off, sessions 6–8)
        and one sweep per K slice (on, SHARPLM_GEMM_SLICE_PHASES=1, the default); results are identical.
        --ab-tprefetch N alternates the transposed A packing's prefetch distance: 8 source rows ahead (or SHARPLM_GEMM_TPREFETCH) vs N (0: none).
        SHARPLM_BENCH_CLOCK=cpu with --workers N and an --ab switch: process CPU time instead of wall (work per CPU-second; holds better on a busy machine).
        """;

    public static int Run(string[] args)
    {
        if (args.Contains("--help")) { Console.WriteLine(Usage); return 0; }
        var presets = (BenchSupport.Option(args, "--presets") ?? "tiny,small").Split(',');
        int batch = int.Parse(BenchSupport.Option(args, "--batch") ?? "8", CultureInfo.InvariantCulture);
        int seq = int.Parse(BenchSupport.Option(args, "--seq") ?? "256", CultureInfo.InvariantCulture);
        int reps = int.Parse(BenchSupport.Option(args, "--reps") ?? "3", CultureInfo.InvariantCulture);
        string python = BenchSupport.Option(args, "--python") ?? "/usr/bin/python3";
        bool torch = !args.Contains("--no-torch");
        int workerCount = int.Parse(BenchSupport.Option(args, "--workers") ?? "1", CultureInfo.InvariantCulture);
        ApplyPrefetchOverride();

        var (p512, p256) = (Avx512F.IsSupported ? FmaPeak512() : double.NaN, Fma.IsSupported ? FmaPeak256() : double.NaN);
        Console.WriteLine(BenchSupport.Inv($"# FP32 FMA peak per core (CPU time): 512-bit {p512:F1} GFLOP/s, 256-bit {p256:F1} GFLOP/s"));
        Console.WriteLine(BenchSupport.Inv($"# cpu: {TrainBench.CpuName()}; SharpLM GEMM path {Gemm.PathFor<float>()}"));
        if (Gemm.PathFor<float>() == Gemm.Path.Float512)
        {
            var (l1, l2) = MicroKernelRates();
            Console.WriteLine(BenchSupport.Inv($"# 12×32 micro-kernel alone, kc 256 (CPU time): B panel in L1 {l1:F1} GFLOP/s, one 96×512 tile with B in L2 {l2:F1} GFLOP/s"));
        }
        else if (Gemm.PathFor<float>() == Gemm.Path.Float256)
        {
            var (l1, l2) = MicroKernelRates256();
            Console.WriteLine(BenchSupport.Inv($"# 6×16 micro-kernel alone, kc 384 (CPU time): A and B panels in L1 {l1:F1} GFLOP/s, one 240×768 tile columns outer (A in L2) {l2:F1} GFLOP/s"));
        }
        Console.WriteLine();
        int? abKc = BenchSupport.Option(args, "--ab-kc") is { } abKcText ? int.Parse(abKcText, CultureInfo.InvariantCulture) : null;
        int? abPad = BenchSupport.Option(args, "--ab-pad") is { } abPadText ? int.Parse(abPadText, CultureInfo.InvariantCulture) : null;
        if (abKc is < 16 or > 1024) throw new ArgumentException("--ab-kc must be a K slice length from 16 to 1024");
        bool abPacking = args.Contains("--ab-packing"), abPhases = args.Contains("--ab-phases"), abOrder = args.Contains("--ab-order");
        int? abTPrefetch = BenchSupport.Option(args, "--ab-tprefetch") is { } tpText ? int.Parse(tpText, CultureInfo.InvariantCulture) : null;
        if (abTPrefetch is < 0 or > 64) throw new ArgumentException("--ab-tprefetch must be a row count from 0 to 64");
        if (args.Contains("--ab") || abKc is not null || abPad is not null || abPacking || abPhases || abOrder || abTPrefetch is not null) return RunScheduleAb(presets, batch, seq, reps, workerCount, double.IsNaN(p512) ? p256 : p512, BenchSupport.Option(args, "--only"), abKc, abPad, abPacking, abPhases, abOrder, abTPrefetch);
        if (workerCount > 1) return RunParallel(presets, batch, seq, reps, workerCount, double.IsNaN(p512) ? p256 : p512, BenchSupport.Option(args, "--only"));
        Console.WriteLine("| model | product | M×N×K | SharpLM GFLOP/s | % of peak | PyTorch GFLOP/s | ratio |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        double peak = double.IsNaN(p512) ? p256 : p512;
        foreach (var preset in presets)
        {
            var config = TrainingPresets.Get(preset) ?? throw new ArgumentException($"unknown preset {preset}");
            if (preset == "tiny") config = config with { VocabSize = 4096 };
            var shapes = Shapes(config, batch * seq);
            if (BenchSupport.Option(args, "--only") is { } only) shapes = shapes.Where(s => s.Name.Contains(only, StringComparison.Ordinal)).ToList();
            var torchRates = torch ? TorchRates(python, shapes, reps) : null;
            double flopsOurs = 0, timeOurs = 0, timeTorch = 0;
            for (int i = 0; i < shapes.Count; i++)
            {
                var s = shapes[i];
                double rate = Measure(s, reps);
                double flops = 2.0 * s.M * s.N * s.K * s.PerStep;
                flopsOurs += flops;
                timeOurs += flops / (rate * 1e9);
                double t = torchRates?[i] ?? double.NaN;
                timeTorch += flops / (t * 1e9);
                string theirs = torch ? BenchSupport.Inv($"{t:F1} | {rate / t:F2}×") : "— | —"; // --no-torch: nothing to compare
                Console.WriteLine(BenchSupport.Inv(
                    $"| {preset} | {s.Name} ×{s.PerStep} | {s.M}×{s.N}×{s.K} | {rate:F1} | {100 * rate / peak:F0} % | ") + theirs + " |");
            }
            string theirsAll = torch ? BenchSupport.Inv($"{flopsOurs / timeTorch / 1e9:F1} | {timeTorch / timeOurs:F2}×") : "— | —";
            Console.WriteLine(BenchSupport.Inv(
                $"| {preset} | **all GEMMs of a step** | {flopsOurs / 1e9:F1} GFLOP | {flopsOurs / timeOurs / 1e9:F1} | {100 * flopsOurs / timeOurs / 1e9 / peak:F0} % | ") + theirsAll + " |");
        }
        return 0;
    }

    /// <summary>
    /// Per shape with <paramref name="workerCount"/> workers, wall time (best of <paramref name="reps"/>): where the
    /// gap between one core's rate and the pool's goes (B packing, uneven tiles, both cores sharing L3/DRAM).
    /// </summary>
    static int RunParallel(string[] presets, int batch, int seq, int reps, int workerCount, double peak, string? only)
    {
        Console.WriteLine(BenchSupport.Inv($"# {workerCount} workers, wall time, best of {reps}; load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}"));
        // busy: the process's CPU time over wall × workers in the best rep. On a quiet machine, below ~100 % means a worker
        // waited (blocked, or a late start); near 100 % with a low rate means both ran but slower (memory contention).
        Console.WriteLine(BenchSupport.Inv($"| model | product | M×N×K | GFLOP/s ({workerCount} workers) | % of {workerCount}× peak | pack ms | tiles ms | ms per step | busy |"));
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var preset in presets)
        {
            var config = TrainingPresets.Get(preset) ?? throw new ArgumentException($"unknown preset {preset}");
            if (preset == "tiny") config = config with { VocabSize = 4096 };
            var shapes = Shapes(config, batch * seq);
            if (only is not null) shapes = shapes.Where(s => s.Name.Contains(only, StringComparison.Ordinal)).ToList();
            double flopsAll = 0, timeAll = 0;
            foreach (var s in shapes)
            {
                var (wall, pack, tiles, cpu) = MeasureParallel(s, reps, workerCount);
                double flops = 2.0 * s.M * s.N * s.K;
                double rate = flops / wall / 1e9;
                flopsAll += flops * s.PerStep;
                timeAll += wall * s.PerStep;
                Console.WriteLine(BenchSupport.Inv(
                    $"| {preset} | {s.Name} ×{s.PerStep} | {s.M}×{s.N}×{s.K} | {rate:F1} | {100 * rate / (peak * workerCount):F0} % | {pack * 1e3:F2} | {tiles * 1e3:F2} | {wall * s.PerStep * 1e3:F0} | {100 * cpu / (wall * workerCount):F0} % |"));
            }
            double all = flopsAll / timeAll / 1e9;
            Console.WriteLine(BenchSupport.Inv(
                $"| {preset} | **all GEMMs of a step** | {flopsAll / 1e9:F1} GFLOP | {all:F1} | {100 * all / (peak * workerCount):F0} % | | | {timeAll * 1e3:F0} | |"));
        }
        return 0;
    }

    /// <summary>
    /// Fixed tiles vs row sweeps per shape, alternating rep by rep on the same buffers (so a busy or drifting machine
    /// hits both alike): best wall time of each with <paramref name="workerCount"/> workers and sweep's speed-up.
    /// </summary>
    static int RunScheduleAb(string[] presets, int batch, int seq, int reps, int workerCount, double peak, string? only, int? abKc, int? abPad, bool abPacking, bool abPhases, bool abOrder, int? abTPrefetch)
    {
        // --ab-kc: arm 0 is the current K slice, arm 1 the other one; both row sweeps.
        int kcA = Gemm.KC;
        int tpA = Gemm.TransposedPrefetchRows;
        string nameA = abOrder ? "rows outer" : abTPrefetch is not null ? BenchSupport.Inv($"A prefetch {tpA}") : abPhases ? "phases off" : abPacking ? "pack per tile" : abPad is not null ? "pad 0" : abKc is null ? "tiles" : BenchSupport.Inv($"kc {kcA}");
        string nameB = abOrder ? "columns outer" : abTPrefetch is not null ? BenchSupport.Inv($"A prefetch {abTPrefetch}") : abPhases ? "phases on" : abPacking ? "pack shared" : abPad is not null ? BenchSupport.Inv($"pad {abPad}") : abKc is null ? "sweep" : BenchSupport.Inv($"kc {abKc}");
        // One worker: CPU time of this thread (holds on a busy machine); several: wall time (needs a quiet one).
        // SHARPLM_BENCH_CLOCK=cpu with several workers: CPU time of the whole process (work per CPU-second of both
        // workers together; a busy machine disturbs it far less than wall time, but it cannot see idle workers).
        bool processCpu = workerCount > 1 && Environment.GetEnvironmentVariable("SHARPLM_BENCH_CLOCK") == "cpu";
        Func<double> Clock = workerCount == 1 ? ThreadCpuSeconds : processCpu ? ProcessCpuSeconds : () => Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
        Console.WriteLine(BenchSupport.Inv($"# {workerCount} worker(s), {(workerCount == 1 ? "thread CPU" : processCpu ? "process CPU (GFLOP/s × workers = GFLOP per CPU-second)" : "wall")} time, best of {reps} alternating; load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}"));
        Console.WriteLine($"| model | product | M×N×K | {nameA} GFLOP/s | {nameB} GFLOP/s | % of peak ({nameB}) | {nameB} speed-up (best) | median of per-rep ratios |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        var saved = Gemm.Scheduling;
        int savedKc = Gemm.KC;
        bool savedOrder = Gemm.ColumnsOuter256;
        var savedPacking = Gemm.Packing;
        bool savedPhases = Gemm.SlicePhases;
        try
        {
            foreach (var preset in presets)
            {
                var config = TrainingPresets.Get(preset) ?? throw new ArgumentException($"unknown preset {preset}");
                if (preset == "tiny") config = config with { VocabSize = 4096 };
                var shapes = Shapes(config, batch * seq);
                if (only is not null) shapes = shapes.Where(s => s.Name.Contains(only, StringComparison.Ordinal)).ToList();
                double flopsAll = 0, tilesAll = 0, sweepAll = 0;
                foreach (var s in shapes)
                {
                    using var workers = new Workers(workerCount);
                    // --ab-pad: arm 1 multiplies operands whose leading dimensions are abPad floats longer.
                    using var operands = new Operands(s, abPad is null ? null : 0);
                    using var padded = abPad is null ? null : new Operands(s, abPad.Value);
                    var best = new[] { double.MaxValue, double.MaxValue };
                    var pair = new double[2];
                    var ratios = new List<double>(); // per rep: arm 0's time / arm 1's (the two ran back to back)
                    for (int r = -1; r < reps; r++) // r = −1 warms both up
                    {
                        for (int which = 0; which < 2; which++)
                        {
                            // The arm's switch (--ab-pad switches operands instead, below; the schedule stays as set).
                            if (abOrder) Gemm.ColumnsOuter256 = which == 1;
                            else if (abTPrefetch is not null) Gemm.TransposedPrefetchRows = which == 0 ? tpA : abTPrefetch.Value;
                            else if (abPhases) Gemm.SlicePhases = which == 1;
                            else if (abPacking) Gemm.Packing = which == 0 ? Gemm.PackingScheme.PerTile : Gemm.PackingScheme.Shared;
                            else if (abKc is not null) Gemm.KC = which == 0 ? kcA : abKc.Value;
                            else if (abPad is null) Gemm.Scheduling = which == 0 ? Gemm.Schedule.Tiles : Gemm.Schedule.Sweep;
                            double t0 = Clock();
                            (which == 1 && padded is not null ? padded : operands).Multiply(workers);
                            double wall = Clock() - t0;
                            if (r >= 0) best[which] = Math.Min(best[which], wall);
                            pair[which] = wall;
                        }
                        if (r >= 0) ratios.Add(pair[0] / pair[1]);
                    }
                    double flops = 2.0 * s.M * s.N * s.K;
                    flopsAll += flops * s.PerStep; tilesAll += best[0] * s.PerStep; sweepAll += best[1] * s.PerStep;
                    Console.WriteLine(BenchSupport.Inv(
                        $"| {preset} | {s.Name} ×{s.PerStep} | {s.M}×{s.N}×{s.K} | {flops / best[0] / 1e9:F1} | {flops / best[1] / 1e9:F1} | {100 * flops / best[1] / 1e9 / (peak * workerCount):F0} % | {best[0] / best[1]:F2}× | {BenchSupport.Median(ratios):F3}× |"));
                }
                Console.WriteLine(BenchSupport.Inv(
                    $"| {preset} | **all GEMMs of a step** | {flopsAll / 1e9:F1} GFLOP | {flopsAll / tilesAll / 1e9:F1} | {flopsAll / sweepAll / 1e9:F1} | {100 * flopsAll / sweepAll / 1e9 / (peak * workerCount):F0} % | {tilesAll / sweepAll:F2}× | |"));
            }
        }
        finally { Gemm.Scheduling = saved; Gemm.KC = savedKc; Gemm.ColumnsOuter256 = savedOrder; Gemm.Packing = savedPacking; Gemm.SlicePhases = savedPhases; Gemm.TransposedPrefetchRows = tpA; }
        return 0;
    }

    /// <summary>Best wall time of one Gemm.Multiply with <paramref name="workerCount"/> workers, and that run's packing and tile time (Workers.Profile) and process CPU time.</summary>
    static (double Wall, double Pack, double Tiles, double Cpu) MeasureParallel(Shape s, int reps, int workerCount)
    {
        using var workers = new Workers(workerCount);
        using var operands = new Operands(s);
        operands.Multiply(workers); // warm-up
        (double Wall, double Pack, double Tiles, double Cpu) best = (double.MaxValue, 0, 0, 0);
        for (int r = 0; r < reps; r++)
        {
            var profile = new Dictionary<Type, (long Ticks, long Calls, long Busy)>();
            workers.Profile = profile;
            double cpu0 = ProcessCpuSeconds();
            long t0 = Stopwatch.GetTimestamp();
            operands.Multiply(workers);
            double wall = (Stopwatch.GetTimestamp() - t0) / (double)Stopwatch.Frequency;
            double cpu = ProcessCpuSeconds() - cpu0;
            workers.Profile = null;
            double pack = 0, tiles = 0;
            foreach (var (type, v) in profile)
                if (type.Name.StartsWith("PackJob", StringComparison.Ordinal)) pack += v.Ticks / (double)Stopwatch.Frequency;
                else tiles += v.Ticks / (double)Stopwatch.Frequency;
            if (wall < best.Wall) best = (wall, pack, tiles, cpu);
        }
        return best;
    }

    /// <summary>Random operands of <see cref="Shape"/> (seed 1, in [−0.5, 0.5)), C zeroed, in aligned native memory.</summary>
    sealed class Operands : IDisposable
    {
        readonly Shape _s;
        readonly float* _a, _b, _c;
        readonly int _lda, _ldb, _ldc;

        /// <summary>
        /// SHARPLM_GEMM_PAD=N adds N floats to every leading dimension (tuning switch: are row strides that are a
        /// multiple of 4 KiB, e.g. 3072 floats, slower through cache-set conflicts?). Results never change.
        /// </summary>
        static int EnvPad => Environment.GetEnvironmentVariable("SHARPLM_GEMM_PAD") is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : 0;

        /// <param name="pad">Floats added to every leading dimension (null: SHARPLM_GEMM_PAD, else 0).</param>
        public Operands(Shape s, int? pad = null)
        {
            _s = s;
            pad ??= EnvPad;
            _lda = (s.ATransposed ? s.M : s.K) + pad.Value; _ldb = (s.BTransposed ? s.K : s.N) + pad.Value; _ldc = s.N + pad.Value;
            long aLen = (long)(s.ATransposed ? s.K : s.M) * _lda, bLen = (long)(s.BTransposed ? s.N : s.K) * _ldb, cLen = (long)s.M * _ldc;
            _a = Alloc(aLen); _b = Alloc(bLen); _c = Alloc(cLen);
            var rng = new Random(1);
            for (long i = 0; i < aLen; i++) _a[i] = (float)rng.NextDouble() - 0.5f;
            for (long i = 0; i < bLen; i++) _b[i] = (float)rng.NextDouble() - 0.5f;
            new Span<float>(_c, (int)cLen).Clear();
        }

        /// <summary>The product as the training step calls it (A or B stored transposed per the shape).</summary>
        public void Multiply(Workers workers) =>
            Gemm.Multiply(workers, _s.M, _s.N, _s.K, _a, _lda, _s.ATransposed, _b, _ldb, _s.BTransposed, _c, _ldc, _s.Accumulate);

        public void Dispose()
        {
            NativeMemory.AlignedFree(_a); NativeMemory.AlignedFree(_b); NativeMemory.AlignedFree(_c);
        }
    }

    /// <summary>One GEMM of a step: C[M,N] (+)= A·B with A or B stored transposed as the Linear/head call does, and how many a step runs.</summary>
    public sealed record Shape(string Name, int M, int N, int K, bool ATransposed, bool BTransposed, bool Accumulate, int PerStep);

    /// <summary>The GEMMs of one step of <paramref name="c"/> on <paramref name="n"/> tokens (Linear.cs and TiedHeadCrossEntropy.cs).</summary>
    public static List<Shape> Shapes(Gemma3Config c, int n)
    {
        int h = c.HiddenSize, q = c.NumHeads * c.HeadDim, qkv = q + 2 * c.NumKvHeads * c.HeadDim, i2 = 2 * c.IntermediateSize, L = c.NumLayers;
        var list = new List<Shape>();
        void Linear(string name, int inF, int outF)
        {
            list.Add(new(name + " fwd", n, outF, inF, false, true, false, L));
            list.Add(new(name + " dX", n, inF, outF, false, false, false, L));
            list.Add(new(name + " dW", outF, inF, n, true, false, true, L));
        }
        Linear("qkv", h, qkv);
        Linear("o", q, h);
        Linear("gate|up", h, i2);
        Linear("down", c.IntermediateSize, h);
        int rows = HeadChunkRows(n, c.VocabSize);
        int chunks = (n + rows - 1) / rows;
        list.Add(new("head fwd", rows, c.VocabSize, h, false, true, false, chunks));
        list.Add(new("head dX", rows, h, c.VocabSize, false, false, false, chunks));
        list.Add(new("head dW", c.VocabSize, h, rows, true, false, true, chunks));
        return list;
    }

    static int HeadChunkRows(int n, int vocab) => SharpLM.Training.Ops.TiedHeadCrossEntropy.ChunkRows(n, vocab);

    /// <summary>GFLOP/s of Gemm.Multiply on one worker, best of <paramref name="reps"/> (CPU time of this thread).</summary>
    static double Measure(Shape s, int reps)
    {
        using var workers = new Workers(1);
        using var operands = new Operands(s);
        operands.Multiply(workers); // warm-up
        double best = double.MaxValue;
        for (int r = 0; r < reps; r++)
        {
            double t0 = ThreadCpuSeconds();
            operands.Multiply(workers);
            best = Math.Min(best, ThreadCpuSeconds() - t0);
        }
        return 2.0 * s.M * s.N * s.K / best / 1e9;
    }

    /// <summary>
    /// The micro-kernel on cache-resident operands: (1) the same A micro-panel and B panel again and again (both
    /// in L1), (2) a whole task tile as Gemm runs it, 96 rows × 512 columns × kc 256 (A 96 KiB and B 512 KiB in L2).
    /// The gap between these and the GEMM's rate is what packing, C traffic and tiling cost.
    /// </summary>
    static (double L1, double L2) MicroKernelRates()
    {
        const int kc = 256, mc = 96, nc = 512, reps = 200;
        float* a = Alloc(mc * kc), b = Alloc(kc * nc), c = Alloc(mc * nc);
        try
        {
            for (int i = 0; i < mc * kc; i++) a[i] = 0.001f * (i % 7);
            for (int i = 0; i < kc * nc; i++) b[i] = 0.001f * (i % 5);
            new Span<float>(c, mc * nc).Clear();
            double t0 = ThreadCpuSeconds();
            for (int r = 0; r < reps * 128; r++) Gemm.Micro512(kc, a, b, b, c, nc, 12, 32, true);
            double l1 = 2.0 * 12 * 32 * kc * reps * 128 / (ThreadCpuSeconds() - t0) / 1e9;
            t0 = ThreadCpuSeconds();
            for (int r = 0; r < reps; r++)
                for (int ir = 0; ir < mc; ir += 12)
                    for (int jr = 0; jr < nc; jr += 32)
                        Gemm.Micro512(kc, a + ir * kc, b + jr * kc, b + (jr + 32) % nc * kc, c + ir * nc + jr, nc, 12, 32, true);
            double l2 = 2.0 * mc * nc * kc * reps / (ThreadCpuSeconds() - t0) / 1e9;
            return (l1, l2);
        }
        finally { NativeMemory.AlignedFree(a); NativeMemory.AlignedFree(b); NativeMemory.AlignedFree(c); }
    }

    /// <summary>
    /// SHARPLM_GEMM_PREFETCH=N sets how many k iterations ahead the micro-kernel prefetches B (0 = off): the A/B
    /// switch for checking the prefetch on another machine or with both workers on a quiet one (results never change).
    /// </summary>
    internal static void ApplyPrefetchOverride()
    {
        if (Environment.GetEnvironmentVariable("SHARPLM_GEMM_PREFETCH") is { } v)
        {
            Gemm.PrefetchIterations = int.TryParse(v, CultureInfo.InvariantCulture, out int n) && n >= 0
                ? n : throw new ArgumentException($"SHARPLM_GEMM_PREFETCH must be a whole number of k iterations, not '{v}'");
            Console.Error.WriteLine($"# B prefetch: {n} k iterations ahead");
        }
        if (Environment.GetEnvironmentVariable("SHARPLM_GEMM_SCHEDULE") is { } schedule)
        {
            Gemm.Scheduling = Enum.TryParse<Gemm.Schedule>(schedule, ignoreCase: true, out var sc)
                ? sc : throw new ArgumentException($"SHARPLM_GEMM_SCHEDULE must be tiles or sweep, not '{schedule}'");
            Console.Error.WriteLine($"# GEMM schedule: {sc}");
        }
        if (Environment.GetEnvironmentVariable("SHARPLM_GEMM_PACKING") is { } packing)
        {
            // shared (default): A once per product, B rows copied in registers; per-tile: sessions 3–7. Results never change.
            Gemm.Packing = packing switch { "shared" => Gemm.PackingScheme.Shared, "per-tile" => Gemm.PackingScheme.PerTile,
                _ => throw new ArgumentException($"SHARPLM_GEMM_PACKING must be shared or per-tile, not '{packing}'") };
            Console.Error.WriteLine($"# GEMM packing: {packing}");
        }
        if (Environment.GetEnvironmentVariable("SHARPLM_GEMM_SLICE_PHASES") is { } phases)
        {
            // 1 (default): deep products (K > M) swept one K slice at a time; 0: all of K per row chunk (sessions 6–8). Results never change.
            Gemm.SlicePhases = phases switch { "1" => true, "0" => false,
                _ => throw new ArgumentException($"SHARPLM_GEMM_SLICE_PHASES must be 0 or 1, not '{phases}'") };
            Console.Error.WriteLine($"# GEMM slice phases: {phases}");
        }
        if (Environment.GetEnvironmentVariable("SHARPLM_GEMM_TPREFETCH") is { } tp)
        {
            // Source rows a transposed A's packing prefetches ahead (default 8; 0 = none). Results never change.
            Gemm.TransposedPrefetchRows = int.TryParse(tp, CultureInfo.InvariantCulture, out int rows) && rows >= 0 && rows <= 64
                ? rows : throw new ArgumentException($"SHARPLM_GEMM_TPREFETCH must be a row count from 0 to 64, not '{tp}'");
            Console.Error.WriteLine($"# transposed A prefetch: {rows} rows ahead");
        }
        if (Environment.GetEnvironmentVariable("SHARPLM_GEMM_KC") is { } kcText)
        {
            // Longest K slice: changes the order of sums (results change slightly); tuning switch only.
            Gemm.KC = int.TryParse(kcText, CultureInfo.InvariantCulture, out int kc) && kc >= 16 && kc <= 1024
                ? kc : throw new ArgumentException($"SHARPLM_GEMM_KC must be a K slice length from 16 to 1024, not '{kcText}'");
            Console.Error.WriteLine($"# GEMM K slice: up to {kc}");
        }
        if (Environment.GetEnvironmentVariable("SHARPLM_GEMM_COLUMNS_OUTER") is { } order)
        {
            // 1 (default): the 256-bit path's tiles walk B panels outer (the panel stays in L1); 0: rows outer. Results never change.
            Gemm.ColumnsOuter256 = order switch { "1" => true, "0" => false,
                _ => throw new ArgumentException($"SHARPLM_GEMM_COLUMNS_OUTER must be 0 or 1, not '{order}'") };
            Console.Error.WriteLine($"# GEMM 256-bit columns outer: {order}");
        }
        if (Environment.GetEnvironmentVariable("SHARPLM_GEMM_SWEEP") is { } sweep)
        {
            // rows,cols: the sweep's largest row chunk and column block (tuning switch; results never change).
            var parts = sweep.Split(',');
            if (parts.Length != 2 || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out int rows) || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out int cols) || rows < 12 || cols < 32)
                throw new ArgumentException($"SHARPLM_GEMM_SWEEP must be ROWS,COLS (at least 12,32), not '{sweep}'");
            (Gemm.SweepRows, Gemm.SweepCols) = (rows, cols);
            Console.Error.WriteLine($"# GEMM sweep: up to {rows} rows × {cols} columns");
        }
    }

    /// <summary>
    /// The 256-bit micro-kernel on cache-resident operands: (1) the same A micro-panel and B panel again and again (both
    /// in L1), (2) a 240×768 tile as Gemm's columns-outer order runs it, kc 384 (each B panel in L1, A's 360 KiB in L2).
    /// </summary>
    static (double L1, double L2) MicroKernelRates256()
    {
        const int kc = 384, mc = 240, nc = 768, reps = 20;
        float* a = Alloc(mc * kc), b = Alloc(kc * nc), c = Alloc(mc * nc);
        try
        {
            for (int i = 0; i < mc * kc; i++) a[i] = 0.001f * (i % 7);
            for (int i = 0; i < kc * nc; i++) b[i] = 0.001f * (i % 5);
            new Span<float>(c, mc * nc).Clear();
            double t0 = ThreadCpuSeconds();
            for (int r = 0; r < reps * 2000; r++) Gemm.Micro256(kc, a, b, c, nc, 6, 16, true);
            double l1 = 2.0 * 6 * 16 * kc * reps * 2000 / (ThreadCpuSeconds() - t0) / 1e9;
            t0 = ThreadCpuSeconds();
            for (int r = 0; r < reps; r++)
                for (int jr = 0; jr < nc; jr += 16)
                    for (int ir = 0; ir < mc; ir += 6)
                        Gemm.Micro256(kc, a + ir * kc, b + jr * kc, c + ir * nc + jr, nc, 6, 16, true);
            double l2 = 2.0 * mc * nc * kc * reps / (ThreadCpuSeconds() - t0) / 1e9;
            return (l1, l2);
        }
        finally { NativeMemory.AlignedFree(a); NativeMemory.AlignedFree(b); NativeMemory.AlignedFree(c); }
    }

    static float* Alloc(long n) => (float*)NativeMemory.AlignedAlloc((nuint)(n * sizeof(float)), 64);

    /// <summary>PyTorch's GFLOP/s per shape (1 thread, thread CPU time), same layouts.</summary>
    static double[] TorchRates(string python, List<Shape> shapes, int reps)
    {
        string script = TrainBenchScript();
        var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add("gemm");
        psi.ArgumentList.Add("--reps");
        psi.ArgumentList.Add(reps.ToString(CultureInfo.InvariantCulture));
        psi.ArgumentList.Add("--shapes");
        psi.ArgumentList.Add(string.Join(';', shapes.Select(s => BenchSupport.Inv($"{s.M},{s.N},{s.K},{(s.ATransposed ? 1 : 0)},{(s.BTransposed ? 1 : 0)},{(s.Accumulate ? 1 : 0)}"))));
        foreach (var v in new[] { "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS" }) psi.Environment[v] = "1";
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"torch gemm failed ({p.ExitCode}):\n{output}\n{err.Result}");
        return output.TrimEnd().Split('\n')[^1].Split(',').Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray();
    }

    static string TrainBenchScript()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            string s = Path.Combine(d.FullName, "scripts", "torch_gemma3.py");
            if (File.Exists(s)) return s;
        }
        throw new FileNotFoundException("scripts/torch_gemma3.py not found above " + AppContext.BaseDirectory);
    }

    const long PeakIterations = 100_000_000;

    /// <remarks>The accumulators are born after the first clock read and die before the second: live across a call,
    /// the JIT would keep them on the stack and time store-forwarding instead of FMAs.</remarks>
    /// <summary>12 independent 512-bit FMA chains (latency 4 × 2 ports needs 8): GFLOP/s of this core.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    static double FmaPeak512()
    {
        double t0 = ThreadCpuSeconds();
        var x = Vector512.Create(1.0000001f); var y = Vector512.Create(0.9999999f);
        Vector512<float> a0 = Vector512.Create(0f), a1 = Vector512.Create(1f), a2 = Vector512.Create(2f), a3 = Vector512.Create(3f),
            a4 = Vector512.Create(4f), a5 = Vector512.Create(5f), a6 = Vector512.Create(6f), a7 = Vector512.Create(7f),
            a8 = Vector512.Create(8f), a9 = Vector512.Create(9f), a10 = Vector512.Create(10f), a11 = Vector512.Create(11f);
        for (long n = 0; n < PeakIterations; n++)
        {
            a0 = Avx512F.FusedMultiplyAdd(a0, x, y); a1 = Avx512F.FusedMultiplyAdd(a1, x, y); a2 = Avx512F.FusedMultiplyAdd(a2, x, y);
            a3 = Avx512F.FusedMultiplyAdd(a3, x, y); a4 = Avx512F.FusedMultiplyAdd(a4, x, y); a5 = Avx512F.FusedMultiplyAdd(a5, x, y);
            a6 = Avx512F.FusedMultiplyAdd(a6, x, y); a7 = Avx512F.FusedMultiplyAdd(a7, x, y); a8 = Avx512F.FusedMultiplyAdd(a8, x, y);
            a9 = Avx512F.FusedMultiplyAdd(a9, x, y); a10 = Avx512F.FusedMultiplyAdd(a10, x, y); a11 = Avx512F.FusedMultiplyAdd(a11, x, y);
        }
        // Avx512F.Add, not operator +: Vector512 is not "hardware accelerated" on this CPU and the software
        // operator would make the JIT keep the accumulators on the stack.
        Sink = Avx512F.Add(Avx512F.Add(Avx512F.Add(Avx512F.Add(a0, a1), Avx512F.Add(a2, a3)), Avx512F.Add(Avx512F.Add(a4, a5), Avx512F.Add(a6, a7))),
            Avx512F.Add(Avx512F.Add(a8, a9), Avx512F.Add(a10, a11))).ToScalar();
        double t = ThreadCpuSeconds() - t0;
        return PeakIterations * 12.0 * 32 / t / 1e9;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    static double FmaPeak256()
    {
        double t0 = ThreadCpuSeconds();
        var x = Vector256.Create(1.0000001f); var y = Vector256.Create(0.9999999f);
        Vector256<float> a0 = Vector256.Create(0f), a1 = Vector256.Create(1f), a2 = Vector256.Create(2f), a3 = Vector256.Create(3f),
            a4 = Vector256.Create(4f), a5 = Vector256.Create(5f), a6 = Vector256.Create(6f), a7 = Vector256.Create(7f),
            a8 = Vector256.Create(8f), a9 = Vector256.Create(9f), a10 = Vector256.Create(10f), a11 = Vector256.Create(11f);
        for (long n = 0; n < PeakIterations; n++)
        {
            a0 = Fma.MultiplyAdd(a0, x, y); a1 = Fma.MultiplyAdd(a1, x, y); a2 = Fma.MultiplyAdd(a2, x, y);
            a3 = Fma.MultiplyAdd(a3, x, y); a4 = Fma.MultiplyAdd(a4, x, y); a5 = Fma.MultiplyAdd(a5, x, y);
            a6 = Fma.MultiplyAdd(a6, x, y); a7 = Fma.MultiplyAdd(a7, x, y); a8 = Fma.MultiplyAdd(a8, x, y);
            a9 = Fma.MultiplyAdd(a9, x, y); a10 = Fma.MultiplyAdd(a10, x, y); a11 = Fma.MultiplyAdd(a11, x, y);
        }
        Sink = Avx.Add(Avx.Add(Avx.Add(Avx.Add(a0, a1), Avx.Add(a2, a3)), Avx.Add(Avx.Add(a4, a5), Avx.Add(a6, a7))),
            Avx.Add(Avx.Add(a8, a9), Avx.Add(a10, a11))).ToScalar();
        double t = ThreadCpuSeconds() - t0;
        return PeakIterations * 12.0 * 16 / t / 1e9;
    }

    /// <summary>Keeps the peak loops' results alive.</summary>
    public static float Sink;

    /// <summary>CPU time of the whole process, all threads (<see cref="CpuTime.ProcessSeconds"/>; Linux only).</summary>
    internal static double ProcessCpuSeconds()
    {
        double t = CpuTime.ProcessSeconds();
        return double.IsNaN(t) ? throw new PlatformNotSupportedException("process CPU time needs Linux") : t;
    }

    /// <summary>CPU time of the calling thread (<see cref="CpuTime.ThreadSeconds"/>); wall time off Linux.</summary>
    internal static double ThreadCpuSeconds()
    {
        double t = CpuTime.ThreadSeconds();
        return double.IsNaN(t) ? Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency : t;
    }
}
