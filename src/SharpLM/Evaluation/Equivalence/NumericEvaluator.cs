using System.Numerics;

namespace SharpLM.Evaluation.Equivalence;

/// <summary>
/// Evaluates a <see cref="MathNode"/> to a complex number with given values for its variables (e is Euler's number
/// unless assigned). Used where the exact engine cannot decide: identities between opaque atoms (tan²y + 1 = sec²y,
/// sin(π/6) = 1/2, log₂8 = 3) and the rounding rule for decimal answers. Returns null for infinities, division
/// by zero or anything not finite.
/// </summary>
internal static class NumericEvaluator
{
    public static Complex? Evaluate(MathNode node, IReadOnlyDictionary<string, double> variables)
    {
        try
        {
            var v = Eval(node, variables);
            return double.IsFinite(v.Real) && double.IsFinite(v.Imaginary) ? v : null;
        }
        catch (ArithmeticException) { return null; }
        catch (NotSupportedException) { return null; }
    }

    /// <summary>Every variable name in <paramref name="node"/>.</summary>
    public static SortedSet<string> FreeSymbols(MathNode node)
    {
        var set = new SortedSet<string>(StringComparer.Ordinal);
        Collect(node, set);
        return set;
    }

    static void Collect(MathNode n, SortedSet<string> set)
    {
        switch (n)
        {
            case SymbolNode s: set.Add(s.Name); break;
            case SumNode s: foreach (var t in s.Terms) Collect(t, set); break;
            case ProductNode p: foreach (var f in p.Factors) Collect(f, set); break;
            case NegateNode g: Collect(g.Operand, set); break;
            case QuotientNode q: Collect(q.Numerator, set); Collect(q.Denominator, set); break;
            case PowerNode p: Collect(p.Base, set); Collect(p.Exponent, set); break;
            case RootNode r: Collect(r.Radicand, set); if (r.Index is not null) Collect(r.Index, set); break;
            case FunctionNode f: foreach (var a in f.Args) Collect(a, set); break;
            case PlusMinusNode pm: Collect(pm.Left, set); Collect(pm.Right, set); break;
        }
    }

    static Complex Eval(MathNode node, IReadOnlyDictionary<string, double> vars) => node switch
    {
        NumberNode n => n.Value.ToDouble(),
        SymbolNode s => vars.TryGetValue(s.Name, out var v) ? v
            : s.Name == "e" ? Math.E
            : throw new NotSupportedException("unassigned variable"),
        ConstantNode { Name: "pi" } => Math.PI,
        ConstantNode { Name: "i" } => Complex.ImaginaryOne,
        ConstantNode => throw new NotSupportedException("infinity"),
        SumNode s => s.Terms.Aggregate(Complex.Zero, (acc, t) => acc + Eval(t, vars)),
        ProductNode p => p.Factors.Aggregate(Complex.One, (acc, f) => acc * Eval(f, vars)),
        NegateNode g => -Eval(g.Operand, vars),
        QuotientNode q => Divide(Eval(q.Numerator, vars), Eval(q.Denominator, vars)),
        PowerNode p => Power(Eval(p.Base, vars), Eval(p.Exponent, vars)),
        RootNode r => Root(Eval(r.Radicand, vars), r.Index is null ? 2 : Eval(r.Index, vars)),
        FunctionNode f => Function(f.Name, f.Args.Select(a => Eval(a, vars)).ToArray()),
        _ => throw new NotSupportedException(),
    };

    static Complex Divide(Complex a, Complex b) =>
        b == Complex.Zero ? throw new DivideByZeroException() : a / b;

    static Complex Power(Complex b, Complex e)
    {
        // Integer exponents of reals stay real (Complex.Pow of a negative base drifts off the axis).
        if (e.Imaginary == 0 && b.Imaginary == 0 && Math.Abs(e.Real - Math.Round(e.Real)) < 1e-12)
            return Math.Pow(b.Real, Math.Round(e.Real));
        if (b == Complex.Zero) return e.Real > 0 ? Complex.Zero : throw new DivideByZeroException();
        return Complex.Pow(b, e);
    }

    static Complex Root(Complex x, Complex n)
    {
        // Real odd roots of negative reals are real (∛−8 = −2).
        if (x.Imaginary == 0 && n.Imaginary == 0 && x.Real < 0 && Math.Abs(n.Real % 2) == 1)
            return -Math.Pow(-x.Real, 1 / n.Real);
        if (x.Imaginary == 0 && x.Real >= 0 && n.Imaginary == 0) return Math.Pow(x.Real, 1 / n.Real);
        return Complex.Pow(x, 1 / n);
    }

    static Complex Function(string name, Complex[] a) => name switch
    {
        "sin" => Complex.Sin(a[0]),
        "cos" => Complex.Cos(a[0]),
        "tan" => Complex.Tan(a[0]),
        "sec" => Divide(1, Complex.Cos(a[0])),
        "csc" => Divide(1, Complex.Sin(a[0])),
        "cot" => Divide(Complex.Cos(a[0]), Complex.Sin(a[0])),
        "arcsin" => Complex.Asin(a[0]),
        "arccos" => Complex.Acos(a[0]),
        "arctan" => Complex.Atan(a[0]),
        "sinh" => Complex.Sinh(a[0]),
        "cosh" => Complex.Cosh(a[0]),
        "tanh" => Complex.Tanh(a[0]),
        "exp" => Complex.Exp(a[0]),
        "ln" => a[0] == Complex.Zero ? throw new DivideByZeroException() : Complex.Log(a[0]),
        "log" => Divide(Complex.Log(a[0]), Complex.Log(a[1])),
        "abs" => Complex.Abs(a[0]),
        "floor" when a[0].Imaginary == 0 => Math.Floor(a[0].Real),
        "ceil" when a[0].Imaginary == 0 => Math.Ceiling(a[0].Real),
        "factorial" when a[0].Imaginary == 0 && a[0].Real >= 0 && a[0].Real <= 170 && a[0].Real == Math.Floor(a[0].Real) => Factorial((int)a[0].Real),
        "binom" when a.All(x => x.Imaginary == 0) => Binomial(a[0].Real, a[1].Real),
        _ => throw new NotSupportedException(name),
    };

    static double Factorial(int n)
    {
        double r = 1;
        for (int k = 2; k <= n; k++) r *= k;
        return r;
    }

    static double Binomial(double n, double k)
    {
        if (k != Math.Floor(k) || k < 0 || k > 10_000) throw new NotSupportedException("binom");
        double r = 1;
        for (int j = 1; j <= (int)k; j++) r = r * (n - k + j) / j;
        return r;
    }
}
