namespace SharpLM.Evaluation.Tasks;

/// <summary>How to build a task's prompts.</summary>
/// <param name="Shots">Few-shot examples per prompt; null for the task's default.</param>
/// <param name="Seed">Seed of the evaluation-order shuffle and few-shot sampling (lighteval uses 42).</param>
/// <param name="Limit">Evaluate only the first N items of the (seeded) evaluation order; null for all.</param>
/// <param name="PromptFormat">Prompt convention; null for the task's default.</param>
public sealed record TaskOptions(int? Shots = null, long Seed = TaskOptions.LightevalSeed, int? Limit = null, string? PromptFormat = null)
{
    /// <summary>The seed lighteval hard-codes for its document shuffle and few-shot sampler.</summary>
    public const long LightevalSeed = 42;
}
