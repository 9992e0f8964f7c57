namespace SharpLM.Evaluation.Data;

/// <summary>
/// One GSM8K record (openai/grade-school-math JSONL: <c>question</c>, <c>answer</c>). <see cref="Answer"/> is the
/// worked solution whose last line is <c>#### N</c>; <see cref="Index"/> is the 0-based line in the file.
/// </summary>
public sealed record Gsm8kProblem(int Index, string Question, string Answer)
{
    /// <summary>The final answer: the text after the last <c>####</c>, trimmed, thousands commas removed.</summary>
    public string FinalAnswer
    {
        get
        {
            int at = Answer.LastIndexOf("####", StringComparison.Ordinal);
            return at < 0 ? "" : Answer[(at + 4)..].Trim().Replace(",", "", StringComparison.Ordinal);
        }
    }
}
