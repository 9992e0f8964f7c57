namespace SharpLM.Evaluation.Equivalence;

/// <summary>
/// The structured meaning of a final answer: a scalar expression, or a tuple, set, interval, union, relation,
/// matrix or text. <see cref="MathEquivalence"/> compares two of these.
/// </summary>
public abstract record AnswerValue;

/// <summary>A scalar expression; <see cref="Percent"/> when it was written with <c>\%</c>.</summary>
public sealed record ExprValue(MathNode Node, bool Percent) : AnswerValue;

/// <summary>A word answer such as <c>\text{Evelyn}</c> or <c>(C)</c>, kept as normalised text.</summary>
public sealed record TextValue(string Text) : AnswerValue;

/// <summary>An ordered tuple: <c>(a, b, c)</c> or <c>\langle a, b \rangle</c>. A 2-tuple in round brackets may also be an open interval.</summary>
public sealed record TupleValue(IReadOnlyList<AnswerValue> Items, bool RoundBrackets) : AnswerValue;

/// <summary>
/// A set: <c>\{a, b\}</c> (<see cref="Braced"/>) or a bare list <c>a, b</c> (solutions in any order). A bare list
/// compared with a tuple is read in the order written.
/// </summary>
public sealed record SetValue(IReadOnlyList<AnswerValue> Items, bool Braced) : AnswerValue;

public sealed record IntervalValue(MathNode Low, MathNode High, bool LowOpen, bool HighOpen) : AnswerValue;

/// <summary><c>A \cup B \cup ...</c>, compared as an unordered collection of parts.</summary>
public sealed record UnionValue(IReadOnlyList<AnswerValue> Parts) : AnswerValue;

/// <summary>
/// A relation chain <c>s0 op0 s1 op1 s2 ...</c>; ops are <c>=</c>, <c>&lt;</c>, <c>&lt;=</c>, <c>&gt;</c>, <c>&gt;=</c>,
/// <c>!=</c>, <c>~</c> (approximately).
/// </summary>
public sealed record RelationValue(IReadOnlyList<MathNode> Sides, IReadOnlyList<string> Ops) : AnswerValue;

public sealed record MatrixValue(IReadOnlyList<IReadOnlyList<MathNode>> Rows) : AnswerValue;

public sealed record EmptySetValue : AnswerValue;
