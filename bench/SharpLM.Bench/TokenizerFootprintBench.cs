using System.Globalization;
using System.Text;
using SharpLM.Tokenization;
using static SharpLM.Bench.BenchSupport;

namespace SharpLM.Bench;

/// <summary>
/// Where encoding time goes when wall clock cannot be trusted (a shared machine): everything is measured in thread CPU
/// time. (1) One thread, the same texts, alternating: the Encode loop against the batch APIs at one worker. (2) Where a
/// second thread loses speed: persistent threads each encode a whole corpus, at 1 and 2 threads alternating, for
/// corpora whose hot set has different sizes — the real 4 KB chunks (~100k distinct pieces: the shared word cache is
/// spread over megabytes), and the first K chunks repeated to the same length (a few thousand distinct pieces: every
/// table access stays in L1/L2) — beside two pure-ALU controls (one dependent chain: latency-bound; eight independent
/// chains: port-bound, so it slows down if the two vCPUs are SMT siblings of one core).
/// </summary>
/// <remarks>
/// <c>dotnet run -c Release --project bench/SharpLM.Bench -- tokenizer-footprint [--data DIR] [--mb 4] [--rounds 5]</c>;
/// <c>--loop SECONDS [--threads N]</c> only encodes the real corpus for that long (for a sampling profiler:
/// <c>DOTNET_PerfMapEnabled=1 perf record -e cpu-clock</c>; this VM has no hardware counters).
/// Reading (2): "2 threads ÷ 1 thread" near 1.00 means each thread does the same work per CPU-second when both run.
/// Only meaningful on a quiet machine: under load the two threads seldom run at the same time.
/// </remarks>
public static class TokenizerFootprintBench
{
    public static int Run(string[] args)
    {
        var options = TokenizerBenchOptions.Parse(args, defaultMb: 4, defaultRounds: 5);
        int rounds = options.Rounds;
        var tok = Gemma3Tokenizer.Load(options.TokenizerPath);
        var (real, realMb) = options.Corpus();
        Action EncodeAll(List<string> chunks, bool pipelined = true) => () =>
        {
            tok.PipelinedLookups = pipelined;   // set by every thread of an arm alike, before its first text
            var output = new List<int>();
            foreach (var c in chunks) { output.Clear(); tok.Encode(c.AsSpan(), output); }
        };

        if (Option(args, "--loop") is { } loop)
        {
            int threads = int.Parse(Option(args, "--threads") ?? "1", CultureInfo.InvariantCulture);
            var until = DateTime.UtcNow.AddSeconds(double.Parse(loop, CultureInfo.InvariantCulture));
            var encode = EncodeAll(real);
            var passes = new int[threads];
            int next = 0;
            var loopRates = RunThreads(threads, 1, () =>
            {
                int me = Interlocked.Increment(ref next) - 1;
                do { encode(); passes[me]++; } while (DateTime.UtcNow < until);
            });
            Console.WriteLine(Inv($"--loop: {threads} thread(s), MB per thread-CPU-second {string.Join(", ", loopRates.Select((r, i) => (r * passes[i] * realMb).ToString("F1", CultureInfo.InvariantCulture)))}"));
            return 0;
        }

        Console.WriteLine($"# tokenizer footprint: {real.Count} chunks, {realMb:F2} MB; {Environment.ProcessorCount} cores; load average at start {LoadAverage()}");

        // ---- (1) one thread: Encode loop vs the batch APIs at one worker (all on this thread) ----
        var batch = new TokenBatch();
        var oneArms = new (string Name, Action Run)[]
        {
            ("Encode loop → int[]", () => { foreach (var c in real) tok.Encode(c); }),
            ("Encode loop → List<int> (cleared per text)", EncodeAll(real)),
            ("Encode loop → List<int>, pieces looked up one by one", EncodeAll(real, pipelined: false)),
            ("Encode loop → one List<int> for all texts", () => { var l = new List<int>(1_500_000); foreach (var c in real) tok.Encode(c.AsSpan(), l); }),
            ("EncodeBatch → int[][], 1 worker", () => tok.EncodeBatch(real, maxThreads: 1)),
            ("EncodeBatch → TokenBatch, 1 worker", () => tok.EncodeBatch(real, batch, maxThreads: 1)),
        };
        var oneRates = oneArms.ToDictionary(a => a.Name, _ => new List<double>());
        foreach (var a in oneArms) a.Run();
        for (int r = 0; r < rounds; r++)
            foreach (var a in oneArms)
            {
                tok.PipelinedLookups = !a.Name.Contains("one by one", StringComparison.Ordinal);
                double c0 = TokenizerBench.ThreadCpuSeconds();
                a.Run();
                oneRates[a.Name].Add(realMb / (TokenizerBench.ThreadCpuSeconds() - c0));
            }
        Console.WriteLine();
        Console.WriteLine("| one thread, same texts (alternating) | MB per thread-CPU-second (median) | each round |");
        Console.WriteLine("|---|---|---|");
        foreach (var a in oneArms)
            Console.WriteLine(Inv($"| {a.Name} | {Median(oneRates[a.Name]):F1} | {string.Join(" ", oneRates[a.Name].Select(x => x.ToString("F1", CultureInfo.InvariantCulture)))} |"));

        // ---- (2) 1 vs 2 threads, each encoding all of a corpus ----
        var arms = new List<(string Name, double Units, Action Work)>
        {
            ($"real text, {real.Count} chunks (MB)", realMb, EncodeAll(real)),
            ($"real text, pieces looked up one by one (MB)", realMb, EncodeAll(real, pipelined: false)),
        };
        foreach (int k in new[] { 1, 16 })
        {
            var repeated = Enumerable.Range(0, real.Count).Select(i => real[i % k]).ToList();
            arms.Add(($"first {k} chunk{(k > 1 ? "s" : "")} repeated (MB)", repeated.Sum(c => (long)Encoding.UTF8.GetByteCount(c)) / 1e6, EncodeAll(repeated)));
        }
        const long AluSteps = 200_000_000;
        arms.Add(("ALU, 1 dependent chain (G steps)", AluSteps / 1e9, () => Sink(AluChain(AluSteps))));
        arms.Add(("ALU, 8 independent chains (G steps)", AluSteps / 1e9, () => Sink(AluChains(AluSteps))));
        var rates = arms.ToDictionary(a => a.Name, _ => new[] { new List<double>(), new List<double>() });
        foreach (var a in arms) a.Work();   // warm: JIT, each corpus's pieces in the shared word cache
        for (int r = 0; r < rounds; r++)
            foreach (var a in arms)
                foreach (int t in new[] { 1, 2 })
                    rates[a.Name][t - 1].AddRange(RunThreads(t, a.Units, a.Work));
        Console.WriteLine();
        Console.WriteLine("| work (each thread all of it) | 1 thread: units per thread-CPU-second | 2 threads | 2 threads ÷ 1 thread |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var a in arms)
        {
            double one = Median(rates[a.Name][0]), two = Median(rates[a.Name][1]);
            Console.WriteLine(Inv($"| {a.Name} | {one:F2} | {two:F2} | {two / one:F2} |"));
        }
        Console.WriteLine($"load average at end: {LoadAverage()}");
        return 0;
    }

    /// <summary>Runs <paramref name="work"/> on <paramref name="threads"/> new threads started together; each one's units per thread-CPU-second.</summary>
    static List<double> RunThreads(int threads, double units, Action work)
    {
        var result = new List<double>();
        using var start = new Barrier(threads);
        var ths = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
        {
            start.SignalAndWait();
            double c0 = TokenizerBench.ThreadCpuSeconds();
            work();
            double rate = units / (TokenizerBench.ThreadCpuSeconds() - c0);
            lock (result) result.Add(rate);
        })).ToList();
        ths.ForEach(x => x.Start());
        ths.ForEach(x => x.Join());
        return result;
    }

    static ulong _sink;
    static void Sink(ulong x) => Interlocked.Add(ref _sink, x);

    static ulong AluChain(long steps)
    {
        ulong x = 88172645463325252UL;
        for (long i = 0; i < steps; i++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; }
        return x;
    }

    static ulong AluChains(long steps)
    {
        ulong a = 1, b = 2, c = 3, d = 4, e = 5, f = 6, g = 7, h = 8;
        for (long i = 0; i < steps / 8; i++)
        {
            a ^= a << 13; a ^= a >> 7; a ^= a << 17;
            b ^= b << 13; b ^= b >> 7; b ^= b << 17;
            c ^= c << 13; c ^= c >> 7; c ^= c << 17;
            d ^= d << 13; d ^= d >> 7; d ^= d << 17;
            e ^= e << 13; e ^= e >> 7; e ^= e << 17;
            f ^= f << 13; f ^= f >> 7; f ^= f << 17;
            g ^= g << 13; g ^= g >> 7; g ^= g << 17;
            h ^= h << 13; h ^= h >> 7; h ^= h << 17;
        }
        return a ^ b ^ c ^ d ^ e ^ f ^ g ^ h;
    }
}
