namespace SharpLM.Evaluation.Perplexity;

/// <summary>One text whose tokens are scored; <see cref="Index"/> is its 0-based line (JSONL) or 0 (a text file).</summary>
public sealed record PerplexityDocument(int Index, string Text);
