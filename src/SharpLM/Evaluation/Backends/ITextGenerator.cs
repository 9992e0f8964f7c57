namespace SharpLM.Evaluation.Backends;

/// <summary>
/// What the harness drives: greedy generation with a token cap and stop sequences, several prompts at a time.
/// Implemented by <see cref="OpenAiCompletionsClient"/> (any OpenAI-compatible server) and by the SharpLM engine
/// adapter. Implementations return results in request order and throw <see cref="SharpLMDataException"/> for a
/// backend failure that retrying did not fix.
/// </summary>
public interface ITextGenerator : IDisposable
{
    /// <summary>What produced the outputs (model path, or endpoint and model name), for the summary and the run fingerprint.</summary>
    string Description { get; }

    /// <summary>
    /// Which model produces the outputs, for the run fingerprint: the model file for the engine, the model name for an
    /// endpoint (not its URL, so a server restarted on another port still resumes the same run).
    /// </summary>
    string ModelIdentity { get; }

    /// <summary>Greedy (temperature 0) completions of <paramref name="batch"/>, in order.</summary>
    IReadOnlyList<GenerationResult> Generate(IReadOnlyList<GenerationRequest> batch, CancellationToken cancellation);
}
