using System.Diagnostics;
using System.Globalization;
using SharpLM.Bench.Llama;
using SharpLM.Kernels;
using SharpLM.Models.Gemma3;

namespace SharpLM.Bench.Engine;

/// <summary>
/// <c>engine MODEL [-p 512] [-n 128] [-t THREADS] [-r REPS]</c>: SharpLM's engine and llama.cpp on the same GGUF
/// in one run, timed the same way (llama-bench's pp/tg: prefill P random ids into an empty cache with logits
/// for the last; then N single-token steps from an empty cache). Repetitions alternate the two engines so
/// machine noise hits both alike; prints medians and the SharpLM/llama.cpp ratio.
/// </summary>
public static class EngineBench
{
    public static int Run(string[] args)
    {
        if (args.Length < 1)
        {
            Console.Error.WriteLine("usage: engine MODEL [-p 512] [-n 128] [-t THREADS] [-r REPS]");
            return 2;
        }
        string model = args[0];
        int p = 512, n = 128, threads = Environment.ProcessorCount, reps = 3;
        for (int i = 1; i + 1 < args.Length; i += 2)
        {
            int v = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "-p": p = v; break;
                case "-n": n = v; break;
                case "-t": threads = v; break;
                case "-r": reps = v; break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        KernelThreads.Count = threads;
        var ours = new List<(double Pp, double Tg)>();
        var theirs = new List<(double Pp, double Tg)>();
        using (var m = Gemma3Model.Load(model))
        {
            Console.Error.WriteLine($"engine: {Path.GetFileName(model)}: {m.ParameterCount / 1e6:F0}M parameters, {m.WeightBytes / (double)(1 << 20):F0} MiB, {threads} threads");
            SharpLmOnce(m, 8, 2, seed: 0); // warm-up (JIT, page cache)
            for (int r = 0; r < reps; r++)
            {
                ours.Add(SharpLmOnce(m, p, n, seed: r + 1));
                var l = LlamaChild(model, threads, p, n, r + 1);
                theirs.Add((l.PrefillTokensPerSecond, l.DecodeTokensPerSecond));
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"engine: rep {r + 1}: SharpLM pp {ours[^1].Pp:F1} tg {ours[^1].Tg:F2} | llama.cpp pp {theirs[^1].Pp:F1} tg {theirs[^1].Tg:F2}"));
            }
        }
        double oPp = Median(ours.Select(x => x.Pp)), oTg = Median(ours.Select(x => x.Tg));
        double lPp = Median(theirs.Select(x => x.Pp)), lTg = Median(theirs.Select(x => x.Tg));
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"| model | threads | test | SharpLM t/s | llama.cpp t/s | SharpLM / llama.cpp |");
        Console.WriteLine("|---|---:|---|---:|---:|---:|");
        Console.WriteLine(string.Create(inv, $"| {Path.GetFileName(model)} | {threads} | pp{p} | {oPp:F2} | {lPp:F2} | {oPp / lPp:F2} |"));
        Console.WriteLine(string.Create(inv, $"| {Path.GetFileName(model)} | {threads} | tg{n} | {oTg:F2} | {lTg:F2} | {oTg / lTg:F2} |"));
        return 0;
    }

    /// <summary>One pp + tg measurement of SharpLM, timed like <see cref="LlamaCppRunner"/>.</summary>
    static (double Pp, double Tg) SharpLmOnce(Gemma3Model m, int p, int n, int seed)
    {
        var rng = new Random(seed);
        int vocab = Math.Min(m.Config.VocabSize, 262_144);
        var prompt = Enumerable.Range(0, p).Select(_ => rng.Next(vocab)).ToArray();
        var logits = new float[m.Config.VocabSize];
        using var s = m.CreateSession(p + n + 8);
        var sw = Stopwatch.StartNew();
        s.Forward(prompt, logits);
        double pp = p / sw.Elapsed.TotalSeconds;
        s.Reset();
        sw.Restart();
        for (int i = 0; i < n; i++) s.Forward([rng.Next(vocab)], logits);
        double tg = n / sw.Elapsed.TotalSeconds;
        return (pp, tg);
    }

    /// <summary>llama.cpp in a child process (LLamaSharp configures its native library once per process).</summary>
    static RunResult LlamaChild(string model, int threads, int p, int n, int seed)
    {
        var psi = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        // Under `dotnet SharpLM.Bench.dll` the process path is dotnet itself: pass the assembly first.
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") psi.ArgumentList.Add(typeof(EngineBench).Assembly.Location);
        foreach (var a in new[] { "llama-child", "llama.cpp", model, threads.ToString(CultureInfo.InvariantCulture),
            p.ToString(CultureInfo.InvariantCulture), n.ToString(CultureInfo.InvariantCulture), seed.ToString(CultureInfo.InvariantCulture) })
            psi.ArgumentList.Add(a);
        using var proc = Process.Start(psi)!;
        string output = proc.StandardOutput.ReadToEnd();
        proc.WaitForExit();
        if (proc.ExitCode != 0) throw new InvalidOperationException($"llama.cpp child exited with {proc.ExitCode}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(RunResult.FromJsonLine).LastOrDefault(r => r is not null)
            ?? throw new InvalidOperationException("llama.cpp child printed no result");
    }

    static double Median(IEnumerable<double> v)
    {
        var s = v.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}
