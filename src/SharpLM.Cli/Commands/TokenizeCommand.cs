using SharpLM.Cli.CommandLine;
using SharpLM.Tokenization;

namespace SharpLM.Cli.Commands;

/// <summary><c>sharplm tokenize SOURCE [--text TEXT] [--add-bos] [--no-special]</c>: prints the ids as a JSON array.</summary>
public static class TokenizeCommand
{
    const string Usage = """
        usage: sharplm tokenize SOURCE [--text TEXT] [--add-bos] [--no-special]

        Encodes text with the tokenizer in SOURCE and prints the ids as a JSON array, e.g. [9259,1902].
          SOURCE        tokenizer.json, tokenizer.model, a model directory, or a .gguf file
          --text TEXT   the text to encode (default: all of standard input, read as UTF-8;
                        invalid UTF-8 becomes U+FFFD)
          --add-bos     add <bos> (the tokenizer's post-processor tokens) in front
          --no-special  treat special tokens written in the text (<bos>, <start_of_turn>, …) as plain text
        """;

    public static int Run(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h")) { Console.Out.WriteLine(Usage); return 0; }
        var a = CommandArgs.Parse(args, valued: ["--text"], flags: ["--add-bos", "--no-special"]);
        a.NoMorePositionalThan(1);
        var tokenizer = Gemma3Tokenizer.Load(a.Positional(0, "SOURCE"));
        int[] ids;
        if (a.String("--text") is { } text)
            ids = tokenizer.Encode(text, a.Flag("--add-bos"), parseSpecial: !a.Flag("--no-special"));
        else
        {
            using var stdin = Console.OpenStandardInput();
            using var ms = new MemoryStream();
            stdin.CopyTo(ms);
            ids = tokenizer.EncodeUtf8(ms.GetBuffer().AsSpan(0, (int)ms.Length), a.Flag("--add-bos"), parseSpecial: !a.Flag("--no-special"));
        }
        using var o = Utf8StandardOutput.Open();
        o.Write('[');
        for (int i = 0; i < ids.Length; i++)
        {
            if (i > 0) o.Write(',');
            o.Write(ids[i].ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        o.WriteLine(']');
        return 0;
    }
}
