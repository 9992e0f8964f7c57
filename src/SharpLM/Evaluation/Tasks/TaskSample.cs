namespace SharpLM.Evaluation.Tasks;

/// <summary>One evaluation item as the model sees it.</summary>
/// <param name="Index">0-based line of the item in the data file (stable across runs, the key of resumed records).</param>
/// <param name="Prompt">The full prompt text, few-shot examples included.</param>
/// <param name="Gold">The reference final answer (GSM8K number after <c>####</c>; MATH boxed answer).</param>
/// <param name="Reference">The full reference text (GSM8K worked answer; MATH solution), as lighteval's golds.</param>
public sealed record TaskSample(int Index, string Prompt, string Gold, string Reference);
