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
/// TokenBatch API's layout and placing pass). Uses <see cref="BatchTimeline"/>.
/// </summary>
/// <remarks>
/// <c>dotnet bench/SharpLM.Bench/bin/Release/net10.0/SharpLM.Bench.dll tokenizer-timeline [--data DIR] [--mb 4] [--rounds 7] [--threads N]</c>.
/// </remarks>
public static class TokenizerTimelineBench
{
    public static int Run(string[] args)
    {
        string tokPath = Option(args, "--tokenizer") ?? FindTokenizer();
        string data = Option(args, "--data") ?? Environment.GetEnvironmentVariable("SHARPLM_SHARED_DATA") ?? FindSharedData();
        double mb = double.Parse(Option(args, "--mb") ?? "4", CultureInfo.InvariantCulture);
        int rounds = int.Parse(Option(args, "--rounds") ?? "7", CultureInfo.InvariantCulture);
        int threads = int.Parse(Option(args, "--threads") ?? Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

        var tok = Gemma3Tokenizer.Load(tokPath);
        var chunks = TokenizerBench.Corpus(data, (long)(mb * 1e6));
        double mbytes = chunks.Sum(c => (long)Encoding.UTF8.GetByteCount(c)) / 1e6;
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
        foreach (var v in variants)
        {
            Console.WriteLine();
            Console.WriteLine($"## EncodeBatch → {v.Name}: 1-thread call (wall, thread CPU) vs {threads}-thread call; per worker: first start / last end / busy / CPU (ms)");
            Console.WriteLine("| round | 1 thread ms (CPU) | N threads ms | perfect split ms | encode phase end | workers: first start / last end / busy / CPU / texts | busy sum ÷ 1-thread |");
            Console.WriteLine("|---|---|---|---|---|---|---|");
            var lossStart = new List<double>(); var lossTail = new List<double>(); var lossWork = new List<double>(); var ratio = new List<double>();
            for (int r = 0; r < rounds; r++)
            {
                double c0 = BatchTimeline.ThreadCpuSeconds();
                var sw = Stopwatch.StartNew();
                v.Run(1);
                double one = sw.Elapsed.TotalMilliseconds, oneCpu = (BatchTimeline.ThreadCpuSeconds() - c0) * 1e3;
                tok.Timeline = timeline;
                sw.Restart();
                v.Run(threads);
                double many = sw.Elapsed.TotalMilliseconds;
                tok.Timeline = null;
                var ws = timeline.Workers.Take(threads).ToArray();
                double busy = ws.Sum(w => Ms(w.Busy));
                string per = string.Join("; ", ws.Select(w => Inv($"{Ms(w.FirstStart == long.MaxValue ? 0 : w.FirstStart):F2}/{Ms(w.LastEnd):F1}/{Ms(w.Busy):F1}/{w.CpuSeconds * 1e3:F1}/{w.Texts}")));
                Console.WriteLine(Inv($"| {r} | {one:F1} ({oneCpu:F1}) | {many:F1} | {one / threads:F1} | {Ms(timeline.EncodeEnd):F1} (call {Ms(timeline.CallEnd):F1}) | {per} | {busy / one:F2} |"));
                ratio.Add(one / many);
            }
            ratio.Sort();
            Console.WriteLine(Inv($"paired 1-thread ÷ {threads}-thread wall: median {ratio[ratio.Count / 2]:F2}× (min {ratio[0]:F2}, max {ratio[^1]:F2})"));
        }
        Console.WriteLine($"load average at end: {File.ReadAllText("/proc/loadavg").Trim()}");
        return 0;
    }
}
