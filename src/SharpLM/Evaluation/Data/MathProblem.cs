namespace SharpLM.Evaluation.Data;

/// <summary>
/// One MATH record. The full test set (<c>problem, level, type, solution, idx</c>) and MATH-500
/// (<c>problem, solution, answer, subject, level, unique_id</c>) both map here. <see cref="Answer"/> is the
/// <c>answer</c> field when present, else the content of the last <c>\boxed{}</c> of the solution.
/// </summary>
public sealed record MathProblem(int Index, string Problem, string Solution, string Answer, string? Subject, string? Level, string? Id);
