using System.Globalization;
using System.Text.Json;
using SharpLM.Cli.CommandLine;
using SharpLM.Generation;
using SharpLM.Models.Gemma3;
using SharpLM.Tokenization;
using SharpLM.Training;

namespace SharpLM.Cli.Commands;

/// <summary>
/// <c>sharplm demo</c>: the whole toolkit end to end on the GSM8K corpus shipped with the tool — train a
/// tokenizer, tokenize, train the tiny Gemma 3 preset for a few minutes (loss and eval loss shown as they
/// fall), export a GGUF and generate from it. Every stage is resumable: rerunning continues where it stopped.
/// </summary>
public static class DemoCommand
{
    const string Usage = """
        usage: sharplm demo [--out DIR] [--steps N] [--threads N] [--prompt TEXT] [--seed S]

        Trains a 4,096-token tokenizer and the 'tiny' Gemma 3 model (~9M parameters, 6 layers) on GSM8K
        (shipped with sharplm, MIT licence), then exports model.gguf and writes three sample continuations.
        A few minutes on two cores. Rerun to continue an interrupted demo.
          --out DIR      where everything goes (default: ./sharplm-demo)
          --steps N      optimizer steps of 8 × 256 tokens (default 200)
          --threads N    worker threads (default: all processors)
          --prompt TEXT  a prompt to continue besides the built-in ones
          --seed S       initialisation, data order and sampling (default 1)
        """;

    public const int VocabSize = 4096;
    public const int DefaultSteps = 200;
    public const double Lr = 3e-3, MinLr = 3e-4;
    /// <summary>Eval batches of 8 × 256 tokens at each evaluation: 16k held-out tokens, enough to see the trend.</summary>
    const int EvalBatches = 8;

    internal static readonly string[] Prompts =
    [
        "Natalia sold clips to 48 of her friends in April, and then she sold",
        "A baker makes 12 loaves of bread every hour. How many",
        "Tom has 5 apples and buys 3 more. He gives",
    ];

    public static int Run(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h")) { Console.Out.WriteLine(Usage); return 0; }
        // Undocumented, for the plumbing test: --docs N (the first N training problems, N/5 test problems),
        // --batch, --seq, --gen (tokens per continuation).
        var a = CommandArgs.Parse(args, valued: ["--out", "--steps", "--threads", "--prompt", "--seed", "--docs", "--batch", "--seq", "--gen"]);
        a.NoMorePositionalThan(0);
        string dir = Path.GetFullPath(a.String("--out", "sharplm-demo")!);
        int steps = a.Int("--steps", DefaultSteps);
        int threads = a.Int("--threads", 0);
        int seed = a.Int("--seed", 1);
        int docsLimit = a.Int("--docs", int.MaxValue), batch = a.Int("--batch", 8), seq = a.Int("--seq", 256), genTokens = a.Int("--gen", 96);
        if (steps <= 0 || threads < 0 || seed < 0) throw new UsageException("--steps must be positive, --threads and --seed non-negative");
        if (docsLimit < 5 || batch <= 0 || seq <= 0 || genTokens <= 0) throw new UsageException("--docs must be at least 5; --batch, --seq and --gen positive");
        var prompts = a.String("--prompt") is { } p ? [.. Prompts, p] : Prompts;
        var cancel = Program.Cancellation;
        var o = Console.Out;

        string shipped = Path.Combine(AppContext.BaseDirectory, "DemoData", "gsm8k");
        if (!File.Exists(Path.Combine(shipped, "train.jsonl")) || !File.Exists(Path.Combine(shipped, "test.jsonl")))
            throw new SharpLMDataException(shipped, "the demo corpus is missing from the installation (expected train.jsonl and test.jsonl)");
        Directory.CreateDirectory(dir);
        o.WriteLine($"sharplm demo → {dir}");
        // A copy inside OUT: the tokenize stage resumes by input path, which must not change when sharplm is rebuilt elsewhere.
        string corpus = Path.Combine(dir, "corpus");
        string train = CopyCorpus(shipped, corpus, "train.jsonl", docsLimit), test = CopyCorpus(shipped, corpus, "test.jsonl", Math.Max(1, docsLimit / 5));
        CopyCorpus(shipped, corpus, "LICENSE", int.MaxValue);
        o.WriteLine(FormattableString.Invariant(
            $"corpus: GSM8K grade-school math (OpenAI, MIT licence), {File.ReadLines(train).Count():N0} training and {File.ReadLines(test).Count():N0} test problems"));

        // 1. Tokenizer
        string tokenizerPath = Path.Combine(dir, "tokenizer.json");
        o.WriteLine();
        o.WriteLine($"[1/5] tokenizer: byte-fallback BPE, {VocabSize:N0} tokens, Gemma's special tokens");
        if (!File.Exists(tokenizerPath))
        {
            var docs = new List<string>();
            foreach (var line in File.ReadLines(train))
            {
                using var j = JsonDocument.Parse(line);
                docs.Add(j.RootElement.GetProperty("question").GetString() + "\n" + j.RootElement.GetProperty("answer").GetString());
            }
            using var progress = new Diagnostics.ProgressReporter("tokenizer", 0, "pieces");
            var trained = BpeTrainer.Train(docs, new BpeTrainerOptions { VocabSize = VocabSize, Seed = seed, Threads = threads }, progress, cancel, train);
            progress.Finish();
            trained.SaveTokenizerJson(tokenizerPath);
        }
        var tokenizer = Gemma3Tokenizer.Load(tokenizerPath);
        string sample = "Natalia sold 48/2 = <<48/2=24>>24 clips in May.";
        var ids = tokenizer.Encode(sample);
        o.WriteLine($"      \"{sample}\" → {ids.Length} tokens: {string.Join(" ", ids.Take(16).Select(i => tokenizer.TokenText(i).Replace('\u2581', '_')))}");

        // 2. Token shards
        o.WriteLine();
        o.WriteLine("[2/5] data: question + answer per document, <bos> … <eos>");
        string trainData = Path.Combine(dir, "data", "train"), evalData = Path.Combine(dir, "data", "test");
        o.WriteLine("      " + DataTokenizeCommand.Tokenize(tokenizerPath, [train], trainData, ["question", "answer"], 100_000_000, cancel));
        o.WriteLine("      " + DataTokenizeCommand.Tokenize(tokenizerPath, [test], evalData, ["question", "answer"], 100_000_000, cancel));

        // 3. Training
        string run = Path.Combine(dir, "run");
        o.WriteLine();
        o.WriteLine(FormattableString.Invariant(
            $"[3/5] train: preset tiny, {steps} steps × {batch}×{seq} tokens, AdamW lr {Lr:G2} cosine; a uniform guess scores ln({tokenizer.VocabSize}) = {Math.Log(tokenizer.VocabSize):F2}"));
        var result = TrainCommand.Train(new TrainerOptions
        {
            Preset = "tiny", DataPath = trainData, OutDir = run, Steps = steps, Batch = batch, Seq = seq, Lr = Lr, MinLr = MinLr,
            Warmup = Math.Max(1, steps / 20), Schedule = "cosine", Seed = (ulong)seed, EvalDataPath = evalData,
            EvalEvery = Math.Max(1, steps / 5), EvalBatches = EvalBatches, SaveEvery = Math.Max(1, steps / 5), Threads = threads, Resume = true,
        }, cancel);
        o.WriteLine(FormattableString.Invariant(
            $"      step {result.Step}: train loss {result.LastLoss:F3}, eval loss {result.LastEvalLoss:F3} ({result.TokensPerSecond:F0} tokens/s); loss curve: {Path.Combine(run, TrainingMetrics.PlotFileName)}"));

        // 4. Export
        string gguf = Path.Combine(dir, "model-q8_0.gguf");
        o.WriteLine();
        o.WriteLine("[4/5] convert: GGUF with q8_0 matrices (llama.cpp-compatible)");
        CheckpointConverter.ToGguf(run, gguf, ExportType.Q8_0);
        o.WriteLine(FormattableString.Invariant($"      {gguf} ({new FileInfo(gguf).Length / 1e6:F1} MB)"));

        // 5. Generation from the GGUF
        o.WriteLine();
        o.WriteLine("[5/5] generate from the GGUF (temperature 0.7, top-k 40):");
        using var model = Gemma3Model.Load(gguf);
        var tok = Gemma3Tokenizer.FromGguf(model.GgufTokenizer!, gguf);
        for (int i = 0; i < prompts.Length; i++)
        {
            cancel.ThrowIfCancellationRequested();
            var prompt = tok.Encode(prompts[i], addBos: true);
            int n = genTokens;
            using var session = model.CreateSession(Math.Min(model.Config.MaxPositionEmbeddings, prompt.Length + n));
            var sampler = new Sampler(new SamplerOptions { Temperature = 0.7f, TopK = 40, TopP = 0.95f, Seed = (ulong)(seed * 100 + i) }, model.Config.VocabSize);
            var gen = new Generator(session, sampler, [tok.EosId]);
            var stream = tok.NewStreamingDetokenizer(skipSpecialTokens: true);
            o.WriteLine();
            o.Write("  > " + prompts[i]);
            foreach (int id in gen.Generate(prompt, n, cancel))
            {
                string piece = stream.Push(id);
                if (piece.Length > 0) { o.Write(piece.Replace("\n", "\n    ")); o.Flush(); }
            }
            o.WriteLine(stream.Flush());
        }
        o.WriteLine();
        o.WriteLine($"done. Try: sharplm run {gguf} --prompt \"Janet has 3 cats\"   ·   sharplm train --help");
        return 0;
    }

    /// <summary>Copies the first <paramref name="limit"/> lines of the shipped <paramref name="file"/> into <paramref name="folder"/> (once; atomic).</summary>
    static string CopyCorpus(string shipped, string folder, string file, int limit)
    {
        string to = Path.Combine(folder, file);
        if (!File.Exists(to))
        {
            Directory.CreateDirectory(folder);
            IO.AtomicFile.WriteAllText(to, string.Concat(File.ReadLines(Path.Combine(shipped, file)).Take(limit).Select(l => l + "\n")));
        }
        return to;
    }
}
