using SharpLM.Cli.CommandLine;
using SharpLM.Kernels;
using SharpLM.Models.Gemma3;

namespace SharpLM.Cli.Commands;

/// <summary>Options shared by the inference verbs (<c>--threads</c>, <c>--embed-scale</c>).</summary>
internal static class InferenceOptions
{
    public static readonly string[] Valued = ["--threads", "--embed-scale"];
    public static readonly Dictionary<string, string> Aliases = new() { ["-t"] = "--threads" };

    /// <summary>Applies <c>--threads</c> to the kernels.</summary>
    public static void ApplyThreads(CommandArgs a)
    {
        int threads = a.Int("--threads", Environment.ProcessorCount);
        if (threads < 1) throw new UsageException("--threads must be at least 1");
        KernelThreads.Count = threads;
    }

    public static EmbedScaleMode EmbedScale(CommandArgs a) =>
        a.Choice("--embed-scale", "bf16", "bf16", "exact") == "exact" ? EmbedScaleMode.Exact : EmbedScaleMode.Bf16;

    /// <summary>Parses <c>--tokens 2,818,9259</c> and checks every id against the model's <paramref name="vocabRows"/>.</summary>
    public static int[] ParseTokens(string list, int vocabRows)
    {
        var parts = list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new UsageException("--tokens needs at least one token id");
        var ids = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ids[i]))
                throw new UsageException($"--tokens: '{parts[i]}' is not a token id");
            if (ids[i] >= vocabRows)
                throw new SharpLMDataException("--tokens", $"token id {ids[i]} is outside the model's {vocabRows} embedding rows");
        }
        return ids;
    }
}
