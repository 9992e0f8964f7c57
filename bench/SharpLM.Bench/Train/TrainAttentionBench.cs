using System.Globalization;
using System.Runtime.InteropServices;
using SharpLM.Kernels.Training;
using SharpLM.Training;
using Attention = SharpLM.Training.Ops.Attention;
using AttentionBlocked = SharpLM.Training.Ops.AttentionBlocked;

namespace SharpLM.Bench.Train;

/// <summary>
/// <c>train-attention</c>: the training attention (forward, backward) of a preset's layer shape and its small
/// matrix products alone, in GFLOP/s per core: one worker, <b>CPU time of the calling thread</b> (holds on a busy
/// machine), best of N. FLOPs count only the unmasked (query, key) pairs, so skipped blocks are not credited.
/// </summary>
public static unsafe class TrainAttentionBench
{
    const string Usage = """
        usage: SharpLM.Bench train-attention [--preset small] [--batch 8] [--seq 256] [--reps 5] [--loop N] [--ab prefetch|nn12|save-p|all|blocked]
        --ab: the forward + backward of the global layer with the named switch off (A) and on (B) (all: the default-on
        switches, prefetch and nn12; save-p is off by default and only A/B'd on its own; blocked: A is the per-row scalar
        reference, B the blocked path this CPU runs, 512- or 256-bit), alternating
        every repetition in this process (the VM's speed drifts too much between processes), best of N each and the
        median of the per-pair ratios A/B.
        """;

    public static int Run(string[] args)
    {
        if (args.Contains("--help")) { Console.WriteLine(Usage); return 0; }
        string preset = BenchSupport.Option(args, "--preset") ?? "small";
        int B = int.Parse(BenchSupport.Option(args, "--batch") ?? "8", CultureInfo.InvariantCulture);
        int T = int.Parse(BenchSupport.Option(args, "--seq") ?? "256", CultureInfo.InvariantCulture);
        int reps = int.Parse(BenchSupport.Option(args, "--reps") ?? "5", CultureInfo.InvariantCulture);
        var c = TrainingPresets.Get(preset) ?? throw new ArgumentException($"unknown preset {preset}");
        using var workers = new Workers(1);
        int N = B * T, qkv = c.QueryWidth + 2 * c.KvWidth;
        float* Alloc(long n, int seed)
        {
            var p = (float*)NativeMemory.AlignedAlloc((nuint)(n * 4), 64);
            var r = new Random(seed);
            for (long i = 0; i < n; i++) p[i] = (float)(r.NextDouble() * 2 - 1);
            return p;
        }
        float* q = Alloc((long)N * c.QueryWidth, 1), fused = Alloc((long)N * qkv, 2), dout = Alloc((long)N * c.QueryWidth, 3);
        float* o = Alloc((long)N * c.QueryWidth, 0), lse = Alloc((long)N * c.NumHeads, 0), dq = Alloc((long)N * c.QueryWidth, 0);
        float* dk = Alloc((long)N * c.KvWidth, 0), dfused = Alloc((long)N * qkv, 0);
        int loop = int.Parse(BenchSupport.Option(args, "--loop") ?? "0", CultureInfo.InvariantCulture);
        if (loop > 0)
        {
            // --loop N: only N forward + backward passes of the global layer (a target for perf record).
            var s = new Attention.Shape
            {
                Batch = B, SeqLen = T, Heads = c.NumHeads, KvHeads = c.NumKvHeads, HeadDim = c.HeadDim, Window = int.MaxValue,
                Scale = 1 / Math.Sqrt(c.QueryPreAttnScalar), VStride = qkv,
            };
            float* k = fused + c.QueryWidth, v = fused + c.QueryWidth + c.KvWidth;
            for (int r = 0; r < loop; r++)
            {
                Attention.Forward(workers, o, lse, q, k, v, s);
                Attention.Backward(workers, dq, dk, dfused + c.QueryWidth + c.KvWidth, dout, q, k, v, o, lse, s);
            }
            return 0;
        }
        string? ab = BenchSupport.Option(args, "--ab");
        if (ab != null)
        {
            if (ab is not ("prefetch" or "nn12" or "save-p" or "all" or "blocked")) throw new ArgumentException($"--ab: unknown switch {ab} (prefetch, nn12, save-p, all or blocked)");
            if (ab is "blocked" && !SmallMatMul.Supported) throw new ArgumentException("--ab blocked: this CPU has no blocked path (neither AVX-512 nor AVX2 + FMA)");
            var s = new Attention.Shape
            {
                Batch = B, SeqLen = T, Heads = c.NumHeads, KvHeads = c.NumKvHeads, HeadDim = c.HeadDim, Window = int.MaxValue,
                Scale = 1 / Math.Sqrt(c.QueryPreAttnScalar), VStride = qkv,
            };
            float* k = fused + c.QueryWidth, v = fused + c.QueryWidth + c.KvWidth;
            // save-p: B saves P in the forward and the backward reads it (the model's arena holds it per layer).
            long nP = AttentionBlocked.ProbabilityFloats(s);   // whatever SHARPLM_ATTN_SAVE_P says: the A/B needs the buffer
            if (ab is "save-p" && nP == 0) throw new ArgumentException("--ab save-p: P is not saved at this shape");
            float* probs = nP > 0 ? Alloc(nP, 0) : null, p = null;
            void Set(bool on)
            {
                if (ab is "prefetch" or "all") AttentionBlocked.Prefetch = on;
                if (ab is "nn12" or "all") SmallMatMul.Rows12 = on;
                if (ab is "save-p") p = on ? probs : null;
                if (ab is "blocked") Attention.ForceReference = !on;   // read on this (calling) thread
            }
            Console.WriteLine(BenchSupport.Inv($"# train-attention --ab {ab}: {preset}, B={B}, T={T}, global layer; 1 worker, thread CPU time, {reps} alternating pairs"));
            Console.WriteLine("| part | A (off) ms, best | B (on) ms, best | median A/B |");
            Console.WriteLine("|---|---|---|---|");
            foreach (var (part, run) in new (string, Action)[]
            {
                ("forward", () => Attention.Forward(workers, o, lse, q, k, v, s, p)),
                ("backward", () => Attention.Backward(workers, dq, dk, dfused + c.QueryWidth + c.KvWidth, dout, q, k, v, o, lse, s, p)),
            })
            {
                var ratios = new List<double>();
                double bestA = double.MaxValue, bestB = double.MaxValue;
                Set(false); run(); Set(true); run();
                for (int r = 0; r < reps; r++)
                {
                    Set(false);
                    double t0 = TokenizerBench.ThreadCpuSeconds(); run(); double ta = TokenizerBench.ThreadCpuSeconds() - t0;
                    Set(true);
                    t0 = TokenizerBench.ThreadCpuSeconds(); run(); double tb = TokenizerBench.ThreadCpuSeconds() - t0;
                    bestA = Math.Min(bestA, ta); bestB = Math.Min(bestB, tb); ratios.Add(ta / tb);
                }
                ratios.Sort();
                Console.WriteLine(BenchSupport.Inv($"| {part} | {bestA * 1e3:F2} | {bestB * 1e3:F2} | {ratios[ratios.Count / 2]:F3} |"));
            }
            Set(true);
            return 0;
        }
        Console.WriteLine(BenchSupport.Inv($"# train-attention: {preset}, B={B}, T={T}, {c.NumHeads} heads over {c.NumKvHeads} KV heads of {c.HeadDim}; 1 worker, thread CPU time, best of {reps}"));
        Console.WriteLine("| part | window | ms | GFLOP/s per core |");
        Console.WriteLine("|---|---|---|---|");
        foreach (int window in new[] { c.SlidingWindow, int.MaxValue }.Distinct())
        {
            var s = new Attention.Shape
            {
                Batch = B, SeqLen = T, Heads = c.NumHeads, KvHeads = c.NumKvHeads, HeadDim = c.HeadDim, Window = window,
                Scale = 1 / Math.Sqrt(c.QueryPreAttnScalar), VStride = qkv,
            };
            double pairs = 0;
            for (int i = 0; i < T; i++) pairs += Math.Min(i + 1, (long)window);
            double flopFwd = 2.0 * 2 * pairs * c.HeadDim * B * c.NumHeads, flopBwd = 2.5 * flopFwd;
            float* k = fused + c.QueryWidth, v = fused + c.QueryWidth + c.KvWidth;
            double fwd = Best(reps, () => Attention.Forward(workers, o, lse, q, k, v, s));
            double bwd = Best(reps, () => Attention.Backward(workers, dq, dk, dfused + c.QueryWidth + c.KvWidth, dout, q, k, v, o, lse, s));
            string w = window == int.MaxValue ? "global" : window.ToString(CultureInfo.InvariantCulture);
            Console.WriteLine(BenchSupport.Inv($"| forward | {w} | {fwd * 1e3:F2} | {flopFwd / fwd / 1e9:F1} |"));
            Console.WriteLine(BenchSupport.Inv($"| backward | {w} | {bwd * 1e3:F2} | {flopBwd / bwd / 1e9:F1} |"));
        }
        // The products inside one block of 32 queries at T keys: S = Q·Kᵀ, O = P·V, dK += dSᵀ·Q.
        int d = c.HeadDim, tp = (T + 15) & ~15;
        float* a = Alloc(Math.Max(32L * Math.Max(tp, c.QueryWidth), (long)d * (tp + 16)), 4), bm = Alloc((long)tp * Math.Max(tp, 64), 5), cm = Alloc((long)tp * tp, 6);
        const int inner = 200;
        void Product(string name, int m, int n, int kk, Action run)
        {
            double t = Best(reps, () => { for (int r = 0; r < inner; r++) run(); });
            Console.WriteLine(BenchSupport.Inv($"| SmallMatMul {name} {m}×{n}×{kk} | | {t / inner * 1e6:F1} µs | {2.0 * m * n * kk * inner / t / 1e9:F1} |"));
        }
        Product("NN", 32, tp, d, () => SmallMatMul.NN(32, tp, d, a, d, bm, tp, cm, tp, false));
        Product("NN (A rows as in q)", 32, tp, d, () => SmallMatMul.NN(32, tp, d, a, c.QueryWidth, bm, tp + 16, cm, tp, false));
        Product("NN", 32, d, T, () => SmallMatMul.NN(32, d, T, a, tp, bm, d, cm, d, false));
        Product("TN", T, d, 32, () => SmallMatMul.TN(T, d, 32, a, tp, bm, d, cm, d, true));
        return 0;
    }

    static double Best(int reps, Action run)
    {
        run();
        double best = double.MaxValue;
        for (int r = 0; r < reps; r++)
        {
            double t0 = TokenizerBench.ThreadCpuSeconds();
            run();
            best = Math.Min(best, TokenizerBench.ThreadCpuSeconds() - t0);
        }
        return best;
    }
}
