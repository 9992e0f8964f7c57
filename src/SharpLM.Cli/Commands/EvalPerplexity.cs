using System.Globalization;
using SharpLM.Cli.CommandLine;
using SharpLM.Diagnostics;
using SharpLM.Evaluation.Backends;
using SharpLM.Evaluation.Data;
using SharpLM.Evaluation.Perplexity;
using SharpLM.Evaluation.Runs;

namespace SharpLM.Cli.Commands;

/// <summary><c>eval run --task ppl</c>: perplexity and bits per byte with sliding windows (see <see cref="PerplexityEvaluator"/>).</summary>
static class EvalPerplexity
{
    public static int Run(CommandArgs a)
    {
        if (a.Has("--endpoint"))
            throw new UsageException("--task ppl needs --model: an OpenAI-compatible endpoint does not expose its tokenizer, so windows and bytes per token cannot be placed exactly");
        foreach (var o in new[] { "--shots", "--prompt", "--fewshot-data", "--max-tokens", "--seed" })
            if (a.Has(o)) throw new UsageException($"{o} does not apply to --task ppl");
        var dataPath = a.String("--data") ?? throw new UsageException("--task ppl needs --data FILE (a text file, or JSONL with --field)");
        var documents = LoadDocuments(dataPath, a.String("--field"), a.OptionalInt("--limit"), out bool plainText);
        int? maxWindows = plainText ? a.OptionalInt("--limit") : null;

        InferenceOptions.ApplyThreads(a);
        var (model, tokenizer) = EngineModel.Open(a.RequiredString("--model"), a.String("--tokenizer"));
        using var source = new SharpLMLogProbSource(model, tokenizer, ownsModel: true, InferenceOptions.EmbedScale(a));
        int window = a.Int("--window", Math.Min(source.ContextLength, 2048));
        if (window < 2 || window > source.ContextLength) throw new UsageException($"--window must be in 2..{source.ContextLength}");
        int stride = a.Int("--stride", window);
        if (stride < 1 || stride > window) throw new UsageException("--stride must be in 1..--window");

        var outPath = a.String("--out") ?? "eval-ppl.json";
        var samplesPath = SampleLog.PathFor(outPath);
        var dataHash = GenerationRunner.FileHash(dataPath);
        var run = SampleLog.Fingerprint("ppl-v1", source.Description, dataHash, a.String("--field") ?? "text",
            window.ToString(CultureInfo.InvariantCulture), stride.ToString(CultureInfo.InvariantCulture));
        var started = DateTime.UtcNow;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        PerplexityResult r;
        using (var progress = new ProgressReporter("eval ppl", 0, "windows"))
        {
            try
            {
                r = PerplexityEvaluator.Evaluate(source, documents, window, stride, samplesPath, run, maxWindows, progress, Program.Cancellation);
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine($"sharplm: interrupted; finished windows are in {samplesPath}; run the same command again to resume");
                throw;
            }
        }
        SummaryWriter.Write(outPath, w =>
        {
            w.WriteString("task", "ppl");
            w.WriteNumber("perplexity", r.Perplexity);
            w.WriteNumber("bits_per_byte", r.BitsPerByte);
            w.WriteNumber("byte_perplexity", r.BytePerplexity);
            w.WriteNumber("word_perplexity", r.WordPerplexity);
            w.WriteNumber("nll", r.NegativeLogLikelihood);
            w.WriteNumber("tokens", r.Tokens);
            w.WriteNumber("bytes", r.Bytes);
            w.WriteNumber("words", r.Words);
            w.WriteNumber("documents", r.Documents);
            w.WriteNumber("windows", r.Windows);
            w.WriteNumber("window", r.WindowLength);
            w.WriteNumber("stride", r.Stride);
            w.WriteBoolean("complete", r.Complete);
            w.WriteString("model", source.Description);
            if (EvalRunCommand.StepOf(a) is { } step) w.WriteNumber("step", step);
            w.WriteString("data", Path.GetFullPath(dataPath));
            w.WriteString("data_sha256", dataHash);
            w.WriteString("run", run);
            w.WriteString("samples_file", Path.GetFileName(samplesPath));
            w.WriteString("started_utc", started.ToString("O", CultureInfo.InvariantCulture));
            w.WriteNumber("seconds", Math.Round(clock.Elapsed.TotalSeconds, 3));
        });
        var rows = new List<string[]>
        {
            new[] { "task", "metric", "value" },
            new[] { "ppl", "perplexity", F(r.Perplexity) },
            new[] { "ppl", "bits_per_byte", F(r.BitsPerByte) },
            new[] { "ppl", "byte_perplexity", F(r.BytePerplexity) },
            new[] { "ppl", "word_perplexity", F(r.WordPerplexity) },
        };
        EvalCommon.PrintRows(Console.Out, rows);
        Console.Out.WriteLine($"{r.Tokens} tokens, {r.Bytes} bytes, {r.Documents} documents, {r.Windows} windows of {r.WindowLength} (stride {r.Stride})");
        Console.Out.WriteLine($"summary: {Path.GetFullPath(outPath)}");
        return 0;

        static string F(double v) => v.ToString("F4", CultureInfo.InvariantCulture);
    }

    /// <summary>A JSONL file (one document per record, field <paramref name="field"/>) or any other file as one UTF-8 text.</summary>
    internal static List<PerplexityDocument> LoadDocuments(string path, string? field, int? limit, out bool plainText)
    {
        bool jsonl = path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase);
        plainText = !jsonl;
        if (jsonl)
        {
            var name = field ?? "text";
            var docs = new List<PerplexityDocument>();
            foreach (var line in EvalCommon.ReadRecords(path))
            {
                if (limit is int l && docs.Count >= l) break;
                docs.Add(new PerplexityDocument(line.Index, JsonlFile.RequiredString(path, line, name)));
            }
            if (docs.Count == 0) throw new SharpLMDataException(path, "no documents");
            return docs;
        }
        if (field is not null) throw new UsageException("--field applies to JSONL data only");
        if (!File.Exists(path)) throw new SharpLMDataException(path, "file not found");
        const long maxTextBytes = 1L << 30;
        if (new FileInfo(path).Length > maxTextBytes)
            throw new SharpLMDataException(path, "text file larger than 1 GiB; split it into JSONL documents (--field)");
        string text;
        try { text = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(File.ReadAllBytes(path)); }
        catch (System.Text.DecoderFallbackException) { throw new SharpLMDataException(path, "invalid UTF-8"); }
        if (text.Length == 0) throw new SharpLMDataException(path, "empty file");
        return [new PerplexityDocument(0, text)];
    }
}
