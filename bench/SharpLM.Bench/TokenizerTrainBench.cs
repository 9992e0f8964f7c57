using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using SharpLM.Tokenization;
using static SharpLM.Bench.BenchSupport;

namespace SharpLM.Bench;

/// <summary>
/// The tokenizer trainer: training time for 4k/8k/16k vocabularies on the shared text corpora, and the
/// compression (tokens per UTF-8 byte, lower is better) of each trained tokenizer beside Gemma 3's 262k
/// vocabulary, on text it was trained on and on held-out math text.
/// </summary>
/// <remarks><c>dotnet run -c Release --project bench/SharpLM.Bench -- tokenizer-train [--data DIR] [--sizes 4096,8192,16384]</c></remarks>
public static class TokenizerTrainBench
{
    public static int Run(string[] args)
    {
        string data = Option(args, "--data") ?? Environment.GetEnvironmentVariable("SHARPLM_SHARED_DATA")
            ?? throw new ArgumentException("pass --data DIR or set SHARPLM_SHARED_DATA");
        int[] sizes = (Option(args, "--sizes") ?? "4096,8192,16384").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        string gemmaPath = Option(args, "--tokenizer") ?? FindTokenizer();

        string[] train = ["text-corpus/tinyshakespeare.txt", "text-corpus/openlogic.tex.txt", "gsm8k/train.jsonl"];
        string[] eval = ["text-corpus/tinyshakespeare.txt", "text-corpus/openlogic.tex.txt", "gsm8k/train.jsonl", "gsm8k/test.jsonl", "math/test.jsonl", "math/math500_test.jsonl"];
        long trainBytes = train.Sum(f => new FileInfo(Path.Combine(data, f)).Length);
        Console.WriteLine($"# tokenizer trainer: {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        Console.WriteLine(Inv($"training text: {string.Join(", ", train)} ({trainBytes / 1e6:F1} MB)"));
        Console.WriteLine();

        var tokenizers = new List<(string Name, Gemma3Tokenizer Tok)>();
        Console.WriteLine("| vocabulary | train time | merges |");
        Console.WriteLine("|---|---|---|");
        foreach (int size in sizes)
        {
            var sw = Stopwatch.StartNew();
            var tok = BpeTrainer.TrainFiles(train.Select(f => Path.Combine(data, f)).ToArray(), new BpeTrainerOptions { VocabSize = size });
            Console.WriteLine(Inv($"| {size} | {sw.Elapsed.TotalSeconds:F1} s | {tok.MergeCount:N0} |"));
            tokenizers.Add(($"trained {size / 1024}k", tok));
        }
        tokenizers.Add(("Gemma 3 (262k)", Gemma3Tokenizer.Load(gemmaPath)));

        Console.WriteLine();
        Console.WriteLine("tokens per UTF-8 byte (lower is better); * = held out from training");
        Console.WriteLine();
        Console.WriteLine("| text | MB | " + string.Join(" | ", tokenizers.Select(t => t.Name)) + " |");
        Console.WriteLine("|---|---|" + string.Concat(tokenizers.Select(_ => "---|")));
        foreach (var f in eval)
        {
            var texts = Texts(Path.Combine(data, f));
            long bytes = texts.Sum(t => (long)Encoding.UTF8.GetByteCount(t));
            var cells = tokenizers.Select(t => texts.Sum(x => (long)t.Tok.Encode(x).Length) / (double)bytes);
            string name = train.Contains(f) ? f : f + " *";
            Console.WriteLine(Inv($"| {name} | {bytes / 1e6:F2} | ") + string.Join(" | ", cells.Select(c => c.ToString("F3", CultureInfo.InvariantCulture))) + " |");
        }
        return 0;
    }

    static List<string> Texts(string path)
    {
        if (!path.EndsWith(".jsonl", StringComparison.Ordinal)) return [File.ReadAllText(path)];
        var list = new List<string>();
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            using var doc = JsonDocument.Parse(line);
            foreach (var p in doc.RootElement.EnumerateObject())
                if (p.Value.ValueKind == JsonValueKind.String) list.Add(p.Value.GetString()!);
        }
        return list;
    }
}
