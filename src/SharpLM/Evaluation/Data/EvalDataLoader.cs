using SharpLM.Evaluation.Answers;

namespace SharpLM.Evaluation.Data;

/// <summary>
/// Loads benchmark records from JSONL (or from any row source mapped to <see cref="JsonlLine"/>s, e.g. a Parquet
/// reader) with clear errors: the file, the 1-based line and the missing or mistyped field.
/// </summary>
public static class EvalDataLoader
{
    /// <summary>GSM8K: <c>question</c> and <c>answer</c> (the answer must contain a <c>####</c> final line).</summary>
    public static IReadOnlyList<Gsm8kProblem> LoadGsm8k(string path) => Gsm8kFromLines(path, JsonlFile.Read(path));

    /// <inheritdoc cref="LoadGsm8k"/>
    public static IReadOnlyList<Gsm8kProblem> Gsm8kFromLines(string path, IEnumerable<JsonlLine> lines)
    {
        var list = new List<Gsm8kProblem>();
        foreach (var line in lines)
        {
            var question = JsonlFile.RequiredString(path, line, "question");
            var answer = JsonlFile.RequiredString(path, line, "answer");
            if (!answer.Contains("####", StringComparison.Ordinal))
                throw JsonlFile.Bad(path, line.Index, "field \"answer\" has no \"#### <final answer>\" line");
            list.Add(new Gsm8kProblem(line.Index, question, answer));
        }
        if (list.Count == 0) throw new SharpLMDataException(path, "no records");
        return list;
    }

    /// <summary>MATH / MATH-500: <c>problem</c>, <c>solution</c>, optional <c>answer</c>, subject and level.</summary>
    public static IReadOnlyList<MathProblem> LoadMath(string path) => MathFromLines(path, JsonlFile.Read(path));

    /// <inheritdoc cref="LoadMath"/>
    public static IReadOnlyList<MathProblem> MathFromLines(string path, IEnumerable<JsonlLine> lines)
    {
        var list = new List<MathProblem>();
        foreach (var line in lines)
        {
            var problem = JsonlFile.RequiredString(path, line, "problem");
            var solution = JsonlFile.RequiredString(path, line, "solution");
            string? answer = line.Object.TryGetProperty("answer", out _) ? JsonlFile.RequiredString(path, line, "answer") : null;
            if (answer is null)
            {
                answer = BoxedAnswer.LastBoxedContent(solution)
                    ?? throw JsonlFile.Bad(path, line.Index, "field \"solution\" has no \\boxed{...} answer and there is no \"answer\" field");
            }
            var subject = JsonlFile.OptionalText(line, "subject") ?? JsonlFile.OptionalText(line, "type");
            var level = JsonlFile.OptionalText(line, "level");
            var id = JsonlFile.OptionalText(line, "unique_id") ?? JsonlFile.OptionalText(line, "idx");
            list.Add(new MathProblem(line.Index, problem, solution, answer, subject, level, id));
        }
        if (list.Count == 0) throw new SharpLMDataException(path, "no records");
        return list;
    }
}
