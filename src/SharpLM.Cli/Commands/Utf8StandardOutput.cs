namespace SharpLM.Cli.Commands;

/// <summary>Standard output as UTF-8 without a byte-order mark, whatever the console's configured encoding.</summary>
internal static class Utf8StandardOutput
{
    public static StreamWriter Open() =>
        new(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 1 << 16) { AutoFlush = false, NewLine = "\n" };
}
