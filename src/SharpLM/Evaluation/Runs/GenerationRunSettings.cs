namespace SharpLM.Evaluation.Runs;

/// <summary>Everything that defines a generation run besides the task and the backend.</summary>
/// <param name="SummaryPath">The summary JSON (<c>--out</c>); the per-sample JSONL sits beside it (<see cref="SampleLog.PathFor"/>).</param>
/// <param name="DataPath">The evaluated data file (reported, and hashed into the fingerprint).</param>
/// <param name="MaxTokens">Cap on generated tokens per sample.</param>
/// <param name="Batch">Samples generated together (engine batch, or concurrent endpoint requests).</param>
/// <param name="Seed">The seed the task was built with (reported).</param>
/// <param name="Limit">The <c>--limit</c> the task was built with (reported).</param>
/// <param name="Step">Training step of the evaluated checkpoint, when known (for <c>eval compare</c>'s plot).</param>
public sealed record GenerationRunSettings(
    string SummaryPath,
    string DataPath,
    int MaxTokens,
    int Batch,
    long Seed,
    int? Limit,
    long? Step = null);
