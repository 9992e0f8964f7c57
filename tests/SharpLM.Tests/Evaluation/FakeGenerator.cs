using SharpLM.Evaluation.Backends;

namespace SharpLM.Tests.Evaluation;

/// <summary>An in-process backend: answers each prompt with <c>respond</c>, counts calls, can fail after N prompts.</summary>
public sealed class FakeGenerator(Func<string, string> respond, int failAfter = int.MaxValue, string description = "fake") : ITextGenerator
{
    public List<string> Prompts { get; } = [];
    public string Description => description;
    public string ModelIdentity => description;

    public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<GenerationRequest> batch, CancellationToken cancellation)
    {
        var results = new List<GenerationResult>();
        foreach (var r in batch)
        {
            cancellation.ThrowIfCancellationRequested();
            if (Prompts.Count >= failAfter) throw new OperationCanceledException("simulated interruption");
            Prompts.Add(r.Prompt);
            results.Add(new GenerationResult(respond(r.Prompt), "stop", r.Prompt.Length, 3));
        }
        return results;
    }

    public void Dispose() { }
}
