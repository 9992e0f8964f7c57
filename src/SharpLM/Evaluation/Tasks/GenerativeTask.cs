namespace SharpLM.Evaluation.Tasks;

/// <summary>
/// A generation benchmark: ordered samples with their prompts, the generation settings the task prescribes,
/// and the scoring of an output. Built by <see cref="Gsm8kTask"/> and <see cref="MathTask"/>.
/// </summary>
public abstract class GenerativeTask
{
    /// <summary>Task name as the CLI spells it: <c>gsm8k</c>, <c>math</c>, <c>math500</c>.</summary>
    public abstract string Name { get; }

    /// <summary>Which prompt convention built the prompts (reported with every number), e.g. <c>lighteval</c>, <c>minerva</c>.</summary>
    public abstract string PromptFormat { get; }

    /// <summary>Few-shot examples per prompt.</summary>
    public abstract int Shots { get; }

    /// <summary>Generation stops at the first of these (the stop text itself is not part of the output).</summary>
    public abstract IReadOnlyList<string> StopSequences { get; }

    /// <summary>The task's default cap on generated tokens.</summary>
    public abstract int DefaultMaxTokens { get; }

    /// <summary>Samples in evaluation order (already limited).</summary>
    public abstract IReadOnlyList<TaskSample> Samples { get; }

    /// <summary>Names of the secondary metrics <see cref="Score"/> reports (besides <c>accuracy</c>).</summary>
    public abstract IReadOnlyList<string> SecondaryMetrics { get; }

    /// <summary>Scores one model output (already cut at the first stop sequence).</summary>
    public abstract SampleScore Score(TaskSample sample, string output);

    /// <summary>Cuts <paramref name="output"/> at the first stop sequence, as lighteval does after generation.</summary>
    public static string ApplyStops(string output, IReadOnlyList<string> stops)
    {
        int cut = output.Length;
        foreach (var s in stops)
        {
            if (s.Length == 0) continue;
            int at = output.IndexOf(s, StringComparison.Ordinal);
            if (at >= 0 && at < cut) cut = at;
        }
        return output[..cut];
    }
}
