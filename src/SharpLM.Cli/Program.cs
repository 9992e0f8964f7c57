using SharpLM.Cli.CommandLine;
using SharpLM.Cli.Commands;

namespace SharpLM.Cli;

/// <summary>
/// The <c>sharplm</c> command: a table of verbs, one file per verb under <c>Commands/</c>. Commands parse
/// their arguments, call the library and print; this file only dispatches and turns exceptions into exit
/// codes: 0 success, 2 bad input or usage (one line on stderr), 1 a bug (stack trace with <c>--verbose</c>),
/// 130 interrupted.
/// </summary>
public static class Program
{
    /// <summary>One verb (or two-word verb such as <c>data extract</c>) of the command.</summary>
    public sealed record Verb(string Name, string Summary, Func<string[], int> Run);

    /// <summary>Every verb, in the order <c>sharplm help</c> lists them.</summary>
    public static readonly Verb[] Verbs =
    [
        new("version", "print the version", VersionCommand.Run),
        new("demo", "end to end in a few minutes, no download: tokenizer → tiny Gemma 3 trained on GSM8K → GGUF → text", DemoCommand.Run),
        new("run", "generate a continuation of a prompt, streamed", RunCommand.Run),
        new("chat", "interactive multi-turn chat (Gemma 3 template)", ChatCommand.Run),
        new("info", "describe a model: layers, tensor types, parameters, weight and KV-cache bytes", InfoCommand.Run),
        new("logits", "write float32 logits [T, V] of a token sequence", LogitsCommand.Run),
        new("tokenize", "encode text to token ids (JSON array)", TokenizeCommand.Run),
        new("detokenize", "decode token ids to text", DetokenizeCommand.Run),
        new("tokenizer train", "train a byte-fallback BPE tokenizer in Gemma's format (tokenizer.json)", TokenizerTrainCommand.Run),
        new("train", "train or fine-tune a Gemma 3 model on token shards (checkpoints resume bit-identically)", TrainCommand.Run),
        new("convert", "export a checkpoint as GGUF (f32, f16, bf16, q8_0, q4_0) for llama.cpp and 'sharplm run'", ConvertCommand.Run),
        new("data tokenize", "text, JSON Lines or Parquet → token shards for 'sharplm train'", DataTokenizeCommand.Run),
        new("data extract", "print a web page's main text with its math as $…$ / $$…$$", DataExtractCommand.Run),
        new("data annotate", "score pages with an LLM and a FineMath rubric (OpenAI-compatible endpoint or local model), resumable", DataAnnotateCommand.Run),
        new("data train-classifier", "train the pipeline's math classifier from annotations; prints precision/recall/MAE", DataTrainClassifierCommand.Run),
        new("data pipeline", "WARC → math text → classifier → dedup → decontamination → Parquet subsets (local or Slurm, resumable)", DataPipelineCommand.Run),
        new("bench", "prefill and decode speed (llama-bench style pp/tg, medians)", BenchCommand.Run),
        new("eval run", "evaluate a model or endpoint on GSM8K, MATH, MATH-500 (lighteval prompts) or perplexity", EvalRunCommand.Run),
        new("eval score", "score existing outputs on GSM8K / MATH exactly as 'eval run' does", EvalScoreCommand.Run),
        new("eval compare", "compare evaluation summaries side by side; plot score vs training step", EvalCompareCommand.Run),
    ];

    /// <summary>Cancelled on Ctrl-C / SIGTERM so long work can stop cleanly and stay resumable.</summary>
    public static CancellationToken Cancellation => s_cancel.Token;
    static readonly CancellationTokenSource s_cancel = new();

    public static int Main(string[] args)
    {
        bool verbose = args.Contains("--verbose");
        if (verbose) args = args.Where(a => a != "--verbose").ToArray();
        Console.CancelKeyPress += (_, e) =>
        {
            if (s_cancel.IsCancellationRequested) return; // second Ctrl-C: let the runtime end the process
            e.Cancel = true;
            s_cancel.Cancel();
        };
        // `kill`, a job scheduler's time limit or a container stop send SIGTERM: the same clean stop as Ctrl-C (finished
        // work written, exit 130); a second SIGTERM ends the process at once.
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
        {
            if (s_cancel.IsCancellationRequested) return;
            context.Cancel = true;
            s_cancel.Cancel();
        });
        try
        {
            if (args.Length == 0 || args[0] is "help" or "--help" or "-h")
            {
                PrintHelp(Console.Out);
                return args.Length == 0 ? 2 : 0;
            }
            var (verb, rest) = Find(args) ?? throw new UsageException($"unknown command '{args[0]}' (see 'sharplm help')");
            return verb.Run(rest);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"sharplm: {e.Message}");
            return 2;
        }
        catch (SharpLMDataException e)
        {
            Console.Error.WriteLine($"sharplm: {e.Message}");
            if (verbose) Console.Error.WriteLine(e);
            return 2;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("sharplm: interrupted");
            return 130;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"sharplm: internal error: {e.GetType().Name}: {e.Message}");
            Console.Error.WriteLine(verbose ? e.ToString() : "(run again with --verbose for the stack trace)");
            return 1;
        }
    }

    static (Verb, string[])? Find(string[] args)
    {
        if (args.Length >= 2)
        {
            var two = args[0] + " " + args[1];
            foreach (var v in Verbs) if (v.Name == two) return (v, args[2..]);
        }
        foreach (var v in Verbs) if (v.Name == args[0]) return (v, args[1..]);
        return null;
    }

    static void PrintHelp(TextWriter o)
    {
        o.WriteLine("sharplm — train, distil, quantize, evaluate and run Gemma 3 models in pure .NET");
        o.WriteLine();
        o.WriteLine("usage: sharplm <command> [arguments] [--verbose]");
        o.WriteLine();
        int w = Verbs.Max(v => v.Name.Length) + 2;
        foreach (var v in Verbs) o.WriteLine($"  {v.Name.PadRight(w)}{v.Summary}");
        o.WriteLine();
        o.WriteLine("Each command prints its own options with --help.");
    }
}
