using SharpLM.Cli.CommandLine;
using SharpLM.Training;

namespace SharpLM.Cli.Commands;

/// <summary><c>sharplm convert CHECKPOINT OUT.gguf [--type f32|f16|bf16|q8_0|q4_0]</c>.</summary>
public static class ConvertCommand
{
    const string Usage = """
        usage: sharplm convert CHECKPOINT OUT.gguf [--type f32|f16|bf16|q8_0|q4_0] [--tokenizer tokenizer.json]

        Exports a checkpoint (a 'sharplm train' output folder or any Gemma 3 HF folder, or a GGUF) as a GGUF
        that llama.cpp and 'sharplm run' load.
          --type T        matrix storage: f32, f16 (default), bf16, q8_0, or q4_0 (embedding kept in f16);
                          norms are always f32
          --tokenizer F   tokenizer.json to embed (default: the one in CHECKPOINT)
        """;

    public static int Run(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h")) { Console.Out.WriteLine(Usage); return 0; }
        var a = CommandArgs.Parse(args, valued: ["--type", "--tokenizer"]);
        string checkpoint = a.Positional(0, "CHECKPOINT");
        string output = a.Positional(1, "OUT.gguf");
        a.NoMorePositionalThan(2);
        var type = CheckpointConverter.ParseType(a.String("--type", "f16")!);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        CheckpointConverter.ToGguf(checkpoint, output, type, a.String("--tokenizer"));
        Console.Out.WriteLine(FormattableString.Invariant(
            $"wrote {output} ({new FileInfo(output).Length / 1e6:F1} MB, {type.ToString().ToLowerInvariant()}) in {clock.Elapsed.TotalSeconds:F1} s"));
        return 0;
    }
}
