using System.Diagnostics;
using System.Globalization;
using SharpLM.Kernels;
using SharpLM.Models.Gemma3;
using SharpLM.Tensors;

namespace SharpLM.Bench;

/// <summary>
/// Where a 512-token prefill spends its time: the whole prompt through a session, then each of its parts on the same
/// model with the same thread count — every matrix product of one layer at the session's chunk size, attention of a
/// local and a global layer for every chunk of the prompt — each scaled to the whole prompt. "rest" (norms, RoPE,
/// GeGLU, embedding, cache copies, head) is the whole minus the parts. Wall time, best of <c>--reps</c>: only shares
/// and A/B ratios within one run mean anything on a loaded machine.
/// <c>prefill-profile MODEL.gguf [--threads 2] [--pp 512] [--reps 3]</c>
/// </summary>
public static class PrefillProfileBench
{
    public static int Run(string[] args)
    {
        if (args.Length < 1) { Console.Error.WriteLine("usage: prefill-profile MODEL.gguf [--threads 2] [--pp 512] [--reps 3]"); return 2; }
        int threads = Int(args, "--threads", 2), pp = Int(args, "--pp", 512), reps = Int(args, "--reps", 3);
        KernelThreads.Count = threads;
        using var m = Gemma3Model.Load(args[0]);
        var c = m.Config;
        using var session = m.CreateSession(pp + 8);
        int chunk = session.ChunkSize;
        var rng = new Random(7);
        var prompt = new int[pp];
        for (int i = 0; i < pp; i++) prompt[i] = rng.Next(c.VocabSize);
        var logits = new float[c.VocabSize];
        session.Forward(prompt.AsSpan(0, 32), logits); // warm-up: the multi-token path compiled and paged in
        session.Reset();

        double total = Best(reps, () => { session.Reset(); session.Forward(prompt, logits); });

        int chunks = (pp + chunk - 1) / chunk;
        var lw = m.Weights.Layers[0];
        var mats = new (string name, WeightMatrix w)[] { ("q", lw.Q), ("k", lw.K), ("v", lw.V), ("o", lw.O), ("gate", lw.Gate), ("up", lw.Up), ("down", lw.Down) };
        int maxCols = mats.Max(x => x.w.Cols), maxRows = mats.Max(x => x.w.Rows);
        var x = new float[chunk * maxCols];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        var y = new float[chunk * maxRows];
        var rows = new List<(string, double)>();
        double matTotal = 0;
        foreach (var (name, w) in mats)
        {
            double s = Best(reps, () => { for (int k = 0; k < chunks; k++) MatMul.MatMat(w, x.AsSpan(0, chunk * w.Cols), chunk, y.AsSpan(0, chunk * w.Rows)); });
            s *= c.NumLayers;
            rows.Add(($"matmul {name} [{w.Rows}×{w.Cols}] {w.Type}", s));
            matTotal += s;
        }

        int globals = Enumerable.Range(0, c.NumLayers).Count(c.IsGlobal);
        int localLayer = Enumerable.Range(0, c.NumLayers).First(l => !c.IsGlobal(l));
        int globalLayer = Enumerable.Range(0, c.NumLayers).FirstOrDefault(c.IsGlobal, -1);
        var cache = new KvCache(c, pp + 8);
        var q = new float[chunk * c.QueryWidth];
        var kk = new float[chunk * c.KvWidth];
        var v = new float[chunk * c.KvWidth];
        var att = new float[chunk * c.QueryWidth];
        foreach (var a in new[] { q, kk, v }) for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        var jobs = new Attention.Job[1];
        double Attn(int layer) => Best(reps, () =>
        {
            for (int k = 0; k < chunks; k++)
            {
                int n = Math.Min(chunk, pp - k * chunk);
                Attention.Run(c, layer, [new SequenceRows(cache, k * chunk, 0, n)], jobs, q, kk, v, att);
            }
        });
        double attLocal = Attn(localLayer) * (c.NumLayers - globals);
        double attGlobal = globalLayer < 0 ? 0 : Attn(globalLayer) * globals;
        rows.Add(($"attention local ×{c.NumLayers - globals}", attLocal));
        rows.Add(($"attention global ×{globals}", attGlobal));
        // The whole again after the parts, keeping the faster: load from other processes moves between the two.
        total = Math.Min(total, Best(reps, () => { session.Reset(); session.Forward(prompt, logits); }));
        rows.Add(("rest (norms, RoPE, GeGLU, embedding, cache, head)", total - matTotal - attLocal - attGlobal));

        Console.WriteLine(Inv($"{Path.GetFileName(args[0])}: pp{pp} {pp / total:F1} tok/s ({total:F2} s), {threads} threads, chunk {chunk}"));
        Console.WriteLine("| part | s | share |");
        Console.WriteLine("|---|---:|---:|");
        foreach (var (name, s) in rows) Console.WriteLine(Inv($"| {name} | {s:F3} | {100 * s / total:F1} % |"));
        return 0;
    }

    static double Best(int reps, Action a)
    {
        double best = double.MaxValue;
        for (int r = 0; r < reps; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            a();
            best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        return best;
    }

    static int Int(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
