namespace SharpLM.Evaluation.Backends;

/// <summary>
/// A backend that keeps its own pipeline full across many prompts (SharpLM's engine with continuous batching):
/// it takes every pending request at once and reports each completion as soon as it finishes, so the harness
/// writes it to the per-sample file right away and an interrupted run loses only the samples in flight.
/// </summary>
public interface IStreamingTextGenerator : ITextGenerator
{
    /// <summary>
    /// Greedy completions of <paramref name="requests"/>; <paramref name="finished"/>(i, result) is called once per
    /// request i, in the order they finish, on the calling thread.
    /// </summary>
    void Generate(IReadOnlyList<GenerationRequest> requests, Action<int, GenerationResult> finished, CancellationToken cancellation);
}
