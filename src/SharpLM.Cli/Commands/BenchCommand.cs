using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SharpLM.Cli.CommandLine;
using SharpLM.Kernels;
using SharpLM.Models.Gemma3;

namespace SharpLM.Cli.Commands;

/// <summary>
/// <c>sharplm bench MODEL [-p 512] [-n 128] [-t THREADS] [-r REPS] [--json]</c>: llama-bench's two tests on
/// fixed pseudo-random token ids — pp (prefill P tokens from an empty cache) and tg (generate N tokens one at
/// a time after the prefill, feeding each argmax back) — medians over REPS repetitions after one warm-up.
/// Timed: forward passes (and tg's argmax); not timed: loading, tokenization, sampling.
/// </summary>
public static class BenchCommand
{
    const string Usage = "usage: sharplm bench MODEL [-p 512] [-n 128] [-t THREADS] [-r REPS] [--embed-scale bf16|exact] [--json]";

    public static int Run(string[] args)
    {
        if (args.Contains("--help")) { Console.WriteLine(Usage); return 0; }
        var a = CommandArgs.Parse(args, valued: [.. InferenceOptions.Valued, "-p", "-n", "-r"], flags: ["--json"], aliases: InferenceOptions.Aliases);
        string path = a.Positional(0, "MODEL");
        a.NoMorePositionalThan(1);
        int p = a.Int("-p", 512), n = a.Int("-n", 128), reps = a.Int("-r", 5);
        if (p < 1) throw new UsageException("-p must be at least 1 (the decode test runs after the prefill)");
        if (n < 0 || reps < 1) throw new UsageException("-n must be ≥ 0 and -r ≥ 1");
        InferenceOptions.ApplyThreads(a);
        var mode = InferenceOptions.EmbedScale(a);

        using var model = Gemma3Model.Load(path);
        var c = model.Config;
        int context = p + n;
        if (context > c.MaxPositionEmbeddings) Console.Error.WriteLine($"bench: note: {context} positions exceed the model's trained context {c.MaxPositionEmbeddings}");
        var rng = new Random(1234);
        int vocab = Math.Min(c.VocabSize, 262_144);
        var prompt = new int[p];
        for (int i = 0; i < p; i++) prompt[i] = rng.Next(3, vocab);

        using var session = model.CreateSession(context, mode);
        var logits = new float[c.VocabSize];
        var pp = new List<double>();
        var tg = new List<double>();
        for (int r = -1; r < reps; r++) // r = -1: warm-up, not recorded
        {
            session.Reset();
            var sw = Stopwatch.StartNew();
            session.Forward(prompt, logits);
            double ppSeconds = sw.Elapsed.TotalSeconds;
            sw.Restart();
            for (int i = 0; i < n; i++)
            {
                int next = ArgMax(logits);
                session.Forward([next], logits);
                Program.Cancellation.ThrowIfCancellationRequested();
            }
            double tgSeconds = sw.Elapsed.TotalSeconds;
            if (r < 0) continue;
            pp.Add(p / ppSeconds);
            if (n > 0) tg.Add(n / tgSeconds);
            string tgText = n > 0 ? string.Create(CultureInfo.InvariantCulture, $", tg{n} {n / tgSeconds:F2} t/s") : "";
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bench: rep {r + 1}/{reps}: pp{p} {p / ppSeconds:F2} t/s{tgText}"));
        }

        double ppMed = Median(pp), tgMed = n > 0 ? Median(tg) : 0;
        var inv = CultureInfo.InvariantCulture;
        if (a.Flag("--json"))
        {
            using var j = new Utf8JsonWriter(Console.OpenStandardOutput(), new JsonWriterOptions { Indented = true });
            j.WriteStartObject();
            j.WriteString("model", model.Path);
            j.WriteNumber("parameters", model.ParameterCount);
            j.WriteNumber("weight_bytes", model.WeightBytes);
            j.WriteString("tensor_types", string.Join(",", model.Tensors.Select(t => t.Type.ToString()).Distinct().Order()));
            j.WriteNumber("threads", KernelThreads.Count);
            j.WriteNumber("prompt_tokens", p);
            j.WriteNumber("generated_tokens", n);
            j.WriteNumber("repetitions", reps);
            j.WriteNumber("prefill_tokens_per_s", Math.Round(ppMed, 3));
            j.WriteNumber("decode_tokens_per_s", Math.Round(tgMed, 3));
            j.WriteStartArray("prefill_runs");
            foreach (var v in pp) j.WriteNumberValue(Math.Round(v, 3));
            j.WriteEndArray();
            j.WriteStartArray("decode_runs");
            foreach (var v in tg) j.WriteNumberValue(Math.Round(v, 3));
            j.WriteEndArray();
            j.WriteEndObject();
            j.Flush();
            Console.WriteLine();
            return 0;
        }
        string size = string.Create(inv, $"{model.WeightBytes / (double)(1L << 30):F2} GiB");
        string parms = string.Create(inv, $"{model.ParameterCount / 1e9:F2} B");
        string types = string.Join(",", model.Tensors.Select(t => t.Type.ToString()).Distinct().Order());
        Console.WriteLine("| model | size | params | types | threads | test | t/s (median) | min – max |");
        Console.WriteLine("|---|---:|---:|---|---:|---|---:|---:|");
        string name = Path.GetFileName(model.Path.TrimEnd('/'));
        Console.WriteLine(string.Create(inv, $"| {name} | {size} | {parms} | {types} | {KernelThreads.Count} | pp{p} | {ppMed:F2} | {pp.Min():F2} – {pp.Max():F2} |"));
        if (n > 0) Console.WriteLine(string.Create(inv, $"| {name} | {size} | {parms} | {types} | {KernelThreads.Count} | tg{n} | {tgMed:F2} | {tg.Min():F2} – {tg.Max():F2} |"));
        return 0;
    }

    static int ArgMax(float[] x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    static double Median(List<double> v)
    {
        var s = v.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }
}
