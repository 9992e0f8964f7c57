using System.Numerics;
using SharpLM.Evaluation.Answers;

namespace SharpLM.Evaluation.Equivalence;

/// <summary>
/// Decides whether a predicted final answer means the same as the gold one, in the spirit of math-verify (the
/// checker behind lighteval's extractive-match metrics) but with an exact engine written here instead of sympy.
/// See the README section "What counts as the same answer" for the full list.
/// </summary>
/// <remarks>
/// Order of checks: identical text; text answers (<c>\text{Evelyn}</c>) by words; otherwise both sides are cleaned (<see cref="LatexCleaner"/>), parsed (<see cref="LatexParser"/>) and
/// compared structurally: tuples in order, sets and bare lists in any order, intervals by endpoints and brackets,
/// unions by parts, matrices cell by cell, relations by their sides, a gold assignment <c>x = 5</c> by its value,
/// scalars by (1) math-verify's rounding rule when one side is a decimal literal (both rounded to
/// <c>precision</c> places), (2) exact symbolic equality (rational arithmetic, polynomial expansion, square-free
/// radicals, i² = −1), (3) when opaque functions are involved, numeric agreement at fixed sample points.
/// An answer that does not parse is compared by its Hendrycks normal form (lighteval's string rule).
/// </remarks>
public static class MathEquivalence
{
    /// <summary>Decimal places of the rounding rule; lighteval's GSM8K/MATH extractive metrics use 5.</summary>
    public const int DefaultPrecision = 5;

    /// <summary>True when <paramref name="prediction"/> is an equivalent answer to <paramref name="gold"/>.</summary>
    public static bool AreEquivalent(string gold, string prediction, int precision = DefaultPrecision)
    {
        var g = gold.Trim();
        var p = prediction.Trim();
        if (g.Length == 0 || p.Length == 0) return false;
        if (g == p) return true;

        var cg = LatexCleaner.Clean(g);
        var cp = LatexCleaner.Clean(p);
        if (cg.Text is not null || cp.Text is not null)
        {
            var tg = cg.Text ?? LatexCleaner.NormalizeText(cg.Latex);
            var tp = cp.Text ?? LatexCleaner.NormalizeText(cp.Latex);
            if (tg.Length > 0 && tg == tp) return true;
        }
        if (cg.Latex.Length > 0 && RemoveSpaces(cg.Latex) == RemoveSpaces(cp.Latex) && cg.Percent == cp.Percent) return true;

        var vg = ToValue(cg);
        var vp = ToValue(cp);
        if (vg is null || vp is null)
        {
            // Something we cannot parse: fall back to the Hendrycks normal forms (lighteval's string rule).
            var hg = HendrycksNormalizer.Normalize("\\boxed{" + g + "}");
            var hp = HendrycksNormalizer.Normalize("\\boxed{" + p + "}");
            return hg.Length > 0 && hg == hp;
        }
        try { return ValuesEqual(vg, vp, precision); }
        catch (Exception e) when (e is AlgebraTooComplexException or ArithmeticException or InvalidOperationException) { return false; }
    }

    /// <summary>The structured value of one answer, or null when it cannot be parsed.</summary>
    public static AnswerValue? Parse(string answer) => ToValue(LatexCleaner.Clean(answer));

    static AnswerValue? ToValue(CleanedAnswer c)
    {
        if (c.Text is not null) return new TextValue(c.Text);
        var v = LatexParser.TryParseAnswer(c.Latex);
        if (v is ExprValue e && c.Percent) v = e with { Percent = true };
        return v;
    }

    static string RemoveSpaces(string s) => new(s.Where(ch => !char.IsWhiteSpace(ch)).ToArray());

    /// <summary>Structural comparison of two parsed answers (gold first: its form decides how relations are read).</summary>
    public static bool ValuesEqual(AnswerValue gold, AnswerValue pred, int precision = DefaultPrecision)
    {
        // Relations: "x = 5" against "5" compares the value; an inequality against an interval compares as an interval.
        if (pred is RelationValue rp && gold is not RelationValue)
        {
            if (rp.Ops.All(o => o is "=" or "~")) pred = new ExprValue(rp.Sides[^1], false);
            else if (AsInterval(rp) is { } ip) pred = ip;
        }
        if (gold is RelationValue rg && pred is not RelationValue)
        {
            if (rg.Ops.All(o => o is "=" or "~") && IsAssignmentTarget(rg.Sides[0])) gold = new ExprValue(rg.Sides[^1], false);
            else if (AsInterval(rg) is { } ig) gold = ig;
        }

        switch (gold, pred)
        {
            case (RelationValue a, RelationValue b):
                return RelationsEqual(a, b, precision);
            case (TextValue a, TextValue b):
                return a.Text == b.Text;
            case (EmptySetValue, EmptySetValue):
                return true;
            case (ExprValue a, ExprValue b) when !HasPlusMinus(a.Node) && !HasPlusMinus(b.Node):
                return ScalarEqual(a.Node, a.Percent, b.Node, b.Percent, precision);
            case (ExprValue a, _) when HasPlusMinus(a.Node):
                return ValuesEqual(ExpandPlusMinus(a), pred, precision);
            case (_, ExprValue b) when HasPlusMinus(b.Node):
                return ValuesEqual(gold, ExpandPlusMinus(b), precision);
            case (MatrixValue a, MatrixValue b):
                return a.Rows.Count == b.Rows.Count && a.Rows[0].Count == b.Rows[0].Count
                    && a.Rows.Zip(b.Rows).All(r => r.First.Zip(r.Second).All(c => ScalarEqual(c.First, false, c.Second, false, precision)));
            case (IntervalValue a, IntervalValue b):
                return a.LowOpen == b.LowOpen && a.HighOpen == b.HighOpen
                    && ScalarEqual(a.Low, false, b.Low, false, precision) && ScalarEqual(a.High, false, b.High, false, precision);
            case (IntervalValue a, TupleValue { RoundBrackets: true, Items.Count: 2 } b) when a.LowOpen && a.HighOpen:
                return ValuesEqual(new TupleValue([new ExprValue(a.Low, false), new ExprValue(a.High, false)], true), b, precision);
            case (TupleValue { RoundBrackets: true, Items.Count: 2 } a, IntervalValue b) when b.LowOpen && b.HighOpen:
                return ValuesEqual(a, new TupleValue([new ExprValue(b.Low, false), new ExprValue(b.High, false)], true), precision);
            case (TupleValue a, TupleValue b):
                return InOrder(a.Items, b.Items, precision);
            case (TupleValue a, SetValue b):
                return InOrder(a.Items, b.Items, precision);
            case (SetValue a, TupleValue b):
                return InOrder(a.Items, b.Items, precision);
            case (SetValue a, SetValue b):
                return AnyOrder(Flatten(a.Items), Flatten(b.Items), precision);
            case (UnionValue a, UnionValue b):
                return AnyOrder(a.Parts, b.Parts, precision);
            case (SetValue { Items.Count: 1 } a, _):
                return ValuesEqual(a.Items[0], pred, precision);
            case (_, SetValue { Items.Count: 1 } b):
                return ValuesEqual(gold, b.Items[0], precision);
        }
        return false;
    }

    /// <summary>Set members with ± expanded: {1 ± √5, −2} has three members.</summary>
    static List<AnswerValue> Flatten(IReadOnlyList<AnswerValue> items) =>
        items.SelectMany(x => x is ExprValue e && HasPlusMinus(e.Node) ? ExpandPlusMinus(e).Items : [x]).ToList();

    static bool InOrder(IReadOnlyList<AnswerValue> a, IReadOnlyList<AnswerValue> b, int precision) =>
        a.Count == b.Count && a.Zip(b).All(x => ValuesEqual(x.First, x.Second, precision));

    /// <summary>Multiset equality under <see cref="ValuesEqual"/> (a bipartite matching by augmenting paths).</summary>
    static bool AnyOrder(IReadOnlyList<AnswerValue> a, IReadOnlyList<AnswerValue> b, int precision)
    {
        if (a.Count != b.Count) return false;
        if (a.Count > 64) return false;
        var eq = new bool[a.Count, b.Count];
        for (int i = 0; i < a.Count; i++)
            for (int j = 0; j < b.Count; j++)
                eq[i, j] = ValuesEqual(a[i], b[j], precision);
        var matchOfB = Enumerable.Repeat(-1, b.Count).ToArray();
        for (int i = 0; i < a.Count; i++)
            if (!Augment(i, new bool[b.Count])) return false;
        return true;

        bool Augment(int i, bool[] seen)
        {
            for (int j = 0; j < b.Count; j++)
            {
                if (!eq[i, j] || seen[j]) continue;
                seen[j] = true;
                if (matchOfB[j] < 0 || Augment(matchOfB[j], seen)) { matchOfB[j] = i; return true; }
            }
            return false;
        }
    }

    // ---- relations ---------------------------------------------------------------------------------------------

    static bool IsAssignmentTarget(MathNode n) => n switch
    {
        SymbolNode => true,
        ProductNode p => p.Factors.All(IsAssignmentTarget), // "ab = 5", "f(x) = ..." read as products of symbols
        FunctionNode f => f.Args.All(a => a is SymbolNode),
        _ => false,
    };

    /// <summary>"x &lt; 3", "2 \le x &lt; 5" as an interval when one side is a lone variable and the others are constants.</summary>
    static IntervalValue? AsInterval(RelationValue r)
    {
        if (r.Ops.Any(o => o is "=" or "!=" or "~")) return null;
        var inf = new ConstantNode("infinity");
        if (r.Ops.Count == 1)
        {
            var (l, op, h) = (r.Sides[0], r.Ops[0], r.Sides[1]);
            if (l is SymbolNode && IsConstant(h))
                return op switch
                {
                    "<" => new IntervalValue(new NegateNode(inf), h, true, true),
                    "<=" => new IntervalValue(new NegateNode(inf), h, true, false),
                    ">" => new IntervalValue(h, inf, true, true),
                    _ => new IntervalValue(h, inf, false, true),
                };
            if (h is SymbolNode && IsConstant(l))
                return AsInterval(new RelationValue([h, l], [Flip(op)]));
            return null;
        }
        if (r.Ops.Count == 2 && r.Sides[1] is SymbolNode && IsConstant(r.Sides[0]) && IsConstant(r.Sides[2]))
        {
            bool ascending = r.Ops.All(o => o is "<" or "<=");
            bool descending = r.Ops.All(o => o is ">" or ">=");
            if (ascending) return new IntervalValue(r.Sides[0], r.Sides[2], r.Ops[0] == "<", r.Ops[1] == "<");
            if (descending) return new IntervalValue(r.Sides[2], r.Sides[0], r.Ops[1] == ">", r.Ops[0] == ">");
        }
        return null;
    }

    static bool IsConstant(MathNode n) => NumericEvaluator.FreeSymbols(n).All(s => s == "e");

    static string Flip(string op) => op switch { "<" => ">", ">" => "<", "<=" => ">=", ">=" => "<=", _ => op };

    static bool RelationsEqual(RelationValue a, RelationValue b, int precision)
    {
        if (a.Ops.Count != b.Ops.Count) return false;
        if (a.Ops.Count == 1) return SingleRelationEqual(a.Sides[0], a.Ops[0], a.Sides[1], b.Sides[0], b.Ops[0], b.Sides[1], precision);
        bool Pairwise(RelationValue y) => Enumerable.Range(0, a.Ops.Count).All(k =>
            SingleRelationEqual(a.Sides[k], a.Ops[k], a.Sides[k + 1], y.Sides[k], y.Ops[k], y.Sides[k + 1], precision));
        if (Pairwise(b)) return true;
        var reversed = new RelationValue(b.Sides.Reverse().ToList(), b.Ops.Reverse().Select(Flip).ToList());
        return Pairwise(reversed);
    }

    static bool SingleRelationEqual(MathNode al, string aop, MathNode ar, MathNode bl, string bop, MathNode br, int precision)
    {
        // Write both as "lhs − rhs  op  0" with op in {<, <=, =, !=, ~}.
        (MathNode da, string oa) = Normal(al, aop, ar);
        (MathNode db, string ob) = Normal(bl, bop, br);
        if (oa != ob && !(oa is "=" or "~" && ob is "=" or "~")) return false;
        if (ScalarEqual(da, false, db, false, precision)) return true;
        // equations (and ≠) also hold with both sides swapped
        return oa is "=" or "~" or "!=" && ScalarEqual(da, false, new NegateNode(db), false, precision);

        static (MathNode, string) Normal(MathNode l, string op, MathNode r) => op switch
        {
            ">" => (Diff(r, l), "<"),
            ">=" => (Diff(r, l), "<="),
            _ => (Diff(l, r), op),
        };
        static MathNode Diff(MathNode l, MathNode r) => new SumNode([l, new NegateNode(r)]);
    }

    // ---- ± -----------------------------------------------------------------------------------------------------

    static bool HasPlusMinus(MathNode n) => n switch
    {
        PlusMinusNode => true,
        SumNode s => s.Terms.Any(HasPlusMinus),
        ProductNode p => p.Factors.Any(HasPlusMinus),
        NegateNode g => HasPlusMinus(g.Operand),
        QuotientNode q => HasPlusMinus(q.Numerator) || HasPlusMinus(q.Denominator),
        PowerNode p => HasPlusMinus(p.Base) || HasPlusMinus(p.Exponent),
        RootNode r => HasPlusMinus(r.Radicand),
        FunctionNode f => f.Args.Any(HasPlusMinus),
        _ => false,
    };

    /// <summary><c>1 \pm \sqrt{19}</c> → the set {1 + √19, 1 − √19}.</summary>
    static SetValue ExpandPlusMinus(ExprValue v) =>
        new(Expand(v.Node).Take(16).Select(n => (AnswerValue)new ExprValue(n, v.Percent)).ToList(), Braced: false);

    static IEnumerable<MathNode> Expand(MathNode n)
    {
        switch (n)
        {
            case PlusMinusNode pm:
                foreach (var l in Expand(pm.Left))
                    foreach (var r in Expand(pm.Right))
                    {
                        yield return pm.MinusFirst ? new SumNode([l, new NegateNode(r)]) : new SumNode([l, r]);
                        yield return pm.MinusFirst ? new SumNode([l, r]) : new SumNode([l, new NegateNode(r)]);
                    }
                break;
            case SumNode s:
                foreach (var combo in Combine(s.Terms)) yield return new SumNode(combo);
                break;
            case ProductNode p:
                foreach (var combo in Combine(p.Factors)) yield return new ProductNode(combo);
                break;
            case NegateNode g:
                foreach (var x in Expand(g.Operand)) yield return new NegateNode(x);
                break;
            case QuotientNode q:
                foreach (var x in Expand(q.Numerator))
                    foreach (var y in Expand(q.Denominator)) yield return new QuotientNode(x, y);
                break;
            default:
                yield return n;
                break;
        }
    }

    static IEnumerable<List<MathNode>> Combine(IReadOnlyList<MathNode> parts)
    {
        IEnumerable<List<MathNode>> acc = [[]];
        foreach (var part in parts)
        {
            var options = Expand(part).Take(16).ToList();
            acc = acc.SelectMany(prefix => options.Select(o => new List<MathNode>(prefix) { o })).Take(16).ToList();
        }
        return acc;
    }

    // ---- scalars -----------------------------------------------------------------------------------------------

    static bool ScalarEqual(MathNode a, bool aPercent, MathNode b, bool bPercent, int precision)
    {
        foreach (var x in PercentReadings(a, aPercent))
            foreach (var y in PercentReadings(b, bPercent))
                if (ScalarEqual(x, y, precision)) return true;
        return false;
    }

    /// <summary>A number written with % matches both its value and its value / 100 (MATH golds drop the sign).</summary>
    static IEnumerable<MathNode> PercentReadings(MathNode n, bool percent)
    {
        yield return n;
        if (percent) yield return new QuotientNode(n, new NumberNode(100, false));
    }

    static bool ScalarEqual(MathNode a, MathNode b, int precision)
    {
        // (1) math-verify's rule for floats: when one side is a decimal literal, compare both rounded.
        if (IsDecimalLiteral(a) || IsDecimalLiteral(b))
        {
            var va = NumericEvaluator.Evaluate(a, NoVariables);
            var vb = NumericEvaluator.Evaluate(b, NoVariables);
            if (va is { } x && vb is { } y && Math.Abs(x.Imaginary) < 1e-12 && Math.Abs(y.Imaginary) < 1e-12
                && Math.Round(x.Real, precision, MidpointRounding.ToEven) == Math.Round(y.Real, precision, MidpointRounding.ToEven))
                return true;
        }
        // (2) exact symbolic equality
        var engine = new SymbolicEvaluator();
        try
        {
            var diff = engine.Evaluate(a) - engine.Evaluate(b);
            if (diff.IsZero) return true;
            if (!engine.UsedOpaqueAtoms) return false;
        }
        catch (AlgebraTooComplexException) { }
        catch (ArithmeticException) { }
        // (3) opaque parts (functions, irrational powers): agree numerically at fixed points
        return NumericallyEqual(a, b);
    }

    static readonly Dictionary<string, double> NoVariables = [];

    static bool IsDecimalLiteral(MathNode n) => n switch
    {
        NumberNode { IsDecimal: true } => true,
        NegateNode g => IsDecimalLiteral(g.Operand),
        _ => false,
    };

    static bool NumericallyEqual(MathNode a, MathNode b)
    {
        var sa = NumericEvaluator.FreeSymbols(a);
        var sb = NumericEvaluator.FreeSymbols(b);
        sa.Remove("e"); sb.Remove("e");
        if (!sa.SetEquals(sb)) return false;
        int agreed = 0;
        for (int point = 0; point < 3; point++)
        {
            var vars = new Dictionary<string, double>();
            foreach (var s in sa) vars[s] = SamplePoint(s, point);
            var va = NumericEvaluator.Evaluate(a, vars);
            var vb = NumericEvaluator.Evaluate(b, vars);
            if (va is null || vb is null) continue;
            double scale = Math.Max(1, Math.Max(Complex.Abs(va.Value), Complex.Abs(vb.Value)));
            if (Complex.Abs(va.Value - vb.Value) > 1e-9 * scale) return false;
            agreed++;
        }
        return agreed >= (sa.Count == 0 ? 1 : 2);
    }

    /// <summary>A fixed, irrational-looking positive value for variable <paramref name="name"/> at sample <paramref name="point"/>.</summary>
    static double SamplePoint(string name, int point)
    {
        uint h = 2166136261;
        foreach (var ch in name) h = (h ^ ch) * 16777619;
        h = (h ^ (uint)point) * 16777619;
        return 0.31 + (h % 10007) / 10007.0 * 1.7 + point * 0.137;
    }
}
