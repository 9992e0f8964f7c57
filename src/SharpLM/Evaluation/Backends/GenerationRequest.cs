namespace SharpLM.Evaluation.Backends;

/// <summary>One greedy completion to produce: the prompt, a cap on new tokens and the stop sequences.</summary>
public sealed record GenerationRequest(string Prompt, int MaxTokens, IReadOnlyList<string> Stop);
