namespace SharpLM.Evaluation.Tasks;

/// <summary>How one output scored.</summary>
/// <param name="Extracted">The answer found in the output (null when none).</param>
/// <param name="Method">Which extraction rule found it (e.g. <c>strict</c>, <c>flexible</c>, <c>boxed</c>).</param>
/// <param name="Correct">The task's primary metric (<c>accuracy</c>).</param>
/// <param name="Metrics">Secondary metrics for this output, by name, each 0 or 1 (e.g. <c>strict_match</c>).</param>
public sealed record SampleScore(string? Extracted, string Method, bool Correct, IReadOnlyDictionary<string, bool> Metrics);
