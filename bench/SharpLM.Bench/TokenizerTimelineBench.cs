using System.Diagnostics;
using System.Globalization;
using System.Text;
using SharpLM.Tokenization;
using static SharpLM.Bench.BenchSupport;

namespace SharpLM.Bench;

/// <summary>
/// Where an N-thread batch's time goes against a perfect split of the 1-thread batch: per round (1- and N-thread
/// batches alternating), each worker's first-text start (start-up latency), last-text end (tail imbalance), time
/// inside texts and thread CPU time (slower work per text), and the call's end after the encode phase (the
/// TokenBatch API's layout, and its placing pass under SHARPLM_TOKENIZER_PLACE_IDS=1). Uses <see cref="BatchTimeline"/>.
/// </summary>
/// <remarks>
/// <c>dotnet bench/SharpLM.Bench/bin/Release/net10.0/SharpLM.Bench.dll tokenizer-timeline [--data DIR] [--mb 4] [--rounds 7] [--threads N]</c>.
/// </remarks>
public static class TokenizerTimelineBench
{
    public static int Run(string[] args)
    {
        var options = TokenizerBenchOptions.Parse(args, defaultMb: 4, defaultRounds: 7);
        int rounds = options.Rounds, threads = options.Threads;
        var tok = Gemma3Tokenizer.Load(options.TokenizerPath);
        var (chunks, mbytes) = options.Corpus();
        Console.WriteLine($"# tokenizer batch timeline: {chunks.Count} chunks, {mbytes:F2} MB, {threads} threads");
        Console.WriteLine($"load average at start: {File.ReadAllText("/proc/loadavg").Trim()}");
        var batch = new TokenBatch();
        var variants = new (string Name, Action<int> Run)[]
        {
            ("int[][]", t => tok.EncodeBatch(chunks, maxThreads: t)),
            ("TokenBatch", t => tok.EncodeBatch(chunks, batch, maxThreads: t)),
        };
        foreach (var v in variants) { v.Run(1); v.Run(threads); }
        var timeline = new BatchTimeline();
        static double Ms(long ticks) => BatchTimeline.Seconds(ticks) * 1e3;
        var kinds = new[] { Gemma3Tokenizer.BatchThreadingKind.ParallelFor, Gemma3Tokenizer.BatchThreadingKind.PersistentWorkers };
        foreach (var v in variants)
        {
            var wall = kinds.ToDictionary(k => k, _ => new List<double>());
            var cpu = kinds.ToDictionary(k => k, _ => new List<double>());
            var traced = kinds.ToDictionary(k => k, _ => new List<string>());
            // Per round, the N-thread call's time beyond a perfect split of the 1-thread call, and its parts (ms).
            // extra = start + slower texts + gaps + tail + placing + rest, exactly (see the table's header).
            var split = kinds.ToDictionary(k => k, _ => new List<(double Extra, double Start, double SlowerTexts, double Gaps, double Tail, double Place, double Other)>());
            for (int r = 0; r < rounds; r++)
            {
                // Untimed by the timeline: 1 thread, then N threads with each threading kind, back to back.
                double c0 = BatchTimeline.ThreadCpuSeconds();
                var sw = Stopwatch.StartNew();
                v.Run(1);
                double one = sw.Elapsed.TotalMilliseconds, oneCpu = (BatchTimeline.ThreadCpuSeconds() - c0) * 1e3;
                foreach (var k in kinds)
                {
                    tok.BatchThreading = k;
                    var proc = Process.GetCurrentProcess();
                    var p0 = proc.TotalProcessorTime;
                    sw.Restart();
                    v.Run(threads);
                    double many = sw.Elapsed.TotalMilliseconds;
                    proc.Refresh();
                    wall[k].Add(one / many);
                    cpu[k].Add(oneCpu / (proc.TotalProcessorTime - p0).TotalMilliseconds);
                }
                // Then each kind once more with the timeline (its timestamps and CPU clock reads cost ~1 %).
                foreach (var k in kinds)
                {
                    tok.BatchThreading = k;
                    tok.Timeline = timeline;
                    double steal0 = StealMs();
                    int gc0 = GC.CollectionCount(0);
                    sw.Restart();
                    v.Run(threads);
                    double many = sw.Elapsed.TotalMilliseconds;
                    double steal = StealMs() - steal0;
                    int gcs = GC.CollectionCount(0) - gc0;
                    tok.Timeline = null;
                    var ws = timeline.Workers.Take(threads).ToArray();
                    string per = string.Join("; ", ws.Select(w => Inv($"{Ms(w.FirstStart == long.MaxValue ? 0 : w.FirstStart):F2}/{Ms(w.LastEnd):F1}/{Ms(w.Busy):F1}/{w.CpuSeconds * 1e3:F1}/{w.Texts}")));
                    var active = ws.Where(w => w.Texts > 0).ToArray();
                    // Averages over the N workers (an idle one counts as starting and ending at the call's start).
                    double start = ws.Sum(w => w.Texts > 0 ? Ms(w.FirstStart) : 0) / threads;
                    double slower = (ws.Sum(w => Ms(w.Busy)) - one) / threads;
                    double gaps = ws.Sum(w => w.Texts > 0 ? Ms(w.LastEnd - w.FirstStart - w.Busy) : 0) / threads;
                    double tail = Ms(active.Max(w => w.LastEnd)) - ws.Sum(w => Ms(w.LastEnd)) / threads;
                    double place = Ms(timeline.CallEnd - timeline.EncodeEnd);
                    double extra = many - one / threads;
                    split[k].Add((extra, start, slower, gaps, tail, place, extra - start - slower - gaps - tail - place));
                    traced[k].Add(Inv($"| {r} | {one:F1} ({oneCpu:F1}) | {many:F1} | {one / threads:F1} | {Ms(timeline.EncodeEnd):F1} / {Ms(timeline.CallEnd):F1} | {per} | {ws.Sum(w => Ms(w.Busy)) / one:F2} | {ws.Sum(w => w.CpuSeconds * 1e3) / oneCpu:F2} | {gcs} | {steal:F0} |"));
                }
            }
            tok.BatchThreading = Gemma3Tokenizer.BatchThreadingKind.PersistentWorkers;
            foreach (var k in kinds)
            {
                Console.WriteLine();
                Console.WriteLine($"## EncodeBatch → {v.Name}, {k}: traced {threads}-thread calls; per worker: first text start / last text end / time in texts / thread CPU in texts (ms) / texts");
                Console.WriteLine("| round | 1 thread ms (CPU) | traced N-thread ms | perfect split ms | encode phase end / call end | workers | time in texts ÷ 1-thread | CPU in texts ÷ 1-thread CPU | GCs | host steal ms (all vCPUs, 10 ms ticks) |");
                Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
                traced[k].ForEach(Console.WriteLine);
            }
            Console.WriteLine();
            Console.WriteLine($"| EncodeBatch → {v.Name}, traced: N-thread call − perfect split of the 1-thread call = the columns after it (ms, median over rounds; each column's own median, so they need not add up) | extra | start-up (mean first-text start) | slower texts ((time in texts − 1-thread) ÷ N) | gaps between texts (mean) | tail (latest last end − mean) | after the encode phase (layout; placing pass only with SHARPLM_TOKENIZER_PLACE_IDS=1) | other (call overhead) |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|");
            foreach (var k in kinds)
            {
                var x = split[k];
                double M(Func<(double Extra, double Start, double SlowerTexts, double Gaps, double Tail, double Place, double Other), double> f) => MedianOf(x.Select(f).ToList());
                Console.WriteLine(Inv($"| {k} | {M(e => e.Extra):F1} | {M(e => e.Start):F2} | {M(e => e.SlowerTexts):F1} | {M(e => e.Gaps):F2} | {M(e => e.Tail):F2} | {M(e => e.Place):F2} | {M(e => e.Other):F2} |"));
            }
            Console.WriteLine();
            Console.WriteLine($"| EncodeBatch → {v.Name}, untraced, paired per round | 1-thread ÷ {threads}-thread wall: median (min–max) | 1-thread thread CPU ÷ {threads}-thread process CPU: median (min–max) |");
            Console.WriteLine("|---|---|---|");
            foreach (var k in kinds)
                Console.WriteLine(Inv($"| {k} | {MedianOf(wall[k]):F2}× ({wall[k].Min():F2}–{wall[k].Max():F2}) | {MedianOf(cpu[k]):F2} ({cpu[k].Min():F2}–{cpu[k].Max():F2}) |"));
        }
        CoreSpeeds(tok, chunks, mbytes, rounds);
        Console.WriteLine($"load average at end: {File.ReadAllText("/proc/loadavg").Trim()}");
        return 0;
    }

    /// <summary>
    /// One thread pinned to each vCPU in turn, encoding the corpus: how fast each core is at the moment. A batch over
    /// both cores can be at most (speed 0 + speed 1) ÷ the speed of the core the one-thread arm ran on; on this VM a
    /// core's speed moves with work outside it (the other hyperthread of its physical core, memory), so this bounds
    /// what any batch code can show.
    /// </summary>
    static void CoreSpeeds(Gemma3Tokenizer tok, List<string> chunks, double mbytes, int rounds)
    {
        int cores = Environment.ProcessorCount;
        if (!OperatingSystem.IsLinux() || cores > 64) return;
        var wall = Enumerable.Range(0, cores).Select(_ => new List<double>()).ToArray();
        var cpu = Enumerable.Range(0, cores).Select(_ => new List<double>()).ToArray();
        var failed = false;
        var t = new Thread(() =>
        {
            var output = new List<int>();
            for (int r = 0; r < rounds && !failed; r++)
                for (int c = 0; c < cores; c++)
                {
                    ulong mask = 1UL << c;
                    if (SchedSetAffinity(0, sizeof(ulong), ref mask) != 0) { failed = true; return; }
                    Thread.Yield();
                    double c0 = BatchTimeline.ThreadCpuSeconds();
                    var sw = Stopwatch.StartNew();
                    foreach (var ch in chunks) { output.Clear(); tok.Encode(ch.AsSpan(), output); }
                    wall[c].Add(mbytes / sw.Elapsed.TotalSeconds);
                    cpu[c].Add(mbytes / (BatchTimeline.ThreadCpuSeconds() - c0));
                }
        });
        t.Start();
        t.Join();
        Console.WriteLine();
        if (failed) { Console.WriteLine("per-vCPU speed: sched_setaffinity failed, not measured"); return; }
        Console.WriteLine("| one thread pinned to each vCPU in turn, Encode loop | vCPU | MB/s wall (median, min–max) | MB per thread-CPU-second (median) |");
        Console.WriteLine("|---|---|---|---|");
        for (int c = 0; c < cores; c++)
            Console.WriteLine(Inv($"| | {c} | {MedianOf(wall[c]):F1} ({wall[c].Min():F1}–{wall[c].Max():F1}) | {MedianOf(cpu[c]):F1} |"));
        if (cores == 2)
        {
            var bound = Enumerable.Range(0, rounds).Select(r => (wall[0][r] + wall[1][r]) / Math.Max(wall[0][r], wall[1][r])).ToList();
            Console.WriteLine(Inv($"best 2-thread ÷ 1-thread ratio these core speeds allow, per round ((s0 + s1) ÷ max): median {MedianOf(bound):F2}× (min {bound.Min():F2}, max {bound.Max():F2})"));
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "sched_setaffinity")]
    static extern int SchedSetAffinity(int pid, nint size, ref ulong mask);

    /// <summary>Time the host took the VM's vCPUs away (the steal column of /proc/stat, all CPUs), in ms; NaN off Linux.</summary>
    static double StealMs()
    {
        if (!File.Exists("/proc/stat")) return double.NaN;
        using var r = new StreamReader("/proc/stat");
        var f = r.ReadLine()!.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return f.Length > 8 ? long.Parse(f[8], CultureInfo.InvariantCulture) * 10.0 : double.NaN;   // USER_HZ = 100
    }

    static double MedianOf(List<double> xs) { var s = xs.OrderBy(x => x).ToList(); return s[s.Count / 2]; }
}
