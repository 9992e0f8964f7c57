using System.Diagnostics;
using System.Globalization;
using System.Text;
using SharpLM.Tokenization;
using static SharpLM.Bench.BenchSupport;

namespace SharpLM.Bench;

/// <summary>
/// Why batch encoding does or does not scale over cores: the same batch on 1 and N threads, alternating in one
/// process, with the counts that stay meaningful on a shared machine — managed bytes allocated per MB encoded,
/// GC collections and pause time, process CPU time per MB (work per CPU-second), word-cache misses per MB — and
/// a contention probe: N persistent threads each encoding the whole corpus on their own (the same work per
/// thread as one thread alone), whose per-thread CPU time per MB shows what sharing the caches and memory costs.
/// Both batch APIs are measured: an array per text, and one reused <see cref="TokenBatch"/> (no allocation).
/// </summary>
/// <remarks>
/// <c>dotnet run -c Release --project bench/SharpLM.Bench -- tokenizer-scaling [--data DIR] [--mb 4] [--rounds 5] [--threads N]</c>.
/// </remarks>
public static class TokenizerScalingBench
{
    public static int Run(string[] args)
    {
        var options = TokenizerBenchOptions.Parse(args, defaultMb: 4, defaultRounds: 5);
        int rounds = options.Rounds, threads = options.Threads;
        var tok = Gemma3Tokenizer.Load(options.TokenizerPath);
        var (chunks, mbytes) = options.Corpus();
        Console.WriteLine($"# tokenizer scaling diagnosis: {chunks.Count} chunks, {mbytes:F2} MB, {Environment.ProcessorCount} cores, gcServer={System.Runtime.GCSettings.IsServerGC}");
        Console.WriteLine($"load average at start: {LoadAverage()}");

        // Cold pass on a fresh thread: its word cache starts empty, so misses = distinct pieces (while they fit).
        (long Hits, long Misses, long Long, long Overflow) coldCounts = default;
        var cold = new Thread(() =>
        {
            var before = tok.WordCacheCounts();
            foreach (var c in chunks) tok.Encode(c);
            var after = tok.WordCacheCounts();
            coldCounts = (after.Hits - before.Hits, after.Misses - before.Misses, after.LongPieces - before.LongPieces, after.OverflowMisses - before.OverflowMisses);
        });
        cold.Start();
        cold.Join();
        Console.WriteLine(Inv($"cold pass (fresh thread): {coldCounts.Hits + coldCounts.Misses:N0} pieces, {coldCounts.Misses:N0} misses ({coldCounts.Misses / mbytes:N0}/MB; of them {coldCounts.Long:N0} pieces over 64 units, never cached, and {coldCounts.Overflow:N0} too big for a shared record)"));

        // ---- EncodeBatch (an array per text, and into a reused TokenBatch) at 1 and N threads, alternating ----
        var batch = new TokenBatch();
        var variants = new (string Name, Action<int> Run)[]
        {
            ("EncodeBatch → int[][]", t => tok.EncodeBatch(chunks, maxThreads: t)),
            ("EncodeBatch → TokenBatch", t => tok.EncodeBatch(chunks, batch, maxThreads: t)),
            // Session 9's protocol (SHARPLM_TOKENIZER_PLACE_IDS=1): a second parallel pass copies every id into place.
            ("EncodeBatch → TokenBatch, placing pass", t =>
            {
                tok.PlaceIds = true;
                try { tok.EncodeBatch(chunks, batch, maxThreads: t); }
                finally { tok.PlaceIds = TokenBatch.PlaceIdsByDefault; }
            }),
            // A caller that needs the contiguous buffer: the default protocol plus the serial copy Ids makes on demand.
            ("EncodeBatch → TokenBatch, then Ids", t =>
            {
                tok.EncodeBatch(chunks, batch, maxThreads: t);
                if (batch.Ids.Length != batch.TokenCount) throw new InvalidOperationException("Ids and TokenCount disagree");
            }),
        };
        Console.WriteLine($"default protocol: {(TokenBatch.PlaceIdsByDefault ? "placing pass (SHARPLM_TOKENIZER_PLACE_IDS=1)" : "ids left in the workers' parts")}");
        var counts = new[] { 1, threads };
        var rows = new Dictionary<(string, int), List<Sample>>();
        foreach (var v in variants) foreach (int t in counts) { v.Run(t); rows[(v.Name, t)] = []; }
        // The one-thread Encode loop (wall clock, this thread) in the same rounds, as the targets compare against it too.
        var encodeLoop = new List<double>();
        var loopOutput = new List<int>();
        for (int r = 0; r < rounds; r++)
        {
            var sw = Stopwatch.StartNew();
            foreach (var c in chunks) { loopOutput.Clear(); tok.Encode(c.AsSpan(), loopOutput); }
            encodeLoop.Add(mbytes / sw.Elapsed.TotalSeconds);
            foreach (var v in variants)
                foreach (int t in counts)
                    rows[(v.Name, t)].Add(Measure(tok, mbytes, () => v.Run(t)));
        }
        Console.WriteLine();
        Console.WriteLine("| batch | threads | MB/s wall | scaling | MB per process-CPU-second | alloc bytes/MB | GCs per run (gen0+1+2, mean) | GC pause ms/run (mean) | cache misses/MB (long, overflow) | front-table refills/MB (identical, skipped) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var v in variants)
        {
            double baseWall = 0;
            foreach (int t in counts)
            {
                var list = rows[(v.Name, t)];
                var m = Sample.Median(list);
                if (t == 1) baseWall = m.MBps;
                Console.WriteLine(Inv($"| {v.Name} | {t} | {m.MBps:F1} | {m.MBps / baseWall:F2}× | {m.MBperCpuS:F1} | {m.AllocPerMB:N0} | {list.Average(x => x.Gcs):F2} | {list.Average(x => x.PauseMs):F1} | {m.MissesPerMB:N0} ({m.LongPerMB:N0}, {m.OverflowPerMB:N0}) | {m.RefillsPerMB:N0} ({m.SkippedPerMB:N0}) |"));
            }
        }

        // Ratios within each round (1 and N threads measured back to back): the memory side of this host moves a thread's
        // speed by up to 1.4× from round to round, so a ratio of two runs seconds apart is steadier than a ratio of medians.
        Console.WriteLine();
        Console.WriteLine(Inv($"| paired per round (wall clock) | N-thread batch ÷ 1-thread batch: median (min–max) | N-thread batch ÷ 1-thread Encode loop: median (min–max) |"));
        Console.WriteLine("|---|---|---|");
        foreach (var v in variants)
        {
            var byBatch = Enumerable.Range(0, rounds).Select(r => rows[(v.Name, threads)][r].MBps / rows[(v.Name, 1)][r].MBps).ToList();
            var byLoop = Enumerable.Range(0, rounds).Select(r => rows[(v.Name, threads)][r].MBps / encodeLoop[r]).ToList();
            Console.WriteLine(Inv($"| {v.Name}, {threads} threads | {Median(byBatch):F2}× ({byBatch.Min():F2}–{byBatch.Max():F2}) | {Median(byLoop):F2}× ({byLoop.Min():F2}–{byLoop.Max():F2}) |"));
        }
        Console.WriteLine(Inv($"1-thread Encode loop (wall clock, same rounds): median {Median(encodeLoop):F1} MB/s"));

        // The session-10 A/B, paired per round: ids left in the parts ÷ the placing pass, at each thread count (at one
        // thread both protocols run the same code: that row is the control), and each protocol's CPU per MB, N ÷ 1 thread.
        Console.WriteLine();
        Console.WriteLine("| paired per round: TokenBatch (parts) ÷ TokenBatch (placing pass) | threads | wall speed: median (min–max) | MB per process-CPU-second: median (min–max) |");
        Console.WriteLine("|---|---|---|---|");
        foreach (int t in counts)
        {
            var parts = rows[(variants[1].Name, t)];
            var placed = rows[(variants[2].Name, t)];
            var wall = Enumerable.Range(0, rounds).Select(r => parts[r].MBps / placed[r].MBps).ToList();
            var cpu = Enumerable.Range(0, rounds).Select(r => parts[r].MBperCpuS / placed[r].MBperCpuS).ToList();
            Console.WriteLine(Inv($"| | {t} | {Median(wall):F3}× ({wall.Min():F3}–{wall.Max():F3}) | {Median(cpu):F3}× ({cpu.Min():F3}–{cpu.Max():F3}) |"));
        }
        Console.WriteLine();
        Console.WriteLine($"| paired per round: process CPU per MB, {threads} threads ÷ 1 thread (1.00 = no extra work per byte at {threads} threads) | median (min–max) |");
        Console.WriteLine("|---|---|");
        foreach (var v in variants)
        {
            var ratio = Enumerable.Range(0, rounds).Select(r => rows[(v.Name, 1)][r].MBperCpuS / rows[(v.Name, threads)][r].MBperCpuS).ToList();
            Console.WriteLine(Inv($"| {v.Name} | {Median(ratio):F3} ({ratio.Min():F3}–{ratio.Max():F3}) |"));
        }

        // ---- contention probe: persistent threads, each encoding the whole corpus by itself ----
        Console.WriteLine();
        Console.WriteLine("| independent Encode loops (each thread the whole corpus, in the same order, warm) | threads | MB per thread-CPU-second (median over threads and rounds) |");
        Console.WriteLine("|---|---|---|");
        foreach (int t in counts)
        {
            var rates = new List<double>();
            using var start = new Barrier(t);
            var ths = Enumerable.Range(0, t).Select(k => new Thread(() =>
            {
                var output = new List<int>();
                for (int r = 0; r < rounds + 1; r++)
                {
                    start.SignalAndWait();
                    double c0 = TokenizerBench.ThreadCpuSeconds();
                    foreach (var c in chunks) { output.Clear(); tok.Encode(c.AsSpan(), output); }
                    double rate = mbytes / (TokenizerBench.ThreadCpuSeconds() - c0);
                    if (r > 0) lock (rates) rates.Add(rate);
                }
            })).ToList();
            ths.ForEach(x => x.Start());
            ths.ForEach(x => x.Join());
            rates.Sort();
            Console.WriteLine(Inv($"| Encode(text, List<int>) | {t} | {rates[rates.Count / 2]:F1} |"));
        }
        // ---- the same threads, but taking chunks in turn from a shared counter (the batch's hand-out, none of its output
        // handling): each thread encodes different texts, so unlike the loops above (which walk the corpus in the same
        // order and warm the shared cache lines for each other) this is the scaling the memory system allows the batch.
        Console.WriteLine();
        Console.WriteLine("| shared counter, no batch (threads take chunks in turn; output cleared per chunk) | threads | MB/s wall (median) | scaling | MB per thread-CPU-second (median) |");
        Console.WriteLine("|---|---|---|---|---|");
        double sharedBase = 0;
        var chunkBytes = chunks.Select(c => Encoding.UTF8.GetByteCount(c)).ToArray();
        foreach (int t in counts)
        {
            var walls = new List<double>();
            var rates = new List<double>();
            int next = -1, round = 0;
            var clock = new Stopwatch();
            using var start = new Barrier(t, _ => { next = -1; clock.Restart(); });
            using var end = new Barrier(t, _ => { if (round++ > 0) walls.Add(mbytes / clock.Elapsed.TotalSeconds); });
            var ths = Enumerable.Range(0, t).Select(k => new Thread(() =>
            {
                var output = new List<int>();
                for (int r = 0; r < rounds + 1; r++)
                {
                    start.SignalAndWait();
                    var (bytes, cpu) = TokenizerBench.EncodeTakingTurns(tok, chunks, chunkBytes, ref next, output);
                    if (r > 0 && cpu > 0) lock (rates) rates.Add(bytes / 1e6 / cpu);
                    end.SignalAndWait();
                }
            })).ToList();
            ths.ForEach(x => x.Start());
            ths.ForEach(x => x.Join());
            double wall = Median(walls);
            if (t == 1) sharedBase = wall;
            Console.WriteLine(Inv($"| Encode(text, List<int>) | {t} | {wall:F1} | {wall / sharedBase:F2}× | {Median(rates):F1} |"));
        }
        Console.WriteLine($"load average at end: {LoadAverage()}");
        return 0;
    }

    sealed record Sample(double MBps, double MBperCpuS, double AllocPerMB, double Gcs, double PauseMs, double MissesPerMB, double LongPerMB = 0, double OverflowPerMB = 0,
        double RefillsPerMB = 0, double SkippedPerMB = 0)
    {
        public static Sample Median(List<Sample> xs)
        {
            static double M(IEnumerable<double> v) { var s = v.OrderBy(x => x).ToList(); return s[s.Count / 2]; }
            return new(M(xs.Select(x => x.MBps)), M(xs.Select(x => x.MBperCpuS)), M(xs.Select(x => x.AllocPerMB)),
                M(xs.Select(x => x.Gcs)), M(xs.Select(x => x.PauseMs)), M(xs.Select(x => x.MissesPerMB)), M(xs.Select(x => x.LongPerMB)), M(xs.Select(x => x.OverflowPerMB)),
                M(xs.Select(x => x.RefillsPerMB)), M(xs.Select(x => x.SkippedPerMB)));
        }
    }

    static Sample Measure(Gemma3Tokenizer tok, double mbytes, Action run)
    {
        var proc = Process.GetCurrentProcess();
        int g0 = GC.CollectionCount(0);
        var pause = GC.GetTotalPauseDuration();
        long alloc = GC.GetTotalAllocatedBytes(true);
        var counts = tok.WordCacheCounts();
        var refills = tok.ShortWordRefills();
        proc.Refresh();
        var cpu = proc.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        run();
        double s = sw.Elapsed.TotalSeconds;
        proc.Refresh();
        double cpuS = (proc.TotalProcessorTime - cpu).TotalSeconds;
        var after = tok.WordCacheCounts();
        var refillsAfter = tok.ShortWordRefills();
        return new Sample(mbytes / s, mbytes / cpuS, (GC.GetTotalAllocatedBytes(true) - alloc) / mbytes,
            GC.CollectionCount(0) - g0,
            (GC.GetTotalPauseDuration() - pause).TotalMilliseconds, (after.Misses - counts.Misses) / mbytes,
            (after.LongPieces - counts.LongPieces) / mbytes, (after.OverflowMisses - counts.OverflowMisses) / mbytes,
            (refillsAfter.Refills - refills.Refills) / mbytes, (refillsAfter.Skipped - refills.Skipped) / mbytes);
    }
}
