namespace SharpLM.Evaluation.Equivalence;

/// <summary>A scalar expression parsed from LaTeX. Structure (sets, tuples, intervals) lives in <see cref="AnswerValue"/>.</summary>
public abstract record MathNode;

/// <summary>A literal number; <see cref="IsDecimal"/> marks one written with a decimal point (a "float" for the rounding rule).</summary>
public sealed record NumberNode(BigRational Value, bool IsDecimal) : MathNode;

/// <summary>A variable: <c>x</c>, <c>x_1</c>, <c>\alpha</c> (named <c>alpha</c>).</summary>
public sealed record SymbolNode(string Name) : MathNode;

/// <summary>A named constant: <c>pi</c>, <c>i</c> (imaginary unit), <c>infinity</c>.</summary>
public sealed record ConstantNode(string Name) : MathNode;

public sealed record SumNode(IReadOnlyList<MathNode> Terms) : MathNode;

public sealed record ProductNode(IReadOnlyList<MathNode> Factors) : MathNode;

public sealed record NegateNode(MathNode Operand) : MathNode;

public sealed record QuotientNode(MathNode Numerator, MathNode Denominator) : MathNode;

public sealed record PowerNode(MathNode Base, MathNode Exponent) : MathNode;

/// <summary><c>\sqrt[Index]{Radicand}</c>; a null index is a square root.</summary>
public sealed record RootNode(MathNode Radicand, MathNode? Index) : MathNode;

/// <summary>
/// A function application: trigonometric and hyperbolic functions, <c>ln</c>, <c>log</c> (one argument: natural;
/// two: value and base), <c>exp</c>, <c>abs</c>, <c>floor</c>, <c>ceil</c>, <c>factorial</c>, <c>binom</c>.
/// </summary>
public sealed record FunctionNode(string Name, IReadOnlyList<MathNode> Args) : MathNode;

/// <summary><c>a \pm b</c> (or <c>\mp</c> with <see cref="MinusFirst"/>): two values, expanded into a set at the top level.</summary>
public sealed record PlusMinusNode(MathNode Left, MathNode Right, bool MinusFirst) : MathNode;
