using System.Diagnostics;
using System.Globalization;
using SharpLM.Tensors;

namespace SharpLM.Bench.Llama;

/// <summary>
/// The <c>llama</c> suite: SharpLM against llama.cpp (LLamaSharp 0.30.0 CPU backend, llama.cpp b10221) on the
/// same random-weight GGUF, llama-bench style (pp512 = prefill of 512 tokens, tg128 = 128 decode steps), each
/// run in its own child process, engines alternating A B B A … so drift in machine load hits both alike.
/// Prints one markdown row per (model, type) with medians, the ratio, peak RSS, and decode as a fraction of
/// the roofline (triad bandwidth ÷ weight bytes read per token).
/// <code>llama [--models 270m,1b,4b] [--types q4_0,q8_0,bf16,f16] [--threads 2] [--reps 3] [--pp 512] [--tg 128] [--busy] [--prepare] [--no-node]</code>
/// <c>--busy</c> adds a second set of runs with a competing process spinning on one core; <c>--prepare</c>
/// only writes the model files.
/// A second llama.cpp build runs beside LLamaSharp's: the prebuilt CPU backends of npm node-llama-cpp 3.22.1
/// (node-llama-peer/, installed with <c>npm ci</c> on first use), where ggml loads the best variant this CPU
/// supports (cascadelake, icelake, zen4, …). The issue's prefill target is against the faster of the two builds,
/// so the table gives both and the ratio against the faster; <c>--no-node</c> leaves it out, and when node or
/// npm is missing the suite says so and prints n/a in its columns.
/// </summary>
public static class LlamaSuite
{
    /// <summary>
    /// Tokens of the untimed warm-up prompt each engine runs first (node-llama-peer/run.mjs has the same number): long
    /// enough for every engine's multi-token prefill path, so code is compiled and paged in before the timed runs.
    /// </summary>
    public const int WarmupTokens = 32;

    /// <summary>The context every engine creates: room for the timed prompt and steps, or for the warm-up.</summary>
    public static int ContextFor(int pp, int tg) => Math.Max(pp + tg, WarmupTokens) + 8;

    public static int Run(string[] args)
    {
        var models = Opt(args, "--models", "1b").Split(',');
        var types = Opt(args, "--types", "q4_0,q8_0,bf16,f16").Split(',').Select(ParseType).ToArray();
        int threads = int.Parse(Opt(args, "--threads", "2"), CultureInfo.InvariantCulture);
        int reps = int.Parse(Opt(args, "--reps", "3"), CultureInfo.InvariantCulture);
        int pp = int.Parse(Opt(args, "--pp", "512"), CultureInfo.InvariantCulture);
        int tg = int.Parse(Opt(args, "--tg", "128"), CultureInfo.InvariantCulture);
        bool busy = args.Contains("--busy"), prepareOnly = args.Contains("--prepare");

        var paths = new Dictionary<(string, TensorType), string>();
        foreach (var m in models)
            foreach (var t in types) paths[(m, t)] = BenchModels.Ensure(m, t, Console.Error);
        if (prepareOnly) return 0;

        string? nodePeer = args.Contains("--no-node") ? null : NodePeer.Prepare(Console.Error);
        var engines = nodePeer is null ? new[] { "sharplm", "llama.cpp" } : new[] { "sharplm", "llama.cpp", "node-llama-cpp" };

        var bw = MemoryBandwidth.Measure(threads);
        Console.WriteLine(Inv($"machine: {Environment.ProcessorCount} cores, {threads} threads used; triad {bw.TriadGBs:F1} GB/s, read {bw.ReadGBs:F1} GB/s; {reps} runs per engine, medians"));
        Console.WriteLine(nodePeer is null
            ? "peers: llama.cpp = LLamaSharp 0.30.0 (llama.cpp b10221); node-llama-cpp not run"
            : "peers: llama.cpp = LLamaSharp 0.30.0 (llama.cpp b10221); node = npm node-llama-cpp 3.22.1 (its CPU variant is printed per run on stderr); 'best' = the faster of the two per column");
        Console.WriteLine();
        Console.WriteLine(Inv($"| model | type | other core | pp{pp} t/s SharpLM | pp{pp} t/s llama.cpp | pp{pp} t/s node | ratio vs llama.cpp | ratio vs best | tg{tg} t/s SharpLM | tg{tg} t/s llama.cpp | tg{tg} t/s node | ratio vs llama.cpp | ratio vs best | roofline t/s | SharpLM % roof | llama.cpp % roof | peak RSS SharpLM | peak RSS llama.cpp | peak RSS node | alloc B/token |"));
        Console.WriteLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var m in models)
            foreach (var t in types)
            {
                string path = paths[(m, t)];
                foreach (bool loaded in busy ? new[] { false, true } : new[] { false })
                {
                    Process? spinner = loaded ? StartSpinner() : null;
                    try
                    {
                        var results = engines.ToDictionary(e => e, _ => new List<RunResult>());
                        for (int r = 0; r < reps; r++)
                        {
                            // A B C, then C B A: each engine goes first (and last) equally often.
                            foreach (string engine in r % 2 == 0 ? engines : engines.Reverse())
                            {
                                var res = engine == "node-llama-cpp"
                                    ? NodePeer.Run(nodePeer!, path, threads, pp, tg, seed: 100 + r)
                                    : Child(engine, path, threads, pp, tg, seed: 100 + r);
                                results[engine].Add(res);
                                Console.Error.WriteLine(Inv($"  {m} {t}{(loaded ? " busy" : "")} run {r}: {engine,-14} pp {res.PrefillTokensPerSecond,7:F1} t/s  tg {res.DecodeTokensPerSecond,6:F2} t/s  rss {res.PeakRssBytes / 1048576.0,6:F0} MiB{(res.Note is null ? "" : "  (" + res.Note + ")")}"));
                            }
                        }
                        long weightBytes = new FileInfo(path).Length; // every weight is read once per decoded token (tied head included)
                        double roof = bw.TriadGBs * 1e9 / weightBytes;
                        var ours = results["sharplm"];
                        var theirs = results["llama.cpp"];
                        var node = results.GetValueOrDefault("node-llama-cpp");
                        double ppA = Median(ours, x => x.PrefillTokensPerSecond), ppB = Median(theirs, x => x.PrefillTokensPerSecond);
                        double tgA = Median(ours, x => x.DecodeTokensPerSecond), tgB = Median(theirs, x => x.DecodeTokensPerSecond);
                        double rssA = Median(ours, x => x.PeakRssBytes), rssB = Median(theirs, x => x.PeakRssBytes);
                        double? ppC = node is null ? null : Median(node, x => x.PrefillTokensPerSecond);
                        double? tgC = node is null ? null : Median(node, x => x.DecodeTokensPerSecond);
                        double? rssC = node is null ? null : Median(node, x => x.PeakRssBytes);
                        double ppBest = Math.Max(ppB, ppC ?? 0), tgBest = Math.Max(tgB, tgC ?? 0);
                        double alloc = Median(ours, x => x.AllocBytesPerToken ?? 0);
                        Console.WriteLine(Inv($"| {m} | {t} | {(loaded ? "busy" : "idle")} | {ppA:F1} | {ppB:F1} | {Na(ppC, "F1")} | {ppA / ppB:F2}× | {ppA / ppBest:F2}× | {tgA:F2} | {tgB:F2} | {Na(tgC, "F2")} | {tgA / tgB:F2}× | {tgA / tgBest:F2}× | {roof:F1} | {100 * tgA / roof:F0} % | {100 * tgB / roof:F0} % | {rssA / 1048576:F0} MiB | {rssB / 1048576:F0} MiB | {(rssC is { } c ? Inv($"{c / 1048576:F0} MiB") : "n/a")} | {alloc:F0} |"));
                    }
                    finally
                    {
                        if (spinner is not null) { spinner.Kill(); spinner.WaitForExit(); spinner.Dispose(); }
                    }
                }
            }
        return 0;
    }

    static string Na(double? v, string format) => v is { } x ? x.ToString(format, CultureInfo.InvariantCulture) : "n/a";

    static RunResult Child(string engine, string model, int threads, int pp, int tg, int seed)
    {
        string[] args = [.. ChildPrefix(), "llama-child", engine, model, Inv($"{threads}"), Inv($"{pp}"), Inv($"{tg}"), Inv($"{seed}")];
        int rc = BenchSupport.RunToEnd(Environment.ProcessPath!, args, Environment.CurrentDirectory, out string stdout, out string stderr);
        return RunResult.FromChild(engine, rc, stdout, stderr);
    }

    /// <summary>Arguments that start this same bench program (the dll when run through the dotnet host).</summary>
    static string[] ChildPrefix()
    {
        string host = Path.GetFileNameWithoutExtension(Environment.ProcessPath!);
        return host == "dotnet" ? [typeof(LlamaSuite).Assembly.Location] : [];
    }

    /// <summary>A competing CPU load: a separate process spinning one thread until killed.</summary>
    static Process StartSpinner()
    {
        var psi = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
        foreach (var a in ChildPrefix()) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("spin");
        return Process.Start(psi)!;
    }

    public static int Spin(string[] args)
    {
        double x = 1;
        while (true) x = x * 1.0000001 + 1e-9; // never returns; killed by the parent
    }

    static double Median(List<RunResult> rs, Func<RunResult, double> f)
    {
        var v = rs.Select(f).OrderBy(x => x).ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    static TensorType ParseType(string s) =>
        TensorTypeInfo.TryParse(s, out var t) && t is TensorType.Q4_0 or TensorType.Q8_0 or TensorType.BF16 or TensorType.F16 or TensorType.F32
            ? t : throw new ArgumentException($"unknown type '{s}' (q4_0, q8_0, bf16, f16, f32)");

    static string Opt(string[] args, string name, string def)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : def;
    }

    static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
