namespace SharpLM.Evaluation.Backends;

/// <summary>A finished completion: the text (cut before any stop sequence) and why it ended.</summary>
/// <param name="Text">Generated text, excluding the prompt and the stop sequence.</param>
/// <param name="FinishReason"><c>stop</c> (stop sequence or end of text) or <c>length</c> (token cap reached).</param>
/// <param name="PromptTokens">Prompt length in the model's tokens, when the backend reports it.</param>
/// <param name="OutputTokens">Generated tokens, when the backend reports it.</param>
public sealed record GenerationResult(string Text, string FinishReason, int? PromptTokens = null, int? OutputTokens = null);
