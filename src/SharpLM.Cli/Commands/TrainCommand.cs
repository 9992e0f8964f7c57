using System.Globalization;
using SharpLM.Cli.CommandLine;
using SharpLM.Diagnostics;
using SharpLM.Training;

namespace SharpLM.Cli.Commands;

/// <summary><c>sharplm train</c>: pre-train or fine-tune a Gemma 3 model on token shards.</summary>
public static class TrainCommand
{
    const string Usage = """
        usage: sharplm train (--preset NAME | --config model.json | --init MODEL_DIR) --data PATH --out DIR
                             --steps N --batch B --seq T [options]

        Trains a Gemma 3 model with hand-written forward/backward passes and AdamW, on the CPU.
        Model (exactly one; none when resuming):
          --preset NAME       tiny (~10M, 6 layers), small (~50M, 12 layers): vocabulary from the data;
                              270m, 1b: the released shapes (262,144-token vocabulary)
          --config FILE       an HF config.json
          --init MODEL_DIR    start from an HF model folder (or .gguf), e.g. gemma-3-270m, to fine-tune
        Data and output:
          --data PATH         token shards from 'sharplm data tokenize' (a .tok file or a folder of them),
                              or a raw little-endian uint32 token file ending in .u32
          --out DIR           checkpoints (HF layout: DIR itself is loadable), metrics.jsonl, loss.svg
          --eval-data PATH    held-out tokens; eval loss at the start, every --eval-every steps and at the end
          --eval-every N      (default: --save-every)      --eval-batches N   at most N batches (default 16)
          --save-every N      checkpoint interval in steps (default: a tenth of --steps; always at the end)
          --keep N            complete checkpoints kept (default 2)
          --tokenizer FILE    tokenizer.json to store with checkpoints (default: the one beside --data)
          --resume            continue the run in DIR from its newest checkpoint (bit-identical to an
                              uninterrupted run); omitted options are taken from the checkpoint
        Optimisation:
          --steps N --batch B --seq T   optimizer steps, sequences per micro-batch, tokens per sequence
          --grad-accum K      micro-batches per step (default 1)
          --lr LR             peak learning rate (default 3e-4)
          --schedule S        constant | cosine (default) | wsd (warmup-stable-decay, last 20% decays)
          --warmup N          linear warmup steps (default: 5% of --steps, at most 2000)
          --min-lr LR         final learning rate of cosine/wsd (default: --lr / 10)
          --weight-decay WD   decoupled, on matrices and the embedding (default 0.1)
          --optimizer O       adamw (default; betas 0.9, 0.95) | sgd
          --clip NORM         global gradient-norm clip, 0 = off (default 1.0)
          --seed S            initialisation and data order (default 1)
          --order O           shuffled (default) | sequential: row b of step s is the T+1-token window
                              starting at token (s·B + b)·T (for checking against other frameworks)
          --threads N         worker threads (default: all processors)
        """;

    public static int Run(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h")) { Console.Out.WriteLine(Usage); return 0; }
        var a = CommandArgs.Parse(args,
            valued: ["--preset", "--config", "--init", "--data", "--out", "--steps", "--batch", "--seq", "--grad-accum", "--lr",
                     "--schedule", "--warmup", "--min-lr", "--weight-decay", "--optimizer", "--clip", "--seed", "--order",
                     "--eval-data", "--eval-every", "--eval-batches", "--save-every", "--keep", "--tokenizer", "--threads"],
            flags: ["--resume"]);
        a.NoMorePositionalThan(0);
        var options = new TrainerOptions
        {
            Preset = a.String("--preset"), ConfigPath = a.String("--config"), InitPath = a.String("--init"),
            DataPath = a.RequiredString("--data"), OutDir = a.RequiredString("--out"),
            Steps = a.Has("--steps") ? a.Long("--steps", 0) : null,
            Batch = a.OptionalInt("--batch"), Seq = a.OptionalInt("--seq"), GradAccum = a.OptionalInt("--grad-accum"),
            Lr = a.OptionalDouble("--lr"), Schedule = a.Has("--schedule") ? a.Choice("--schedule", "cosine", "constant", "cosine", "wsd") : null,
            Warmup = a.OptionalInt("--warmup"), MinLr = a.OptionalDouble("--min-lr"), WeightDecay = a.OptionalDouble("--weight-decay"),
            Optimizer = a.Has("--optimizer") ? a.Choice("--optimizer", "adamw", "adamw", "sgd") : null,
            Clip = a.OptionalDouble("--clip"),
            Seed = a.String("--seed") is { } seed ? ulong.TryParse(seed, NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s
                : throw new UsageException($"option --seed: '{seed}' is not a non-negative integer") : null,
            Order = a.Has("--order") ? a.Choice("--order", "shuffled", "shuffled", "sequential") : null,
            EvalDataPath = a.String("--eval-data"), EvalEvery = a.Int("--eval-every", 0), EvalBatches = a.Int("--eval-batches", 16),
            SaveEvery = a.Int("--save-every", 0), KeepCheckpoints = a.Int("--keep", 2), TokenizerPath = a.String("--tokenizer"),
            Threads = a.Int("--threads", 0), Resume = a.Flag("--resume"),
        };
        if (options.EvalEvery < 0 || options.SaveEvery < 0 || options.EvalBatches <= 0 || options.KeepCheckpoints <= 0 || options.Threads < 0)
            throw new UsageException("--eval-every, --save-every and --threads must be ≥ 0; --eval-batches and --keep ≥ 1");
        var result = Train(options, Program.Cancellation);
        string eval = result.LastEvalLoss is { } e ? FormattableString.Invariant($", eval loss {e:F4}") : "";
        Console.Out.WriteLine(FormattableString.Invariant(
            $"trained to step {result.Step} ({result.TokensSeen:N0} tokens, {result.Parameters / 1e6:F1}M parameters): loss {result.LastLoss:F4}{eval}; {result.TokensPerSecond:F0} tokens/s; checkpoint {result.Checkpoint}"));
        return 0;
    }

    /// <summary>Runs the trainer with a progress bar on stderr and event lines above it (shared with <c>demo</c>).</summary>
    internal static TrainingResult Train(TrainerOptions options, CancellationToken cancel)
    {
        bool tty = !Console.IsErrorRedirected;
        // Not disposed on failure: a final progress line after the error message would only confuse.
        var progress = new ProgressReporter("train", options.Steps ?? 0, "steps");
        void Log(string line)
        {
            if (tty) Console.Error.Write("\r\u001b[K");
            Console.Error.WriteLine(line);
        }
        var trainer = new Trainer(options, Log, progress);
        var result = trainer.Run(cancel);
        progress.Finish(result.LastLoss is { } l ? string.Create(CultureInfo.InvariantCulture, $"loss {l:F4}") : null);
        return result;
    }
}
