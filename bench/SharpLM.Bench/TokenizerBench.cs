using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using SharpLM.Tokenization;
using static SharpLM.Bench.BenchSupport;

namespace SharpLM.Bench;

/// <summary>
/// SharpLM's Gemma 3 tokenizer against Hugging Face tokenizers (Rust, via Tokenizers.DotNet) on the same
/// 4 KB chunks of real text in one process run: encode throughput on one thread, batch throughput over
/// 1…N threads, load time and managed memory. Both encoders' ids are compared on every chunk first, so the
/// timing is of identical work.
/// </summary>
/// <remarks>
/// <c>dotnet run -c Release --project bench/SharpLM.Bench -- tokenizer [--tokenizer PATH] [--data DIR] [--mb 8] [--rounds 5]</c>.
/// Throughput is UTF-8 input bytes per second (MB = 10^6 bytes); each figure is the median over rounds, the
/// two encoders alternating within a round so machine noise hits both.
/// </remarks>
public static class TokenizerBench
{
    public static int Run(string[] args)
    {
        var options = TokenizerBenchOptions.Parse(args, defaultMb: 8, defaultRounds: 5);
        string tokPath = options.TokenizerPath, data = options.DataDir;
        int rounds = options.Rounds, maxThreads = options.Threads;

        Console.WriteLine($"# tokenizer benchmark: SharpLM vs HF tokenizers (Tokenizers.DotNet 1.4.1)");
        Console.WriteLine($"tokenizer: {tokPath}");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        Console.WriteLine($"load average: {(File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a")}");

        // ---- load time and memory (first load includes JIT; the second is warm) ----
        var (ours, coldMs, allocMb, retainedMb, nativeMb) = MeasureLoad(tokPath);
        var (_, warmMs, _, _, _) = MeasureLoad(tokPath);
        var (_, warm2Ms, _, _, _) = MeasureLoad(tokPath);
        double cpu0 = ProcessCpuMs();
        var (_, warm3Ms, _, _, _) = MeasureLoad(tokPath);
        double warmCpuMs = ProcessCpuMs() - cpu0;
        var sw = Stopwatch.StartNew();
        var hf = new Tokenizers.DotNet.Tokenizer(tokPath);
        double hfLoadMs = sw.Elapsed.TotalMilliseconds;
        Console.WriteLine();
        Console.WriteLine("| load tokenizer.json | SharpLM cold | SharpLM warm (best of 3) | SharpLM warm, CPU time all threads | HF | managed allocated during load | managed retained | native retained (lookup tables) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        Console.WriteLine(Inv($"| Gemma 3, 33 MB | {coldMs:F0} ms | {Math.Min(warmMs, Math.Min(warm2Ms, warm3Ms)):F0} ms | {warmCpuMs:F0} ms | {hfLoadMs:F0} ms | {allocMb:F0} MB | {retainedMb:F0} MB | {nativeMb:F0} MB |"));

        // ---- corpus ----
        var (chunks, _) = options.Corpus();
        long bytes = chunks.Sum(c => (long)Encoding.UTF8.GetByteCount(c));
        Console.WriteLine();
        Console.WriteLine(Inv($"corpus: {chunks.Count} chunks of ≤4 KB, {bytes / 1e6:F2} MB UTF-8 from {data}"));

        // ---- same ids (and warm-up) ----
        long tokens = 0;
        foreach (var c in chunks)
        {
            var a = ours.Encode(c);
            var b = hf.Encode(c);
            if (b.Length != a.Length + 1 || !a.AsSpan().SequenceEqual(b.AsSpan(1).ToArray().Select(x => (int)x).ToArray()))
            {
                Console.Error.WriteLine("ids differ from HF on a chunk; not timing different work");
                return 1;
            }
            tokens += a.Length;
        }
        Console.WriteLine(Inv($"ids identical on every chunk ({tokens:N0} tokens, {tokens / (double)bytes:F3} tokens/byte)"));

        // ---- one thread: wall clock, and this thread's CPU time (robust when other processes share the cores) ----
        var oursT = new List<double>();
        var hfT = new List<double>();
        var oursCpu = new List<double>();
        var hfCpu = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            double c0 = ThreadCpuSeconds();
            sw.Restart();
            foreach (var c in chunks) ours.Encode(c);
            oursT.Add(bytes / sw.Elapsed.TotalSeconds / 1e6);
            oursCpu.Add(bytes / (ThreadCpuSeconds() - c0) / 1e6);
            c0 = ThreadCpuSeconds();
            sw.Restart();
            foreach (var c in chunks) hf.Encode(c);
            hfT.Add(bytes / sw.Elapsed.TotalSeconds / 1e6);
            hfCpu.Add(bytes / (ThreadCpuSeconds() - c0) / 1e6);
        }
        double o1 = Median(oursT), h1 = Median(hfT), oc = Median(oursCpu), hc = Median(hfCpu);
        Console.WriteLine();
        Console.WriteLine("| encode, 4 KB chunks, 1 thread | SharpLM MB/s | HF MB/s | ratio |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine(Inv($"| wall clock | {o1:F1} | {h1:F1} | {o1 / h1:F2}× |"));
        Console.WriteLine(Inv($"| thread CPU time | {oc:F1} | {hc:F1} | {oc / hc:F2}× |"));

        // ---- batch over threads: EncodeBatch → int[][] (an array per text) and → a reused TokenBatch (no allocation) ----
        Console.WriteLine();
        Console.WriteLine("| batch encode | SharpLM → int[][] MB/s | scaling | SharpLM → TokenBatch MB/s | scaling | HF MB/s (Parallel.For over Encode) | scaling | ratio (int[][] / HF) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        // Every thread count is warmed up (thread-pool threads, the reused TokenBatch's buffers) before any is timed, and
        // the counts alternate within each round, so a disturbance hits all of them alike instead of one block of rounds.
        var counts = new List<int>();
        for (int t = 1; t <= maxThreads; t *= 2)
        {
            counts.Add(t);
            if (t < maxThreads && t * 2 > maxThreads) t = maxThreads / 2;   // always end on maxThreads
        }
        var batch = new TokenBatch();
        void Hf(int t) => Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(0, chunks.Count, Math.Max(1, chunks.Count / (t * 8))),
            new ParallelOptions { MaxDegreeOfParallelism = t },
            range => { for (int i = range.Item1; i < range.Item2; i++) hf.Encode(chunks[i]); });
        foreach (int t in counts)
        {
            ours.EncodeBatch(chunks, maxThreads: t);
            ours.EncodeBatch(chunks, batch, maxThreads: t);
            Hf(t);
        }
        var ob = counts.ToDictionary(t => t, _ => new List<double>());
        var fb = counts.ToDictionary(t => t, _ => new List<double>());
        var hb = counts.ToDictionary(t => t, _ => new List<double>());
        // Cores kept busy = process CPU time ÷ wall time of a run: below the thread count, the workers waited (start,
        // tail, GC, other processes); at the thread count but slower per CPU-second, they got in each other's way.
        var busy = counts.ToDictionary(t => t, _ => new List<double>[] { [], [], [] });
        double Timed(Action run, List<double> mbps, List<double> cores)
        {
            double cpu0 = ProcessCpuMs();
            sw.Restart();
            run();
            double s = sw.Elapsed.TotalSeconds;
            cores.Add((ProcessCpuMs() - cpu0) / 1e3 / s);
            mbps.Add(bytes / s / 1e6);
            return s;
        }
        for (int r = 0; r < rounds; r++)
            foreach (int t in counts)
            {
                Timed(() => ours.EncodeBatch(chunks, maxThreads: t), ob[t], busy[t][0]);
                Timed(() => ours.EncodeBatch(chunks, batch, maxThreads: t), fb[t], busy[t][1]);
                Timed(() => Hf(t), hb[t], busy[t][2]);
            }
        double oBase = Median(ob[1]), fBase = Median(fb[1]), hBase = Median(hb[1]);
        foreach (int t in counts)
        {
            double om = Median(ob[t]), fm = Median(fb[t]), hm = Median(hb[t]);
            Console.WriteLine(Inv($"| {t} thread{(t > 1 ? "s" : "")} | {om:F1} | {om / oBase:F2}× | {fm:F1} | {fm / fBase:F2}× | {hm:F1} | {hm / hBase:F2}× | {om / hm:F2}× |"));
        }
        Console.WriteLine();
        Console.WriteLine("| batch encode: cores busy (process CPU ÷ wall, median) | SharpLM → int[][] | SharpLM → TokenBatch | HF |");
        Console.WriteLine("|---|---|---|---|");
        foreach (int t in counts)
            Console.WriteLine(Inv($"| {t} thread{(t > 1 ? "s" : "")} | {Median(busy[t][0]):F2} | {Median(busy[t][1]):F2} | {Median(busy[t][2]):F2} |"));
        Console.WriteLine($"load average: {(File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a")}");
        return 0;
    }

    static double ProcessCpuMs() => Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds;

    static (Gemma3Tokenizer Tok, double Ms, double AllocMb, double RetainedMb, double NativeMb) MeasureLoad(string path)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long before = GC.GetTotalMemory(true);
        long allocBefore = GC.GetTotalAllocatedBytes(true);
        long nativeBefore = LookupTableMemory.LiveBytes;
        var sw = Stopwatch.StartNew();
        var tok = Gemma3Tokenizer.Load(path);
        double ms = sw.Elapsed.TotalMilliseconds;
        long alloc = GC.GetTotalAllocatedBytes(true) - allocBefore;
        long retained = GC.GetTotalMemory(true) - before;
        long native = LookupTableMemory.LiveBytes - nativeBefore;
        GC.KeepAlive(tok);
        return (tok, ms, alloc / 1e6, retained / 1e6, native / 1e6);
    }

    /// <summary>Real text from shared/data: the text corpora, then GSM8K and MATH fields, cut into chunks of at most 4096 UTF-8 bytes.</summary>
    internal static List<string> Corpus(string data, long maxBytes)
    {
        var texts = new List<string>();
        foreach (var f in Directory.GetFiles(Path.Combine(data, "text-corpus"), "*.txt").OrderBy(f => f, StringComparer.Ordinal))
            texts.Add(File.ReadAllText(f));
        foreach (var f in new[] { "gsm8k/train.jsonl", "math/test.jsonl" })
        {
            var sb = new StringBuilder();
            foreach (var line in File.ReadLines(Path.Combine(data, f)))
            {
                if (string.IsNullOrWhiteSpace(line)) continue;
                using var doc = JsonDocument.Parse(line);
                foreach (var p in doc.RootElement.EnumerateObject())
                    if (p.Value.ValueKind == JsonValueKind.String) sb.Append(p.Value.GetString()).Append('\n');
            }
            texts.Add(sb.ToString());
        }
        // Interleave files so any prefix of the corpus mixes prose, LaTeX and math word problems.
        var perFile = texts.Select(t => Chunk(t, 4096).ToList()).ToList();
        var chunks = new List<string>();
        long total = 0;
        for (int i = 0; total < maxBytes; i++)
        {
            bool any = false;
            foreach (var list in perFile)
            {
                if (i >= list.Count) continue;
                any = true;
                chunks.Add(list[i]);
                total += Encoding.UTF8.GetByteCount(list[i]);
                if (total >= maxBytes) break;
            }
            if (!any) break;
        }
        return chunks;
    }

    static IEnumerable<string> Chunk(string text, int maxBytes)
    {
        int start = 0;
        while (start < text.Length)
        {
            int bytes = 0, end = start;
            while (end < text.Length)
            {
                int width = char.IsHighSurrogate(text[end]) && end + 1 < text.Length ? 2 : 1;
                int b = Encoding.UTF8.GetByteCount(text.AsSpan(end, width));
                if (bytes + b > maxBytes) break;
                bytes += b;
                end += width;
            }
            yield return text[start..end];
            start = end;
        }
    }

    /// <summary>CPU time of the calling thread (NaN off Linux); HF's encode runs on the calling thread too.</summary>
    internal static double ThreadCpuSeconds() => SharpLM.Threading.CpuTime.ThreadSeconds();

    /// <summary>
    /// One thread's part of a shared-counter pass (the batch's hand-out without its code): takes chunk indices from
    /// <paramref name="next"/> in turn until none are left, encoding each into <paramref name="output"/> (cleared per
    /// chunk); returns the bytes it encoded and the thread CPU seconds that took.
    /// </summary>
    internal static (long Bytes, double CpuSeconds) EncodeTakingTurns(Gemma3Tokenizer tok, List<string> chunks, int[] chunkBytes, ref int next, List<int> output)
    {
        double c0 = ThreadCpuSeconds();
        long bytes = 0;
        for (int i = Interlocked.Increment(ref next); i < chunks.Count; i = Interlocked.Increment(ref next))
        {
            output.Clear();
            tok.Encode(chunks[i].AsSpan(), output);
            bytes += chunkBytes[i];
        }
        return (bytes, ThreadCpuSeconds() - c0);
    }
}
