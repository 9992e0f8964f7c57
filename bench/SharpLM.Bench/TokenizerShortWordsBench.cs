using System.Diagnostics;
using System.Text;
using SharpLM.Tokenization;
using static SharpLM.Bench.BenchSupport;

namespace SharpLM.Bench;

/// <summary>
/// The word-cache layouts of session 9, A/B/C in one process: three tokenizers over the same definition — the shared
/// records with 32-bit tags (session 8), with 16-bit tags, and with 16-bit tags behind the dense short-word front table
/// (<see cref="ShortWordCache"/>) — encode the same corpus alternately (A, B, C, A, B, C …) at 1 and 2 threads: EncodeBatch into a TokenBatch (wall MB/s, and MB per process-CPU-second,
/// whose 2-thread ÷ 1-thread ratio falls below 1 by what a second thread costs in memory stalls) and threads taking chunks
/// from a shared counter (MB per thread-CPU-second, no batch code). Ratios are paired within a round, as the VM's speed
/// drifts between rounds.
/// </summary>
/// <remarks>
/// <c>dotnet run -c Release --project bench/SharpLM.Bench -- tokenizer-short-words [--data DIR] [--mb 4] [--rounds 7] [--model-only]</c>
/// (first prints <see cref="TokenizerCacheModel"/>'s noise-free line counts; <c>--model-only</c> stops there).
/// </remarks>
public static class TokenizerShortWordsBench
{
    public static int Run(string[] args)
    {
        var options = TokenizerBenchOptions.Parse(args, defaultMb: 4, defaultRounds: 7);
        int rounds = options.Rounds;
        var loaded = Gemma3Tokenizer.Load(options.TokenizerPath);
        var (chunks, mbytes) = options.Corpus();
        Console.WriteLine($"# tokenizer short-word table A/B: {chunks.Count} chunks, {mbytes:F2} MB, {Environment.ProcessorCount} cores; load average at start {LoadAverage()}");

        TokenizerCacheModel.Run(loaded, chunks, mbytes);
        if (args.Contains("--model-only")) return 0;

        Gemma3Tokenizer Make(bool narrowTags, bool shortWords)
        {
            var t = loaded.WithHugePages(LookupTableMemory.HugePagesByDefault);
            t.NarrowTags = narrowTags;
            t.ShortWords = shortWords;
            return t;
        }
        var records = Make(narrowTags: false, shortWords: false);
        var toks = new (string Name, Gemma3Tokenizer Tok)[]
        {
            ("32-bit tags (session 8)", records),
            ("16-bit tags", Make(narrowTags: true, shortWords: false)),
            ("16-bit tags + short-word table", Make(narrowTags: true, shortWords: true)),
        };
        foreach (var (_, tok) in toks) foreach (var c in chunks) tok.Encode(c);   // warm: JIT, word caches filled
        foreach (var (name, tok) in toks)
        {
            var counts = tok.WordCacheCounts();
            long pieces = counts.Hits + counts.Misses, shortHits = tok.ShortWordHits();
            Console.WriteLine(Inv($"{name}: warm-up pass {pieces:N0} pieces, {counts.Misses:N0} misses, {shortHits:N0} short-table hits"));
        }
        // Ids are the same every way (the tests prove it against HF; this guards the benchmark's own inputs).
        foreach (var (name, tok) in toks)
            for (int i = 0; i < chunks.Count; i++)
                if (!records.Encode(chunks[i]).AsSpan().SequenceEqual(tok.Encode(chunks[i])))
                    throw new InvalidOperationException($"chunk {i}: {name} gives other ids than {toks[0].Name}");
        foreach (var (name, tok) in toks)
        {
            var counts = tok.WordCacheCounts();
            long before = counts.Hits + counts.Misses, shortBefore = tok.ShortWordHits();
            foreach (var c in chunks) tok.Encode(c);
            counts = tok.WordCacheCounts();
            Console.WriteLine(Inv($"{name}: warm pass {counts.Hits + counts.Misses - before:N0} pieces, {100.0 * (tok.ShortWordHits() - shortBefore) / (counts.Hits + counts.Misses - before):F1} % answered by the short-word table"));
        }

        var batch = new TokenBatch();
        var chunkBytes = chunks.Select(c => Encoding.UTF8.GetByteCount(c)).ToArray();
        // [name][threads − 1] per round
        var wall = toks.ToDictionary(t => t.Name, _ => new[] { new List<double>(), new List<double>() });
        var cpu = toks.ToDictionary(t => t.Name, _ => new[] { new List<double>(), new List<double>() });
        var shared = toks.ToDictionary(t => t.Name, _ => new[] { new List<double>(), new List<double>() });
        foreach (var (_, tok) in toks) foreach (int t in new[] { 1, 2 }) tok.EncodeBatch(chunks, batch, maxThreads: t);
        for (int r = 0; r < rounds; r++)
            foreach (int t in new[] { 1, 2 })
                foreach (var (name, tok) in toks)
                {
                    var proc = Process.GetCurrentProcess();
                    var cpu0 = proc.TotalProcessorTime;
                    var sw = Stopwatch.StartNew();
                    tok.EncodeBatch(chunks, batch, maxThreads: t);
                    double seconds = sw.Elapsed.TotalSeconds;
                    proc.Refresh();
                    wall[name][t - 1].Add(mbytes / seconds);
                    cpu[name][t - 1].Add(mbytes / (proc.TotalProcessorTime - cpu0).TotalSeconds);
                    shared[name][t - 1].Add(SharedCounter(tok, chunks, chunkBytes, t));
                }

        Console.WriteLine();
        Console.WriteLine("| table | TokenBatch MB/s wall, 1 thread | 2 threads | scaling (paired median, min–max) | MB per process-CPU-s, 1 / 2 threads | CPU per MB 2 ÷ 1 (paired median) | shared counter MB per thread-CPU-s, 1 / 2 threads | CPU per MB 2 ÷ 1 (paired median) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var (name, _) in toks)
        {
            var w = wall[name];
            var c = cpu[name];
            var s = shared[name];
            var scaling = Paired(w[1], w[0]);
            var cpuRise = Paired(c[0], c[1]);   // CPU-seconds per MB at 2 threads ÷ at 1
            Console.WriteLine(Inv($"| {name} | {Median(w[0]):F1} | {Median(w[1]):F1} | {Median(scaling):F2}× ({scaling.Min():F2}–{scaling.Max():F2}) | {Median(c[0]):F1} / {Median(c[1]):F1} | {Median(cpuRise):F3} | {Median(s[0]):F1} / {Median(s[1]):F1} | {Median(Paired(s[0], s[1])):F3} |"));
        }
        foreach (var (name, _) in toks.Skip(1))
        {
            string b = toks[0].Name;
            var oneThread = Paired(wall[name][0], wall[b][0]);
            var oneThreadCpu = Paired(cpu[name][0], cpu[b][0]);
            var twoThreads = Paired(wall[name][1], wall[b][1]);
            var sharedOne = Paired(shared[name][0], shared[b][0]);
            Console.WriteLine(Inv($"{name} ÷ {b} (paired per round, median (min–max)): 1-thread batch wall {Median(oneThread):F3} ({oneThread.Min():F3}–{oneThread.Max():F3}), MB per CPU-s {Median(oneThreadCpu):F3}; shared counter 1 thread MB per thread-CPU-s {Median(sharedOne):F3}; 2-thread batch wall {Median(twoThreads):F3} ({twoThreads.Min():F3}–{twoThreads.Max():F3})"));
        }
        Console.WriteLine($"load average at end: {LoadAverage()}");
        GC.KeepAlive(loaded);
        return 0;
    }

    /// <summary><paramref name="threads"/> threads take chunks in turn from a shared counter; MB per thread-CPU-second over all of them.</summary>
    static double SharedCounter(Gemma3Tokenizer tok, List<string> chunks, int[] chunkBytes, int threads)
    {
        int next = -1;
        double cpuSeconds = 0;
        long bytes = 0;
        using var start = new Barrier(threads);
        var ths = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
        {
            var output = new List<int>();
            start.SignalAndWait();
            var (mine, used) = TokenizerBench.EncodeTakingTurns(tok, chunks, chunkBytes, ref next, output);
            lock (start) { cpuSeconds += used; bytes += mine; }
        })).ToList();
        ths.ForEach(x => x.Start());
        ths.ForEach(x => x.Join());
        return bytes / 1e6 / cpuSeconds;
    }

    static List<double> Paired(List<double> a, List<double> b) => a.Zip(b, (x, y) => x / y).ToList();
}
