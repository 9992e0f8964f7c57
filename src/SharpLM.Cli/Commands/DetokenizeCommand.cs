using System.Globalization;
using SharpLM.Cli.CommandLine;
using SharpLM.Tokenization;

namespace SharpLM.Cli.Commands;

/// <summary><c>sharplm detokenize SOURCE --ids 2,9259,1902</c>: prints the text of the ids.</summary>
public static class DetokenizeCommand
{
    const string Usage = """
        usage: sharplm detokenize SOURCE [--ids 2,9259,1902] [--skip-special]

        Decodes token ids with the tokenizer in SOURCE and prints the text (then a newline).
          SOURCE          tokenizer.json, tokenizer.model, a model directory, or a .gguf file
          --ids IDS       comma-separated ids; a JSON array such as tokenize prints also works
                          (default: read the ids from standard input)
          --skip-special  leave out special tokens (<bos>, <end_of_turn>, …)
        """;

    public static int Run(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h")) { Console.Out.WriteLine(Usage); return 0; }
        var a = CommandArgs.Parse(args, valued: ["--ids"], flags: ["--skip-special"]);
        a.NoMorePositionalThan(1);
        string source = a.Positional(0, "SOURCE");
        string idText = a.String("--ids") ?? Console.In.ReadToEnd();
        string what = a.Has("--ids") ? "--ids" : "<stdin>";
        var ids = ParseIds(idText, what);
        var tokenizer = Gemma3Tokenizer.Load(source);
        foreach (int id in ids)
            if (id >= tokenizer.VocabSize)
                throw new SharpLMDataException(what, $"id {id} is outside the vocabulary (0…{tokenizer.VocabSize - 1})");
        using var o = Utf8StandardOutput.Open();
        o.WriteLine(tokenizer.Decode(ids, a.Flag("--skip-special")));
        return 0;
    }

    /// <summary>"2,9259,1902", "2 9259 1902" or "[2, 9259, 1902]" → ids.</summary>
    internal static int[] ParseIds(string text, string what)
    {
        var parts = text.Split([',', ' ', '\t', '\n', '\r', '[', ']'], StringSplitOptions.RemoveEmptyEntries);
        var ids = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out ids[i]))
                throw new SharpLMDataException(what, $"'{parts[i]}' is not a token id (expected non-negative integers separated by commas)");
        return ids;
    }
}
