using System.Diagnostics;
using SharpLM.Kernels;
using SharpLM.Models.Gemma3;
using SharpLM.Tensors;
using static SharpLM.Bench.BenchSupport;

namespace SharpLM.Bench.Engine;

/// <summary>
/// Where one decode step's time goes: the whole step (<c>Gemma3Session.Forward</c> of one token) beside the
/// same step's matrix products alone (every layer's Q, K, V, O, gate, up, down and the head, called exactly as
/// the forward calls them, on activations of the same scale), per matrix kind as ms and GB/s of weights read.
/// Step − matrices = what the step spends outside the matrix kernels (attention, norms, RoPE, embedding, pool
/// wake-ups). Rounds alternate full steps and matrix-only steps, so load drift hits both; medians of rounds.
/// Also prints process CPU time per step (all threads): work per step that another process's load inflates
/// much less than the wall clock.
/// <code>decode-profile MODEL.gguf [--threads 2] [--steps 16] [--rounds 5]</code>
/// </summary>
public static class DecodeProfile
{
    public static int Run(string[] args)
    {
        if (args.Length < 1) { Console.Error.WriteLine("usage: decode-profile MODEL.gguf [--threads 2] [--steps 16] [--rounds 5]"); return 2; }
        int threads = int.Parse(Option(args, "--threads") ?? "2");
        int steps = int.Parse(Option(args, "--steps") ?? "16");
        int rounds = int.Parse(Option(args, "--rounds") ?? "5");
        KernelThreads.Count = threads;
        using var m = Gemma3Model.Load(args[0]);
        var c = m.Config;
        var w = m.Weights;
        int ctx = rounds * steps + 64;
        using var session = m.CreateSession(ctx);
        var logits = new float[c.VocabSize];
        var rng = new Random(7);
        session.Forward([.. Enumerable.Range(0, 32).Select(_ => rng.Next(c.VocabSize))], logits);
        session.Forward([rng.Next(c.VocabSize)], logits);
        session.Reset();

        // Matrix-only step: inputs of unit scale (the forward feeds normed activations to every matrix).
        int H = c.HiddenSize, I = c.IntermediateSize, qW = c.QueryWidth, kvW = c.KvWidth;
        float[] Rand(int n) { var a = new float[n]; for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1); return a; }
        float[] xH = Rand(H), xQ = Rand(qW), xI = Rand(I);
        float[] q = new float[qW], k = new float[kvW], v = new float[kvW], o = new float[H], g = new float[I], u = new float[I];
        string[] kinds = ["qkv", "o", "gate+up", "down", "head"];
        long[] bytes = new long[kinds.Length];
        foreach (var lw in w.Layers)
        {
            bytes[0] += lw.Q.ByteLength + lw.K.ByteLength + lw.V.ByteLength;
            bytes[1] += lw.O.ByteLength;
            bytes[2] += lw.Gate.ByteLength + lw.Up.ByteLength;
            bytes[3] += lw.Down.ByteLength;
        }
        bytes[4] = w.Head.ByteLength;

        var stepMs = new List<double>();
        var stepCpuMs = new List<double>();
        var matMs = new List<double>();
        var matCpuMs = new List<double>();
        var kindMs = kinds.Select(_ => new List<double>()).ToArray();
        var proc = Process.GetCurrentProcess();
        int pos = 0;
        for (int r = 0; r < rounds; r++)
        {
            // Full steps.
            var one = new int[1];
            proc.Refresh();
            var cpu0 = proc.TotalProcessorTime;
            long t0 = Stopwatch.GetTimestamp();
            for (int s = 0; s < steps; s++, pos++)
            {
                one[0] = rng.Next(c.VocabSize);
                session.Forward(one, logits);
            }
            stepMs.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds / steps);
            proc.Refresh();
            stepCpuMs.Add((proc.TotalProcessorTime - cpu0).TotalMilliseconds / steps);

            // Matrix products only, per kind.
            var kindTicks = new long[kinds.Length];
            proc.Refresh();
            cpu0 = proc.TotalProcessorTime;
            t0 = Stopwatch.GetTimestamp();
            for (int s = 0; s < steps; s++)
            {
                foreach (var lw in w.Layers)
                {
                    long a = Stopwatch.GetTimestamp();
                    MatMul.MatMat(lw.Q, xH, 1, q);
                    MatMul.MatMat(lw.K, xH, 1, k);
                    MatMul.MatMat(lw.V, xH, 1, v);
                    long b = Stopwatch.GetTimestamp(); kindTicks[0] += b - a;
                    MatMul.MatMat(lw.O, xQ, 1, o);
                    a = Stopwatch.GetTimestamp(); kindTicks[1] += a - b;
                    MatMul.MatMat(lw.Gate, xH, 1, g);
                    MatMul.MatMat(lw.Up, xH, 1, u);
                    b = Stopwatch.GetTimestamp(); kindTicks[2] += b - a;
                    MatMul.MatMat(lw.Down, xI, 1, o);
                    a = Stopwatch.GetTimestamp(); kindTicks[3] += a - b;
                }
                long h = Stopwatch.GetTimestamp();
                MatMul.MatMat(w.Head, xH, 1, logits);
                kindTicks[4] += Stopwatch.GetTimestamp() - h;
            }
            matMs.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds / steps);
            proc.Refresh();
            matCpuMs.Add((proc.TotalProcessorTime - cpu0).TotalMilliseconds / steps);
            for (int i = 0; i < kinds.Length; i++) kindMs[i].Add(kindTicks[i] * 1000.0 / Stopwatch.Frequency / steps);
        }

        double Med(List<double> l) { var s = l.Order().ToArray(); return s[s.Length / 2]; }
        long total = bytes.Sum();
        Console.WriteLine(Inv($"{Path.GetFileName(args[0])}: {threads} threads, {rounds} rounds × {steps} steps, medians; weights read per step {total / 1e6:F0} MB"));
        Console.WriteLine(Inv($"step: {Med(stepMs):F2} ms ({1000 / Med(stepMs):F2} t/s, {total / Med(stepMs) / 1e6:F1} GB/s), CPU {Med(stepCpuMs):F2} ms"));
        Console.WriteLine(Inv($"matrices only: {Med(matMs):F2} ms ({total / Med(matMs) / 1e6:F1} GB/s), CPU {Med(matCpuMs):F2} ms; outside the matrices: {Med(stepMs) - Med(matMs):F2} ms per step"));
        Console.WriteLine("| matrices | MB per step | ms per step | GB/s |");
        Console.WriteLine("|---|---:|---:|---:|");
        for (int i = 0; i < kinds.Length; i++)
            Console.WriteLine(Inv($"| {kinds[i]} | {bytes[i] / 1e6:F0} | {Med(kindMs[i]):F2} | {bytes[i] / Med(kindMs[i]) / 1e6:F1} |"));
        return 0;
    }
}
