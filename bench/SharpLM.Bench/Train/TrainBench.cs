using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using SharpLM.Formats;
using SharpLM.Models.Gemma3;
using SharpLM.Training;

namespace SharpLM.Bench.Train;

/// <summary>
/// <c>train</c>: training tokens/s and peak RSS of the tiny and small presets, SharpLM vs PyTorch CPU
/// (Debian python3-torch, <c>scripts/torch_gemma3.py bench</c>) on the same model shape, batch, sequence
/// length, float32, AdamW, the same thread count. Each side runs in its own process (so peak RSS is its own),
/// alternating, several rounds; the table reports medians and the ratio.
/// </summary>
public static class TrainBench
{
    const string Usage = """
        usage: SharpLM.Bench train [--presets tiny,small] [--batch 8] [--seq 256] [--steps 5] [--warmup 1]
                                   [--rounds 3] [--threads 2] [--python /usr/bin/python3]
        Vocabularies: tiny 4,096 (the demo's tokenizer), small 16,384.
        """;

    public static int Run(string[] args)
    {
        if (args.Contains("--help")) { Console.WriteLine(Usage); return 0; }
        string Opt(string name, string fallback)
        {
            int i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        var presets = Opt("--presets", "tiny,small").Split(',');
        int batch = int.Parse(Opt("--batch", "8"), CultureInfo.InvariantCulture);
        int seq = int.Parse(Opt("--seq", "256"), CultureInfo.InvariantCulture);
        int steps = int.Parse(Opt("--steps", "5"), CultureInfo.InvariantCulture);
        int warmup = int.Parse(Opt("--warmup", "1"), CultureInfo.InvariantCulture);
        int rounds = int.Parse(Opt("--rounds", "3"), CultureInfo.InvariantCulture);
        int threads = int.Parse(Opt("--threads", "2"), CultureInfo.InvariantCulture);
        string python = Opt("--python", "/usr/bin/python3");
        string script = FindScript();
        string dir = Path.Combine(Path.GetTempPath(), "sharplm-train-bench");
        Directory.CreateDirectory(dir);

        Console.WriteLine($"# train: SharpLM vs PyTorch {TorchVersion(python)}, float32, AdamW, {threads} threads, B={batch}, T={seq}, {steps} timed steps after {warmup} warmup, {rounds} alternating rounds");
        Console.WriteLine($"# cpu: {CpuName()}, {Environment.ProcessorCount} logical processors");
        Console.WriteLine();
        Console.WriteLine("| model | params | PyTorch tok/s | SharpLM tok/s | speed-up | PyTorch peak RSS | SharpLM peak RSS |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var preset in presets)
        {
            var config = (TrainingPresets.Get(preset) ?? throw new ArgumentException($"unknown preset {preset}")) with
            {
                VocabSize = preset == "tiny" ? 4096 : preset == "small" ? 16384 : TrainingPresets.Get(preset)!.VocabSize,
            };
            string configPath = Path.Combine(dir, $"{preset}.json");
            File.WriteAllText(configPath, HfConfig.ToJson(config, "float32"));
            var torch = new List<(double Tps, double Rss)>();
            var ours = new List<(double Tps, double Rss)>();
            for (int r = 0; r < rounds; r++)
            {
                torch.Add(Child(python, [script, "bench", "--config", configPath, "--batch", I(batch), "--seq", I(seq), "--steps", I(steps), "--warmup", I(warmup), "--threads", I(threads)], threads));
                ours.Add(Child("dotnet", [typeof(TrainBench).Assembly.Location, "train-child", configPath, I(batch), I(seq), I(steps), I(warmup), I(threads)], threads));
            }
            double tT = Median(torch.Select(x => x.Tps)), tO = Median(ours.Select(x => x.Tps));
            double mT = torch.Max(x => x.Rss), mO = ours.Max(x => x.Rss);
            long parameters = new ParameterLayout(config).ParameterCount;
            Console.WriteLine(FormattableString.Invariant(
                $"| {preset} (V={config.VocabSize}) | {parameters / 1e6:F1}M | {tT:F0} ({Spread(torch)}) | {tO:F0} ({Spread(ours)}) | **{tO / tT:F2}×** | {mT:F0} MB | {mO:F0} MB |"));
        }
        return 0;
    }

    static string Spread(List<(double Tps, double Rss)> xs) =>
        FormattableString.Invariant($"{xs.Min(x => x.Tps):F0}–{xs.Max(x => x.Tps):F0}");

    static string I(int v) => v.ToString(CultureInfo.InvariantCulture);

    static double Median(IEnumerable<double> xs)
    {
        var a = xs.Order().ToArray();
        return a.Length % 2 == 1 ? a[a.Length / 2] : (a[a.Length / 2 - 1] + a[a.Length / 2]) / 2;
    }

    /// <summary>Runs one side; its last stdout line is JSON with tokens_per_s and peak_rss_mb.</summary>
    static (double, double) Child(string exe, string[] args, int threads)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var v in new[] { "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS" }) psi.Environment[v] = I(threads);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{exe} {string.Join(' ', args)} failed ({p.ExitCode}):\n{output}\n{err.Result}");
        var j = JsonNode.Parse(output.TrimEnd().Split('\n')[^1])!;
        return (j["tokens_per_s"]!.GetValue<double>(), j["peak_rss_mb"]!.GetValue<double>());
    }

    static string FindScript()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            string s = Path.Combine(d.FullName, "scripts", "torch_gemma3.py");
            if (File.Exists(s)) return s;
        }
        throw new FileNotFoundException("scripts/torch_gemma3.py not found above " + AppContext.BaseDirectory);
    }

    static string TorchVersion(string python)
    {
        try
        {
            var psi = new ProcessStartInfo(python, "-c \"import torch; print(torch.__version__)\"") { RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = Process.Start(psi)!;
            string v = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return p.ExitCode == 0 ? v : "(not found: install python3-torch)";
        }
        catch (System.ComponentModel.Win32Exception) { return "(python not found)"; }
    }

    internal static string CpuName()
    {
        try { return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? "?"; }
        catch (IOException) { return "?"; }
    }
}

/// <summary>
/// <c>train-child CONFIG B T STEPS WARMUP THREADS</c>: SharpLM's side of <see cref="TrainBench"/>, the same
/// protocol as the torch script: random tokens, forward + backward + gradient norm + AdamW per timed step.
/// </summary>
public static class TrainChild
{
    public static int Run(string[] args)
    {
        var config = HfConfig.Read(args[0]);
        int B = int.Parse(args[1], CultureInfo.InvariantCulture), T = int.Parse(args[2], CultureInfo.InvariantCulture);
        int steps = int.Parse(args[3], CultureInfo.InvariantCulture), warmup = int.Parse(args[4], CultureInfo.InvariantCulture);
        int threads = int.Parse(args[5], CultureInfo.InvariantCulture);
        TrainGemmBench.ApplyPrefetchOverride();
        using var workers = new Kernels.Training.Workers(threads);
        // SHARPLM_PROFILE=1: where the timed steps' wall time goes, per parallel job type (stderr).
        // SHARPLM_PROFILE=cpu (meant for THREADS = 1): the same table in the calling thread's CPU time, which
        // holds on a busy machine (others only take turns on the core), for A/B of the non-GEMM ops.
        string? profileMode = Environment.GetEnvironmentVariable("SHARPLM_PROFILE");
        bool profile = profileMode is "1" or "cpu";
        bool cpuClock = profileMode == "cpu";
        if (cpuClock) workers.ProfileClock = () => (long)(TokenizerBench.ThreadCpuSeconds() * 1e9);
        double clockFrequency = cpuClock ? 1e9 : Stopwatch.Frequency;
        double stepClock = 0;
        using var model = new Gemma3TrainingModel<float>(config, workers);
        model.InitializeWeights(0);
        using var opt = new Training.Optimization.Optimizer(model.Layout, new Training.Optimization.OptimizerOptions { WeightDecay = 0.1 });
        var rng = new Random(0);
        var inputs = new int[B * T];
        var targets = new int[B * T];
        var times = new List<double>();
        double first = 0, last = 0;
        var cpu = TimeSpan.Zero;
        // SHARPLM_AB_OVERWRITE_GRADS=1: odd steps clear all gradients (OverwriteFirstGradients off), even steps leave them to
        // their first GEMM (on); prints the median of per-pair ratios in wall and process CPU time (stderr). Same bits either way.
        bool abOverwrite = Environment.GetEnvironmentVariable("SHARPLM_AB_OVERWRITE_GRADS") == "1";
        var abWall = new List<double>[] { [], [] };
        var abCpu = new List<double>[] { [], [] };
        for (int s = 0; s < warmup + steps; s++)
        {
            if (abOverwrite) model.OverwriteFirstGradients = s % 2 == 0;
            for (int i = 0; i < inputs.Length; i++) { inputs[i] = rng.Next(config.VocabSize); targets[i] = rng.Next(config.VocabSize); }
            if (profile && s == warmup) workers.Profile = [];
            long t0 = Stopwatch.GetTimestamp();
            double c0 = TokenizerBench.ThreadCpuSeconds();
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            model.ZeroGradients();
            var (sum, count) = model.ForwardBackward(inputs, targets, B, T, 1.0 / (B * T));
            double norm = opt.GradientNorm(workers, model.Gradients);
            opt.Update(workers, model.Parameters, model.Gradients, 1e-3, norm > 1 ? 1 / norm : 1);
            double dt = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            if (s == 0) first = sum / count;
            last = sum / count;
            if (s >= warmup) { times.Add(dt); stepClock += cpuClock ? TokenizerBench.ThreadCpuSeconds() - c0 : dt; cpu += Process.GetCurrentProcess().TotalProcessorTime - cpu0; }
            if (abOverwrite && s >= warmup) { abWall[s % 2].Add(dt); abCpu[s % 2].Add((Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds); }
        }
        if (abOverwrite)
        {
            int pairs = Math.Min(abWall[0].Count, abWall[1].Count);
            double Ratio(List<double>[] t) => BenchSupport.Median(Enumerable.Range(0, pairs).Select(i => t[1][i] / t[0][i]));
            Console.Error.WriteLine(FormattableString.Invariant(
                $"overwrite-first A/B, {pairs} pairs (clear-all time / overwrite time, median of pairs): wall {Ratio(abWall):F3}×, process CPU {Ratio(abCpu):F3}×; median step clear-all {BenchSupport.Median(abWall[1]) * 1e3:F0} ms, overwrite {BenchSupport.Median(abWall[0]) * 1e3:F0} ms"));
        }
        double rss = PeakRssMb();
        if (workers.Profile is { } table)
        {
            double total = stepClock;
            if (cpuClock) Console.Error.WriteLine(FormattableString.Invariant($"(calling thread CPU time: {total / times.Count * 1e3:F1} ms/step)"));
            foreach (var (type, (ticks, calls, busyTicks)) in table.OrderByDescending(e => e.Value.Ticks))
            {
                // Busy: the workers' time inside the job's items over its wall time × workers (wall clock only).
                string busy = !cpuClock && ticks > 0
                    ? FormattableString.Invariant($"{busyTicks / (ticks * (double)workers.Count),6:P0} busy") : "";
                Console.Error.WriteLine(FormattableString.Invariant(
                    $"{ticks / clockFrequency / total,6:P1} {ticks / clockFrequency / times.Count * 1e3,9:F1} ms/step {calls / times.Count,6} calls/step {busy} {(type.DeclaringType is { } d ? d.Name + "." : "")}{type.Name}"));
            }
            double jobs = table.Values.Sum(v => v.Ticks) / clockFrequency;
            Console.Error.WriteLine(FormattableString.Invariant($"{(total - jobs) / total,6:P1} outside parallel jobs"));
        }
        Console.WriteLine(FormattableString.Invariant(
            $"{{\"peer\": \"sharplm\", \"threads\": {threads}, \"tokens_per_s\": {B * T * times.Count / times.Sum():F1}, \"tokens_per_cpu_s\": {B * T * times.Count / cpu.TotalSeconds:F1}, \"peak_rss_mb\": {rss:F1}, \"loss_first\": {first:F4}, \"loss_last\": {last:F4}}}"));
        return 0;
    }

    static double PeakRssMb()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return double.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024;
        return Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;
    }
}
