using System.Diagnostics;
using System.Globalization;
using System.Text;
using SharpLM.Tokenization;
using static SharpLM.Bench.BenchSupport;

namespace SharpLM.Bench;

/// <summary>
/// Huge pages for the encoder's lookup tables (shared word cache, merge table), A/B in one process: two tokenizers
/// over the same definition, one whose tables are advised as transparent huge pages and one on 4 KiB pages, encode the
/// same corpus alternately at 1 and 2 threads. Work per CPU-second is the noise-robust figure: (a) independent Encode
/// loops, each thread the whole corpus, MB per thread-CPU-second; (b) EncodeBatch into a TokenBatch, wall MB/s and MB per
/// process-CPU-second. Also prints each table's page mode and, from /proc/self/smaps, how much of it is on huge pages.
/// </summary>
/// <remarks>
/// <c>dotnet run -c Release --project bench/SharpLM.Bench -- tokenizer-pages [--data DIR] [--mb 4] [--rounds 5]</c>.
/// </remarks>
public static class TokenizerPagesBench
{
    public static int Run(string[] args)
    {
        var options = TokenizerBenchOptions.Parse(args, defaultMb: 4, defaultRounds: 5);
        int rounds = options.Rounds;
        var loaded = Gemma3Tokenizer.Load(options.TokenizerPath);
        var (chunks, mbytes) = options.Corpus();
        Console.WriteLine($"# tokenizer huge pages A/B: {chunks.Count} chunks, {mbytes:F2} MB, {Environment.ProcessorCount} cores; load average at start {LoadAverage()}");

        var toks = new (string Name, Gemma3Tokenizer Tok)[]
        {
            ("4 KiB pages", loaded.WithHugePages(false)),
            ("huge pages", loaded.WithHugePages(true)),
        };
        foreach (var (_, tok) in toks) foreach (var c in chunks) tok.Encode(c);   // warm: JIT, word caches filled
        foreach (var (name, tok) in toks)
        {
            var merges = tok.Encoder.Merges.Memory;
            var words = tok.Encoder.WordCache!.Memory;
            Console.WriteLine(Inv($"{name}: merge table {merges.Bytes / 1048576.0:F1} MiB {merges.Mode}, smaps {Describe(merges.Smaps())}; word cache {words.Bytes / 1048576.0:F1} MiB {words.Mode}, smaps {Describe(words.Smaps())}"));
        }

        var batch = new TokenBatch();
        var loops = toks.ToDictionary(t => t.Name, _ => new[] { new List<double>(), new List<double>() });
        var batchWall = toks.ToDictionary(t => t.Name, _ => new[] { new List<double>(), new List<double>() });
        var batchCpu = toks.ToDictionary(t => t.Name, _ => new[] { new List<double>(), new List<double>() });
        for (int r = 0; r < rounds; r++)
            foreach (int t in new[] { 1, 2 })
                foreach (var (name, tok) in toks)
                {
                    loops[name][t - 1].AddRange(EncodeLoops(tok, chunks, mbytes, t));
                    var proc = Process.GetCurrentProcess();
                    var cpu0 = proc.TotalProcessorTime;
                    var sw = Stopwatch.StartNew();
                    tok.EncodeBatch(chunks, batch, maxThreads: t);
                    double wall = sw.Elapsed.TotalSeconds;
                    proc.Refresh();
                    batchWall[name][t - 1].Add(mbytes / wall);
                    batchCpu[name][t - 1].Add(mbytes / (proc.TotalProcessorTime - cpu0).TotalSeconds);
                }

        Console.WriteLine();
        Console.WriteLine("| pages | Encode loops: MB per thread-CPU-s, 1 thread (median / best) | 2 threads (median / best) | 2 ÷ 1 | EncodeBatch→TokenBatch MB/s wall, 1 thread | 2 threads | scaling | batch MB per process-CPU-s, 1 / 2 threads |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var (name, _) in toks)
        {
            var l = loops[name];
            var w = batchWall[name];
            var c = batchCpu[name];
            Console.WriteLine(Inv($"| {name} | {Median(l[0]):F1} / {l[0].Max():F1} | {Median(l[1]):F1} / {l[1].Max():F1} | {Median(l[1]) / Median(l[0]):F2} | {Median(w[0]):F1} | {Median(w[1]):F1} | {Median(w[1]) / Median(w[0]):F2}× | {Median(c[0]):F1} / {Median(c[1]):F1} |"));
        }
        double Ratio(Dictionary<string, List<double>[]> d, int t) => Median(d["huge pages"][t]) / Median(d["4 KiB pages"][t]);
        Console.WriteLine(Inv($"huge ÷ 4 KiB: Encode loops {Ratio(loops, 0):F2} (1 thread), {Ratio(loops, 1):F2} (2 threads); batch wall {Ratio(batchWall, 0):F2} / {Ratio(batchWall, 1):F2}"));
        Console.WriteLine($"load average at end: {LoadAverage()}");
        GC.KeepAlive(loaded);
        return 0;
    }

    static string Describe((long AnonHugeBytes, bool Advised) s) =>
        s.AnonHugeBytes < 0 ? "n/a" : Inv($"{s.AnonHugeBytes / 1048576.0:F0} MiB AnonHugePages{(s.Advised ? ", hg" : "")}");

    /// <summary><paramref name="threads"/> threads each encode all of <paramref name="chunks"/>; each one's MB per thread-CPU-second.</summary>
    static List<double> EncodeLoops(Gemma3Tokenizer tok, List<string> chunks, double mbytes, int threads)
    {
        var result = new List<double>();
        using var start = new Barrier(threads);
        var ths = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
        {
            var output = new List<int>();
            start.SignalAndWait();
            double c0 = TokenizerBench.ThreadCpuSeconds();
            foreach (var c in chunks) { output.Clear(); tok.Encode(c.AsSpan(), output); }
            double rate = mbytes / (TokenizerBench.ThreadCpuSeconds() - c0);
            lock (result) result.Add(rate);
        })).ToList();
        ths.ForEach(x => x.Start());
        ths.ForEach(x => x.Join());
        return result;
    }
}
