using System.Diagnostics;
using System.Globalization;
using SharpLM.Cli.CommandLine;
using SharpLM.Diagnostics;
using SharpLM.Tokenization;

namespace SharpLM.Cli.Commands;

/// <summary><c>sharplm tokenizer train --input FILES --vocab-size N --out tokenizer.json [--seed S]</c>.</summary>
public static class TokenizerTrainCommand
{
    const string Usage = """
        usage: sharplm tokenizer train --input FILES --vocab-size N --out tokenizer.json [--seed S]
                                       [--coverage 0.9995] [--max-piece-length 16] [--threads T]

        Trains a byte-fallback BPE tokenizer in Gemma's format (spaces as ▁, <0xNN> byte fallback, Gemma's
        special tokens at ids 0-106) and writes a Hugging Face tokenizer.json that SharpLM and HF tokenizers load.
          --input FILES          text files; .jsonl files contribute every string field of every record
          --vocab-size N         total ids, including 107 special and 256 byte tokens
          --out PATH             the tokenizer.json to write (atomically)
          --seed S               tie-breaking between equally frequent pairs, and sampling of inputs over 512 MB
                                 (default 0); the same input and seed give the same file
          --coverage C           share of characters the alphabet covers; rarer ones use byte tokens
          --max-piece-length L   longest learned piece in characters
          --threads T            threads for counting (default: all cores)
        """;

    public static int Run(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h")) { Console.Out.WriteLine(Usage); return 0; }
        var a = CommandArgs.Parse(args,
            valued: ["--vocab-size", "--out", "--seed", "--coverage", "--max-piece-length", "--threads"],
            multi: ["--input"]);
        a.NoMorePositionalThan(0);
        var inputs = a.Strings("--input");
        if (inputs.Count == 0) throw new UsageException("option --input is required (one or more text files)");
        string output = a.RequiredString("--out");
        int vocab = a.OptionalInt("--vocab-size") ?? throw new UsageException("option --vocab-size is required");
        double coverage = a.Double("--coverage", 0.9995);
        if (coverage is <= 0 or > 1) throw new UsageException("option --coverage must be in (0, 1]");
        var options = new BpeTrainerOptions
        {
            VocabSize = vocab,
            Seed = a.Int("--seed", 0),
            CharacterCoverage = coverage,
            MaxPieceLength = Math.Max(2, a.Int("--max-piece-length", 16)),
            Threads = Math.Max(0, a.Int("--threads", 0)),
        };
        var clock = Stopwatch.StartNew();
        using var progress = new ProgressReporter("tokenizer train", 0, "pieces");
        var tokenizer = BpeTrainer.TrainFiles(inputs, options, progress, Program.Cancellation);
        tokenizer.SaveTokenizerJson(output);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sharplm: wrote {output}: {tokenizer.VocabSize} tokens, {tokenizer.MergeCount} merges ({clock.Elapsed.TotalSeconds:F1} s)"));
        return 0;
    }
}
