using System.Diagnostics;
using System.Globalization;
using SharpLM.Evaluation.Backends;
using SharpLM.Evaluation.Data;
using SharpLM.Evaluation.Tasks;
using SharpLM.Kernels;
using SharpLM.Models.Gemma3;

namespace SharpLM.Bench.Eval;

/// <summary>
/// <c>eval-batch MODEL [--task math500|gsm8k] [--shots K] [--limit N] [--max-tokens N] [--batches 1,4,8] [--reuse both|on|off] [-t THREADS] [-r REPS]</c>:
/// greedy evaluation throughput of SharpLM's engine backend (the one <c>sharplm eval run --model</c> uses) for several
/// <c>--batch</c> sizes, each with and without shared-prefix reuse, on the same task prompts in one process. The
/// peer is the one-at-a-time baseline (batch 1, no reuse: how eval ran before batching); every configuration's
/// outputs must be identical to it, else the suite fails. Repetitions run every configuration in turn, so machine
/// noise hits all alike; medians are reported.
/// </summary>
public static class EvalBatchBench
{
    public static int Run(string[] args)
    {
        if (args.Length < 1 || args[0].StartsWith('-'))
        {
            Console.Error.WriteLine("usage: eval-batch MODEL [--task math500|gsm8k] [--shots K] [--limit 8] [--max-tokens 32] [--batches 1,4,8] [--reuse both|on|off] [-t THREADS] [-r REPS]");
            return 2;
        }
        string modelPath = args[0], task = "math500", reuse = "both";
        int? shots = null;
        int limit = 8, maxTokens = 32, threads = Environment.ProcessorCount, reps = 1;
        int[] batches = [1, 4, 8];
        for (int i = 1; i + 1 < args.Length; i += 2)
        {
            string v = args[i + 1];
            switch (args[i])
            {
                case "--task": task = v; break;
                case "--shots": shots = int.Parse(v, CultureInfo.InvariantCulture); break;
                case "--reuse": reuse = v is "both" or "on" or "off" ? v : throw new ArgumentException("--reuse both|on|off"); break;
                case "--limit": limit = int.Parse(v, CultureInfo.InvariantCulture); break;
                case "--max-tokens": maxTokens = int.Parse(v, CultureInfo.InvariantCulture); break;
                case "--batches": batches = v.Split(',').Select(b => int.Parse(b, CultureInfo.InvariantCulture)).ToArray(); break;
                case "-t": threads = int.Parse(v, CultureInfo.InvariantCulture); break;
                case "-r": reps = int.Parse(v, CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        KernelThreads.Count = threads;
        var prompts = Prompts(task, shots, limit);
        var requests = prompts.Select(p => new GenerationRequest(p, maxTokens, [])).ToList(); // no stops: every sample runs maxTokens
        var (model, tokenizer) = EngineModel.Open(modelPath, null);
        using var _ = model;
        int promptTokens = prompts.Sum(p => tokenizer.Encode(p, addBos: true).Length);
        Console.Error.WriteLine($"eval-batch: {Path.GetFileName(modelPath)}, {task} ({prompts.Count} prompts, {promptTokens} prompt tokens, {maxTokens} new tokens each), {threads} threads");

        DecodeSteps(model, batches, reps);

        var configs = batches.SelectMany(b => new[] { (Batch: b, Reuse: false), (Batch: b, Reuse: true) })
            .Where(c => reuse == "both" || c.Reuse == (reuse == "on")).ToList();
        if (!configs.Contains((1, false))) configs.Insert(0, (1, false));
        var seconds = configs.ToDictionary(c => c, _ => new List<double>());
        var shared = new Dictionary<(int, bool), int>();
        string[]? baseline = null;
        using (var warm = new SharpLMGenerator(model, tokenizer)) warm.Generate([new GenerationRequest(prompts[0], 2, [])], CancellationToken.None);
        for (int r = 0; r < reps; r++)
            foreach (var c in configs)
            {
                using var gen = new SharpLMGenerator(model, tokenizer, slots: c.Batch, reusePrefix: c.Reuse);
                var clock = Stopwatch.StartNew();
                var texts = gen.Generate(requests, CancellationToken.None).Select(x => x.Text).ToArray();
                seconds[c].Add(clock.Elapsed.TotalSeconds);
                shared[c] = gen.LastSharedPrefixTokens;
                if (c == (1, false)) baseline ??= texts;
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"eval-batch: rep {r + 1}: batch {c.Batch} reuse {(c.Reuse ? "on " : "off")}: {seconds[c][^1]:F1} s"));
                if (baseline is not null && !texts.SequenceEqual(baseline))
                {
                    Console.Error.WriteLine($"eval-batch: batch {c.Batch} reuse {c.Reuse}: outputs differ from batch 1 without reuse");
                    return 1;
                }
            }

        var inv = CultureInfo.InvariantCulture;
        double baseSeconds = Median(seconds[(1, false)]);
        Console.WriteLine("| task | prompts | batch | prefix reuse | shared prefix tokens | seconds | samples/s | generated tokens/s | vs batch 1, no reuse |");
        Console.WriteLine("|---|---:|---:|---|---:|---:|---:|---:|---:|");
        foreach (var c in configs)
        {
            double s = Median(seconds[c]);
            Console.WriteLine(string.Create(inv,
                $"| {task} | {prompts.Count} | {c.Batch} | {(c.Reuse ? "on" : "off")} | {shared[c]} | {s:F1} | {prompts.Count / s:F3} | {prompts.Count * maxTokens / s:F1} | {baseSeconds / s:F2}× |"));
        }
        Console.WriteLine("outputs identical across all configurations: yes");
        return 0;
    }

    /// <summary>
    /// The engine alone: tokens/s of <see cref="Gemma3Batch.Decode"/> steps with N sequences (each after 64 random
    /// prompt tokens), N from <paramref name="batches"/>, repetitions interleaved; N = 1 is the one-at-a-time speed.
    /// </summary>
    static void DecodeSteps(Gemma3Model model, int[] batches, int reps)
    {
        const int prompt = 64, steps = 16;
        int V = model.Config.VocabSize, vocab = Math.Min(V, 262_144);
        var rates = batches.ToDictionary(b => b, _ => new List<double>());
        var rng = new Random(1);
        for (int r = 0; r < reps; r++)
            foreach (int n in batches)
            {
                using var batch = model.CreateBatch(n, prompt + steps + 1);
                for (int s = 0; s < n; s++) batch.Prefill(s, Enumerable.Range(0, prompt).Select(_ => rng.Next(vocab)).ToArray(), default);
                var slots = Enumerable.Range(0, n).ToArray();
                var tokens = new int[n];
                var logits = new float[n * V];
                batch.Decode(slots, tokens, logits); // warm-up step
                var clock = Stopwatch.StartNew();
                for (int k = 0; k < steps - 1; k++)
                {
                    for (int s = 0; s < n; s++) tokens[s] = rng.Next(vocab);
                    batch.Decode(slots, tokens, logits);
                }
                rates[n].Add(n * (steps - 1) / clock.Elapsed.TotalSeconds);
            }
        double one = Median(rates[batches[0]]);
        Console.WriteLine("| engine decode step | sequences | tokens/s (all sequences) | vs " + batches[0] + " sequence(s) |");
        Console.WriteLine("|---|---:|---:|---:|");
        foreach (int n in batches)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| Gemma3Batch.Decode | {n} | {Median(rates[n]):F1} | {Median(rates[n]) / one:F2}× |"));
        Console.WriteLine();
    }

    static double Median(List<double> xs)
    {
        var s = xs.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    /// <summary>The task's real prompts (default prompt format, lighteval's seed) from shared/data.</summary>
    static List<string> Prompts(string task, int? shots, int limit)
    {
        string data = Environment.GetEnvironmentVariable("SHARPLM_SHARED_DATA") ?? FindShared();
        var options = new TaskOptions(shots, TaskOptions.LightevalSeed, limit, null);
        GenerativeTask t = task switch
        {
            "math500" => MathTask.Create("math500", EvalDataLoader.LoadMath(Path.Combine(data, "math/math500_test.jsonl")), null, options),
            "gsm8k" => Gsm8kTask.Create(EvalDataLoader.LoadGsm8k(Path.Combine(data, "gsm8k/test.jsonl")),
                EvalDataLoader.LoadGsm8k(Path.Combine(data, "gsm8k/train.jsonl")), options),
            _ => throw new ArgumentException($"unknown task {task} (math500 or gsm8k)"),
        };
        return t.Samples.Select(s => s.Prompt).ToList();
    }

    static string FindShared()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (Directory.Exists(Path.Combine(dir.FullName, "shared", "data"))) return Path.Combine(dir.FullName, "shared", "data");
        throw new DirectoryNotFoundException("shared/data not found: set SHARPLM_SHARED_DATA");
    }
}
