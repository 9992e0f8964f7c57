using SharpLM.Cli.CommandLine;
using SharpLM.Generation;

namespace SharpLM.Cli.Commands;

/// <summary>The sampling options of <c>run</c> and <c>chat</c>.</summary>
internal static class SamplingArgs
{
    public static readonly string[] Valued = ["--temperature", "--top-k", "--top-p", "--min-p", "--repeat-penalty", "--repeat-last-n", "--seed"];

    public static SamplerOptions Parse(CommandArgs a)
    {
        var d = new SamplerOptions();
        var o = new SamplerOptions
        {
            Temperature = (float)a.Double("--temperature", d.Temperature),
            TopK = a.Int("--top-k", d.TopK),
            TopP = (float)a.Double("--top-p", d.TopP),
            MinP = (float)a.Double("--min-p", d.MinP),
            RepeatPenalty = (float)a.Double("--repeat-penalty", d.RepeatPenalty),
            RepeatLastN = a.Int("--repeat-last-n", d.RepeatLastN),
            Seed = (ulong)a.Long("--seed", 0),
        };
        try
        {
            o.Validate();
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
        return o;
    }
}
