using System.Diagnostics;
using System.Globalization;
using SharpLM.Tokenization;
using static SharpLM.Bench.BenchSupport;

namespace SharpLM.Bench;

/// <summary>
/// Where loading tokenizer.json spends its time: the parse into a definition (JSON, vocabulary table, merge
/// resolution) and the compile into an encoder (merge table, BPE tables, decoder, added-token tries), each as wall
/// time, this thread's CPU time and the process's CPU time (all threads), for the merges read by
/// <see cref="MergeListScanner"/> and by Utf8JsonReader alone, alternating in one process; HF tokenizers' load in
/// the same rounds.
/// </summary>
/// <remarks><c>dotnet run -c Release --project bench/SharpLM.Bench -- tokenizer-load [--tokenizer PATH] [--rounds 7]</c>.</remarks>
public static class TokenizerLoadBench
{
    public static int Run(string[] args)
    {
        string tokPath = Option(args, "--tokenizer") ?? FindTokenizer();
        int rounds = int.Parse(Option(args, "--rounds") ?? "7", CultureInfo.InvariantCulture);
        Console.WriteLine($"# tokenizer.json load profile: {tokPath}");
        Console.WriteLine($"load average at start: {LoadAverage()}");

        var variants = new (string Name, bool Scanner)[] { ("merges by MergeListScanner", true), ("merges by Utf8JsonReader", false) };
        var rows = new Dictionary<string, List<double[]>>();
        var hf = new List<double>();
        for (int r = 0; r <= rounds; r++)   // round 0 is the untimed warm-up (JIT)
        {
            foreach (var (name, scanner) in variants)
            {
                TokenizerJsonReader.UseMergeScanner = scanner;
                try
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    var total = Stage.Start();
                    var parse = Stage.Start();
                    var def = TokenizerJsonReader.Read(tokPath, null);
                    var p = parse.Stop();
                    var compile = Stage.Start();
                    var tok = new Gemma3Tokenizer(def);
                    var c = compile.Stop();
                    var t = total.Stop();
                    GC.KeepAlive(tok);
                    if (r > 0) (rows.TryGetValue(name, out var l) ? l : rows[name] = []).Add([.. p, .. c, .. t]);
                }
                finally { TokenizerJsonReader.UseMergeScanner = true; }
            }
            var sw = Stopwatch.StartNew();
            using (var h = new Tokenizers.DotNet.Tokenizer(tokPath)) { }
            if (r > 0) hf.Add(sw.Elapsed.TotalMilliseconds);
        }

        Console.WriteLine();
        Console.WriteLine("| variant (median of rounds, ms) | parse wall | parse thread CPU | parse all CPU | compile wall | compile thread CPU | compile all CPU | **load wall** | load all CPU |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var (name, _) in variants)
        {
            var m = Enumerable.Range(0, 9).Select(k => Median(rows[name].Select(x => x[k]))).ToArray();
            Console.WriteLine(Inv($"| {name} | {m[0]:F0} | {m[1]:F0} | {m[2]:F0} | {m[3]:F0} | {m[4]:F0} | {m[5]:F0} | **{m[6]:F0}** | {m[8]:F0} |"));
        }
        Console.WriteLine(Inv($"| HF tokenizers (Rust), same rounds | | | | | | | **{Median(hf):F0}** | |"));
        Console.WriteLine($"load average at end: {LoadAverage()}");
        return 0;
    }

    /// <summary>Wall, calling-thread CPU and process CPU time of one stage (ms).</summary>
    readonly record struct Stage(long Ticks, double ThreadCpu, double ProcessCpu)
    {
        public static Stage Start() => new(Stopwatch.GetTimestamp(), TokenizerBench.ThreadCpuSeconds() * 1e3, ProcessCpuMs());
        public double[] Stop() => [Stopwatch.GetElapsedTime(Ticks).TotalMilliseconds, TokenizerBench.ThreadCpuSeconds() * 1e3 - ThreadCpu, ProcessCpuMs() - ProcessCpu];
    }

    static double ProcessCpuMs() { using var p = Process.GetCurrentProcess(); return p.TotalProcessorTime.TotalMilliseconds; }
}
