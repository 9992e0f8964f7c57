using System.Globalization;
using SharpLM.Cli.CommandLine;
using SharpLM.Diagnostics;
using SharpLM.Evaluation.Backends;
using SharpLM.Evaluation.Runs;
using SharpLM.Evaluation.Tasks;

namespace SharpLM.Cli.Commands;

/// <summary>
/// <c>sharplm eval run --task gsm8k|math|math500|ppl (--model MODEL | --endpoint URL --model-name NAME) [options]</c>:
/// builds lighteval's prompts, generates greedily, scores, writes per-sample JSONL + summary JSON, prints the table.
/// </summary>
public static class EvalRunCommand
{
    const string Usage = """
        usage: sharplm eval run --task gsm8k|math|math500|ppl --model MODEL [options]
               sharplm eval run --task ... --endpoint URL --model-name NAME [options]

        Generation tasks (gsm8k, math, math500):
          --data FILE          benchmark records (default: the task's file under shared/data)
          --fewshot-data FILE  few-shot pool (gsm8k: train.jsonl beside --data; math --prompt lighteval: MATH train)
          --shots K            few-shot examples (gsm8k 5, math/math500 4)
          --prompt FORMAT      gsm8k: lighteval; math/math500: minerva (default) or lighteval
          --limit N            evaluate the first N items of the seeded evaluation order (lighteval's --max-samples)
          --seed S             evaluation-order shuffle and few-shot sampling seed (default 42, as lighteval)
          --max-tokens N       cap on generated tokens (gsm8k 256, math minerva 1024)
          --batch N            prompts generated together (engine: sequences decoded together with continuous
                               batching; endpoint: concurrent requests; default 1)
          --out FILE           summary JSON (default eval-<task>.json); per-sample records go to FILE's
                               .samples.jsonl, written as they finish. Re-running the same command resumes.
          --step N             training step of the evaluated checkpoint (for 'eval compare --plot')
        Perplexity (ppl):
          --data FILE          a text file, or JSONL with --field NAME (default "text") per document
          --window N           tokens per window (default: the model's context length, at most 2048)
          --stride N           tokens between window starts (default: --window, i.e. no overlap)
        SharpLM model:
          --model MODEL        GGUF file or Hugging Face folder
          --tokenizer FILE     tokenizer.json (default: the one beside the model)
          --threads N          kernel threads (default: all cores)
          --no-prefix-reuse    run every prompt whole (default: the few-shot prefix most prompts share is run
                               once and its KV cache copied into each; outputs are the same either way)
        Endpoint:
          --endpoint URL       OpenAI-compatible server (http://host:port, .../v1 or .../v1/completions)
          --model-name NAME    the "model" field of each request
          --timeout S          seconds per request before retrying (default 600)
          --retries N          retries after connection errors, timeouts, 429 and 5xx (default 5)
          --api-key-env VAR    send the key in environment variable VAR as a bearer token
        """;

    public static int Run(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h")) { Console.Out.WriteLine(Usage); return 0; }
        var a = CommandArgs.Parse(args, valued:
        [
            "--task", "--model", "--endpoint", "--model-name", "--data", "--fewshot-data", "--shots", "--limit", "--seed",
            "--max-tokens", "--batch", "--out", "--prompt", "--step", "--timeout", "--retries", "--api-key-env",
            "--window", "--stride", "--field", "--tokenizer", .. InferenceOptions.Valued,
        ], flags: ["--no-prefix-reuse"], aliases: InferenceOptions.Aliases);
        a.NoMorePositionalThan(0);
        var task = a.Choice("--task", "", "gsm8k", "math", "math500", "ppl");
        if (a.Has("--model") == a.Has("--endpoint"))
            throw new UsageException("give either --model MODEL or --endpoint URL --model-name NAME");
        if (a.Has("--endpoint") && !a.Has("--model-name")) throw new UsageException("--endpoint needs --model-name NAME");
        var limit = a.OptionalInt("--limit");
        if (limit is < 1) throw new UsageException("--limit must be at least 1");
        var batch = a.Int("--batch", 1);
        if (batch < 1) throw new UsageException("--batch must be at least 1");

        if (task == "ppl") return EvalPerplexity.Run(a);

        var seed = a.Long("--seed", TaskOptions.LightevalSeed);
        var options = new TaskOptions(a.OptionalInt("--shots"), seed, limit, a.String("--prompt"));
        var dataPath = EvalCommon.DataPath(a, task);
        GenerativeTask t;
        try
        {
            if (task == "gsm8k")
            {
                var test = EvalCommon.LoadGsm8k(dataPath);
                var needsPool = (options.Shots ?? Gsm8kTask.DefaultShots) > 0;
                var trainPath = needsPool ? EvalCommon.Gsm8kTrainPath(a, dataPath)
                    ?? throw new UsageException("few-shot GSM8K needs the train split: pass --fewshot-data train.jsonl (or --shots 0)") : null;
                t = Gsm8kTask.Create(test, trainPath is null ? null : EvalCommon.LoadGsm8k(trainPath), options);
            }
            else
            {
                var test = EvalCommon.LoadMath(dataPath);
                var pool = a.String("--fewshot-data") is { } fp ? EvalCommon.LoadMath(fp) : null;
                t = MathTask.Create(task, test, pool, options);
            }
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }

        var maxTokens = a.Int("--max-tokens", t.DefaultMaxTokens);
        if (maxTokens < 1) throw new UsageException("--max-tokens must be at least 1");
        var outPath = a.String("--out") ?? $"eval-{task}.json";
        var settings = new GenerationRunSettings(outPath, dataPath, maxTokens, batch, seed, limit, StepOf(a));

        using var generator = OpenGenerator(a, batch);
        using var progress = new ProgressReporter($"eval {task}", t.Samples.Count, "samples");
        GenerationRunResult result;
        try
        {
            result = GenerationRunner.Run(t, generator, settings, progress, Program.Cancellation);
        }
        catch (OperationCanceledException)
        {
            progress.Finish("interrupted");
            Console.Error.WriteLine($"sharplm: interrupted; finished samples are in {SampleLog.PathFor(outPath)}; run the same command again to resume");
            throw;
        }
        Console.Out.WriteLine($"{task} ({t.PromptFormat} prompt, {t.Shots}-shot, seed {seed}) on {generator.Description}");
        EvalCommon.PrintTable(Console.Out, task, result.Score);
        Console.Out.WriteLine($"summary: {Path.GetFullPath(outPath)}");
        Console.Out.WriteLine($"samples: {result.SamplesPath}" + (result.Resumed > 0 ? $" ({result.Resumed} resumed, {result.Generated} generated)" : ""));
        return 0;
    }

    /// <summary><c>--step</c>, else a number in the model path after "step"/"checkpoint"/"ckpt" (e.g. <c>run/step-1000.gguf</c>).</summary>
    internal static long? StepOf(CommandArgs a)
    {
        if (a.String("--step") is { } s)
            return long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= 0 ? v
                : throw new UsageException($"option --step: '{s}' is not a non-negative integer");
        return a.String("--model") is { } m ? EvalCompareCommand.StepFromName(m) : null;
    }

    internal static ITextGenerator OpenGenerator(CommandArgs a, int batch)
    {
        if (a.String("--endpoint") is { } url)
        {
            var timeout = a.Double("--timeout", 600);
            if (timeout <= 0) throw new UsageException("--timeout must be positive");
            var retries = a.Int("--retries", 5);
            if (retries < 0) throw new UsageException("--retries must be >= 0");
            string? key = null;
            if (a.String("--api-key-env") is { } envName)
                key = Environment.GetEnvironmentVariable(envName) ?? throw new UsageException($"--api-key-env: environment variable {envName} is not set");
            return new OpenAiCompletionsClient(new EndpointOptions(url, a.RequiredString("--model-name"), TimeSpan.FromSeconds(timeout), retries, batch, ApiKey: key));
        }
        InferenceOptions.ApplyThreads(a);
        var (model, tokenizer) = EngineModel.Open(a.RequiredString("--model"), a.String("--tokenizer"));
        return new SharpLMGenerator(model, tokenizer, ownsModel: true, InferenceOptions.EmbedScale(a), batch, reusePrefix: !a.Flag("--no-prefix-reuse"));
    }
}
