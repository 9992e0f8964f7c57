using System.Diagnostics;
using System.Globalization;
using SharpLM.Kernels.Training;
using SharpLM.Training;
using SharpLM.Training.Ops;

namespace SharpLM.Bench.Train;

/// <summary>
/// <c>train-ops</c>: the fused non-GEMM training ops against the op sequences they replace, on one layer of a
/// preset's shape, interleaved A/B (best of N each): QK-norm + RoPE, residual add + next norm, the paired norm
/// backwards, GeGLU's backward in the dHidden GEMM's epilogue (that case includes the GEMM on both sides). 1 worker in calling-thread CPU time (holds on a busy
/// machine) and 2 workers in wall time (needs a quiet one). The ratio column is old / new.
/// </summary>
public static unsafe class TrainOpsBench
{
    const string Usage = """
        usage: SharpLM.Bench train-ops [--preset small] [--batch 8] [--seq 256] [--reps 15] [--match TEXT]
          --match: only the cases whose name contains TEXT (e.g. SHARPLM_ for the A/B switches, SHARPLM_VEC256 for the 256-bit loops)
        """;

    public static int Run(string[] args)
    {
        if (args.Contains("--help")) { Console.WriteLine(Usage); return 0; }
        string preset = BenchSupport.Option(args, "--preset") ?? "small";
        int B = int.Parse(BenchSupport.Option(args, "--batch") ?? "8", CultureInfo.InvariantCulture);
        int T = int.Parse(BenchSupport.Option(args, "--seq") ?? "256", CultureInfo.InvariantCulture);
        int reps = int.Parse(BenchSupport.Option(args, "--reps") ?? "15", CultureInfo.InvariantCulture);
        var c = TrainingPresets.Get(preset) ?? throw new ArgumentException($"unknown preset {preset}");
        int N = B * T, H = c.HiddenSize, d = c.HeadDim, nH = c.NumHeads, nKV = c.NumKvHeads;
        int qW = c.QueryWidth, kvW = c.KvWidth, qkvW = qW + 2 * kvW;
        var arrays = new List<NativeArray<float>>();
        float* A(long n, int seed)
        {
            var a = new NativeArray<float>(n);
            arrays.Add(a);
            var r = new Random(seed);
            for (long i = 0; i < n; i++) a.At(0)[i] = (float)(r.NextDouble() * 2 - 1);
            return a.At(0);
        }
        float* qkv = A((long)N * qkvW, 1), q = A((long)N * qW, 2), k = A((long)N * kvW, 3), qr = A((long)N * nH, 4), kr = A((long)N * nKV, 5);
        float* dq = A((long)N * qW, 6), dk = A((long)N * kvW, 7), dqkv = A((long)N * qkvW, 8), wq = A(d, 9), wk = A(d, 10), gq = A(d, 11), gk = A(d, 12);
        float* cos = A((long)T * d / 2, 0), sin = A((long)T * d / 2, 0);
        Rope.BuildTables(cos, sin, T, d, 10_000, 1);
        float* x = A((long)N * H, 13), res = A((long)N * H, 14), y = A((long)N * H, 15), z = A((long)N * H, 16), r1 = A(N, 17), r2 = A(N, 18);
        float* w1 = A(H, 19), w2 = A(H, 20), g1 = A(H, 21), g2 = A(H, 22), dy = A((long)N * H, 23), dres = A((long)N * H, 24), dx2 = A((long)N * H, 25), x2 = A((long)N * H, 26);
        using (var setup = new Workers(1))
        {
            RmsNorm.Forward(setup, y, r1, x, w1, N, H, 1e-6);
            RmsNorm.Forward(setup, y, r2, x2, w2, N, H, 1e-6);
        }
        int I = c.IntermediateSize;
        float* dA = A((long)N * H, 27), wDown = A((long)H * I, 28), gu = A((long)N * 2 * I, 29), dHidden = A((long)N * I, 30), dgu = A((long)N * 2 * I, 31), hidden = A((long)N * I, 32);
        var qk = new QkNormRope.Shape(N, T, nH, nKV, d, qkvW);
        var inQ = new RmsNorm.RowLayout(nH, qkvW);
        var inK = new RmsNorm.RowLayout(nKV, qkvW);
        var flat = RmsNorm.RowLayout.Contiguous(d);

        var cases = new (string Name, Action<Workers> Old, Action<Workers> New)[]
        {
            ("QK-norm + RoPE forward (2 norms + 2 ropes → 1)", w =>
            {
                RmsNorm.Forward(w, q, flat, qr, qkv, inQ, wq, N * nH, d, 1e-6);
                RmsNorm.Forward(w, k, flat, kr, qkv + qW, inK, wk, N * nKV, d, 1e-6);
                Rope.Forward(w, q, cos, sin, N, T, nH, d);
                Rope.Forward(w, k, cos, sin, N, T, nKV, d);
            }, w => QkNormRope.Forward(w, q, qr, k, kr, qkv, wq, wk, cos, sin, qk, 1e-6)),
            ("QK-norm + RoPE backward (2 ropes + 2 norms → 1)", w =>
            {
                Rope.Backward(w, dq, cos, sin, N, T, nH, d);
                Rope.Backward(w, dk, cos, sin, N, T, nKV, d);
                RmsNorm.Backward(w, dqkv, gq, dq, flat, qkv, inQ, qr, wq, N * nH, d, accumulateDx: false);
                RmsNorm.Backward(w, dqkv + qW, gk, dk, flat, qkv + qW, inK, kr, wk, N * nKV, d, accumulateDx: false);
            }, w => QkNormRope.Backward(w, dqkv, gq, gk, dq, dk, qkv, qr, kr, wq, wk, cos, sin, qk)),
            ("post-norm + add, next norm (2 → 1)", w =>
            {
                RmsNorm.ForwardAdd(w, y, r1, x, w1, res, N, H, 1e-6);
                RmsNorm.Forward(w, z, r2, y, w2, N, H, 1e-6);
            }, w => RmsNorm.ForwardAddNorm(w, y, r1, x, w1, res, z, r2, w2, N, H, 1e-6)),
            ("norm backward into dres, next norm backward from it (2 → 1)", w =>
            {
                RmsNorm.Backward(w, dres, g1, dy, x, r1, w1, N, H, accumulateDx: true);
                RmsNorm.Backward(w, dx2, g2, dres, x2, r2, w2, N, H, accumulateDx: false);
            }, w => RmsNorm.BackwardThen(w, dres, g1, dy, x, r1, w1, true, dx2, g2, x2, r2, w2, N, H)),
            ("dHidden GEMM alone (reference)", w => Linear.BackwardInput(w, dHidden, dA, wDown, N, I, H, accumulate: false),
             w => Linear.BackwardInput(w, dHidden, dA, wDown, N, I, H, accumulate: false)),
            ("dHidden GEMM, then GeGLU backward → GEMM with GeGLU epilogue", w =>
            {
                Linear.BackwardInput(w, dHidden, dA, wDown, N, I, H, accumulate: false);
                GeGlu.Backward(w, dgu, dHidden, gu, N, I, hidden);
            }, w => GeGlu.BackwardThroughDown(w, dgu, dA, wDown, gu, N, I, H, hidden)),
        };

        // Session 10's switches, each alternated off (old) / on (new) on the same arrays: the whole step's gradient arena
        // for the norm and the clear (small: 200 MB, far beyond the caches, as in a step).
        var layout = new ParameterLayout(c);
        var grads = new NativeArray<float>(layout.Count);
        arrays.Add(grads);
        var gr = new Random(35);
        for (long i = 0; i < grads.Length; i++) grads.Pointer[i] = (float)(gr.NextDouble() - 0.5) * 1e-3f;
        var optimizer = new Training.Optimization.Optimizer(layout, new Training.Optimization.OptimizerOptions { Kind = Training.Optimization.OptimizerKind.Sgd });
        static Action<Workers> With(Action<bool> set, bool on, Action<Workers> run) => w => { set(on); run(w); };
        Action<Workers> gradNorm = w => optimizer.GradientNorm(w, grads);
        Action<Workers> clear = w => Training.Optimization.ParallelClear.Clear(w, grads);
        // The head's row work on one logits chunk of small's shape ([1024, V], from DRAM as after the logits GEMM); each run
        // turns the rows into dlogits, so both sides first restore the same logits (the copy is in both timings).
        int hv = c.VocabSize, hr = TiedHeadCrossEntropy.ChunkRows(N, hv);
        float* logitsSource = A((long)hr * hv, 36), logits = A((long)hr * hv, 37);
        for (long i = 0; i < (long)hr * hv; i++) logitsSource[i] *= 8;
        int* headTargets = (int*)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)hr, sizeof(int));
        for (int i = 0; i < hr; i++) headTargets[i] = (i * 7919) % hv;
        double* headLoss = (double*)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)hr, sizeof(double));
        Action<Workers> headRows = w =>
        {
            Buffer.MemoryCopy(logitsSource, logits, (long)hr * hv * 4, (long)hr * hv * 4);
            TiedHeadCrossEntropy.CrossEntropyRows(w, logits, headTargets, headLoss, hr, hv, 1f / N, backward: true);
        };
        cases = [.. cases,
            ("head softmax rows, one chunk (copy of the logits included): 1 row → 8 rows per task + next-row prefetch (SHARPLM_HEAD_SOFTMAX_PREFETCH)",
                With(on => TiedHeadCrossEntropy.PrefetchRows = on, false, headRows), With(on => TiedHeadCrossEntropy.PrefetchRows = on, true, headRows)),
            ("gradient norm, whole arena: 1 range → 4 per task (SHARPLM_GRADNORM_RANGES4)",
                With(on => Training.Optimization.Optimizer.FourRangesPerTask = on, false, gradNorm),
                With(on => Training.Optimization.Optimizer.FourRangesPerTask = on, true, gradNorm)),
            ("zero gradients, whole arena: memset → workers + streaming (SHARPLM_ZERO_PARALLEL)",
                With(on => Training.Optimization.ParallelClear.Enabled = on, false, clear),
                With(on => Training.Optimization.ParallelClear.Enabled = on, true, clear)),
        ];

        // Session 11's 256-bit loops (AVX2 + FMA machines): each op with Vec's float helpers on their scalar code (old) and
        // on their 256-bit loops (new). On an AVX-512 machine both arms run the 512-bit loops.
        static Action<Workers> Vec256(bool on, Action<Workers> run) => With(on => Vec.Loops256 = on, on, run);
        (string, Action<Workers>)[] vec256 =
        [
            ("GeGLU forward", w => GeGlu.Forward(w, hidden, gu, N, I)),
            ("GeGLU backward in the dHidden GEMM's epilogue (GEMM included)", w => GeGlu.BackwardThroughDown(w, dgu, dA, wDown, gu, N, I, H, hidden)),
            ("head softmax rows, one chunk (copy of the logits included)", headRows),
            ("post-norm + add, next norm", w => RmsNorm.ForwardAddNorm(w, y, r1, x, w1, res, z, r2, w2, N, H, 1e-6)),
            ("norm backward into dres, next norm backward", w => RmsNorm.BackwardThen(w, dres, g1, dy, x, r1, w1, true, dx2, g2, x2, r2, w2, N, H)),
            ("QK-norm + RoPE forward", w => QkNormRope.Forward(w, q, qr, k, kr, qkv, wq, wk, cos, sin, qk, 1e-6)),
            ("QK-norm + RoPE backward", w => QkNormRope.Backward(w, dqkv, gq, gk, dq, dk, qkv, qr, kr, wq, wk, cos, sin, qk)),
        ];
        foreach (var (name, run) in vec256) cases = [.. cases, ($"{name}: scalar → 256-bit loops (SHARPLM_VEC256)", Vec256(false, run), Vec256(true, run))];

        Console.WriteLine(BenchSupport.Inv($"# train-ops: {preset}, B={B}, T={T} (one layer's arrays); interleaved A/B, best of {reps}"));
        Console.WriteLine("| op | 1 worker: old ms | new ms | old/new | 2 workers wall: old ms | new ms | old/new |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        using var one = new Workers(1);
        using var two = new Workers(2);
        string? match = BenchSupport.Option(args, "--match");
        foreach (var (name, oldRun, newRun) in cases)
        {
            if (match is not null && !name.Contains(match, StringComparison.Ordinal)) continue;
            var (o1, n1) = Interleaved(reps, () => oldRun(one), () => newRun(one), TokenizerBench.ThreadCpuSeconds);
            var (o2, n2) = Interleaved(reps, () => oldRun(two), () => newRun(two), () => Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency);
            Console.WriteLine(BenchSupport.Inv($"| {name} | {o1 * 1e3:F2} | {n1 * 1e3:F2} | {o1 / n1:F2} | {o2 * 1e3:F2} | {n2 * 1e3:F2} | {o2 / n2:F2} |"));
        }
        foreach (var a in arrays) a.Dispose();
        optimizer.Dispose();
        System.Runtime.InteropServices.NativeMemory.Free(headTargets);
        System.Runtime.InteropServices.NativeMemory.Free(headLoss);
        return 0;
    }

    static (double Old, double New) Interleaved(int reps, Action oldRun, Action newRun, Func<double> clock)
    {
        // Past tier-0 code: at least 3 pairs and 1 s. Tier-1 compiles start only after 100 ms without new tier-0 code and 30
        // calls, so 3 pairs of a 1–2 ms case (norm rows, Σx²) measured tier-0 code (session 11: Vec.SumSquares 1.4 ms tier-0,
        // 0.14 ms tier-1 on 2048 rows of 576).
        long warmUntil = Stopwatch.GetTimestamp() + Stopwatch.Frequency;
        for (int i = 0; i < 3 || Stopwatch.GetTimestamp() < warmUntil; i++) { oldRun(); newRun(); }
        double bo = double.MaxValue, bn = double.MaxValue;
        for (int r = 0; r < reps; r++)
        {
            double t0 = clock(); oldRun(); bo = Math.Min(bo, clock() - t0);
            t0 = clock(); newRun(); bn = Math.Min(bn, clock() - t0);
        }
        return (bo, bn);
    }
}
