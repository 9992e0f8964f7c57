using SharpLM.Cli.CommandLine;
using SharpLM.Data.Annotation;
using SharpLM.Diagnostics;
using SharpLM.Generation;
using SharpLM.Models.Gemma3;
using SharpLM.Tokenization;

namespace SharpLM.Cli.Commands;

/// <summary>
/// <c>sharplm data annotate --endpoint URL|--model MODEL --rubric finemath-3|finemath-5 --input FILE --out FILE</c>:
/// LLM scores for pages (the classifier's training labels), resumable.
/// </summary>
public static class DataAnnotateCommand
{
    public const string Usage = """
        usage: sharplm data annotate (--endpoint URL | --model MODEL) --rubric finemath-3|finemath-5 --input FILE --out FILE [options]

        Asks an LLM to score each page with a FineMath rubric and writes one JSON line per page
        (id, url, text, score, rubric, model, completion). Rerun the same command to resume.
          --endpoint URL        OpenAI-compatible server (…/v1/chat/completions is appended when missing)
          --model MODEL         SharpLM's own engine: a GGUF file or HF folder, answered greedily here
          --model-name NAME     the "model" field sent to the endpoint (default: "default")
          --api-key-env VAR     read a bearer token from this environment variable
          --input FILE          JSONL (text, optional id/url) or Parquet (text column)
          --concurrency N       requests in flight (default 8; 1 with --model)
          --retries N           attempts per page on 429/5xx/timeouts (default 5), exponential backoff
          --timeout S           seconds per request (default 120)
          --max-chars N         cut pages to N characters (default 10000)
          --max-tokens N        completion length (default 512)
          --limit N             annotate only the first N pages
        """;

    public static int Run(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h")) { Console.WriteLine(Usage); return 0; }
        var a = CommandArgs.Parse(args, valued: ["--endpoint", "--model", "--model-name", "--api-key-env", "--rubric", "--input", "--out",
            "--concurrency", "--retries", "--timeout", "--max-chars", "--max-tokens", "--limit"]);
        a.NoMorePositionalThan(0);
        var rubric = Rubric.Get(a.Choice("--rubric", "finemath-5", "finemath-3", "finemath-5"));
        string input = a.RequiredString("--input"), output = a.RequiredString("--out");
        if (a.Has("--endpoint") == a.Has("--model")) throw new UsageException("give exactly one of --endpoint URL or --model MODEL");
        int maxTokens = a.Int("--max-tokens", 512);
        var options = new AnnotatorOptions
        {
            Rubric = rubric, MaxChars = a.Int("--max-chars", 10_000), Retries = a.Int("--retries", 5), Limit = a.Long("--limit", 0),
        };
        if (options.MaxChars < 1 || options.Retries < 1 || maxTokens < 1) throw new UsageException("--max-chars, --retries and --max-tokens must be positive");

        IChatModel model;
        if (a.String("--endpoint") is { } endpoint)
        {
            string? key = a.String("--api-key-env") is { } env
                ? Environment.GetEnvironmentVariable(env) ?? throw new UsageException($"environment variable {env} is not set")
                : null;
            model = new OpenAiChatClient(endpoint, a.String("--model-name", "default")!, a.Int("--concurrency", 8),
                TimeSpan.FromSeconds(a.Double("--timeout", 120)), key, maxTokens);
        }
        else
        {
            model = new LocalEngineChat(a.RequiredString("--model"), maxTokens);
        }
        using var log = new StreamWriter(output + ".log", append: true) { AutoFlush = true };
        using var progress = new ProgressReporter("annotate", 0, "pages");
        var summary = new Annotator(model, options, line => { lock (log) log.WriteLine(line); })
            .RunAsync(input, output, progress, Program.Cancellation).GetAwaiter().GetResult();
        progress.Finish();
        (model as IDisposable)?.Dispose();
        Console.WriteLine($"{summary.Annotated} pages annotated, {summary.AlreadyDone} already done, {summary.Failed} failed (see {output}.log; rerun to retry) of {summary.Total}");
        Console.WriteLine("scores: " + string.Join("  ", summary.ScoreCounts.Select(kv => $"{kv.Key}: {kv.Value}")));
        return 0;
    }

    /// <summary>SharpLM's own Gemma 3 engine as an <see cref="IChatModel"/>: chat template, greedy decoding, one page at a time.</summary>
    sealed class LocalEngineChat : IChatModel, IDisposable
    {
        readonly Gemma3Model _model;
        readonly ModelTokenizer _tok;
        readonly int _maxTokens;
        readonly object _lock = new();

        public LocalEngineChat(string path, int maxTokens)
        {
            if (!File.Exists(path) && !Directory.Exists(path)) throw new SharpLMDataException(path, "model not found");
            _model = Gemma3Model.Load(path);
            try { _tok = ModelTokenizer.For(_model, null); }
            catch { _model.Dispose(); throw; }
            _maxTokens = maxTokens;
            Name = path;
        }

        public string Name { get; }
        public int MaxConcurrency => 1;

        public Task<string> CompleteAsync(string prompt, CancellationToken cancel)
        {
            lock (_lock)
            {
                var ids = _tok.Encode(_model, ModelTokenizer.RenderChat([new ChatMessage("user", prompt)], addGenerationPrompt: true), addBos: false);
                int maxContext = _model.Config.MaxPositionEmbeddings;
                // A page the model cannot read in one context fails on its own (logged, retried on the next run
                // with a smaller --max-chars); the other pages go on.
                if (ids.Length + 1 > maxContext)
                    throw new PermanentChatException($"the prompt is {ids.Length} tokens but {Name} reads at most {maxContext}; lower --max-chars");
                int context = Math.Min(maxContext, ids.Length + _maxTokens + 1);
                using var session = _model.CreateSession(context);
                var sampler = new Sampler(new SamplerOptions { Temperature = 0 }, Math.Min(_tok.VocabSize, _model.Config.VocabSize), _tok.ForbiddenIds);
                var gen = new Generator(session, sampler, [_tok.EndOfTurnId, _tok.EosId]);
                var stream = _tok.NewStream();
                var sb = new System.Text.StringBuilder();
                foreach (int id in gen.Generate(ids, _maxTokens, cancel)) sb.Append(stream.Push(id));
                sb.Append(stream.Flush());
                return Task.FromResult(sb.ToString());
            }
        }

        public void Dispose() => _model.Dispose();
    }
}
