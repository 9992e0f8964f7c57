using System.Numerics;

namespace SharpLM.Evaluation.Equivalence;

/// <summary>
/// Turns a <see cref="MathNode"/> into an exact <see cref="RationalFunction"/>: rational arithmetic, expansion of
/// products and integer powers, radicals reduced to square-free form (√12 = 2√3, √(−4) = 2i, 1/√3 = √3/3), exact
/// rational roots (8^{1/3} = 2), factorials, binomials, floor/ceil/abs of numbers. What it cannot decide exactly
/// (sin x, 2^n, ∛2, √(x+1)) becomes an opaque atom named by its canonical argument, and
/// <see cref="UsedOpaqueAtoms"/> tells the caller that "not equal" is not final (a numeric check follows).
/// </summary>
internal sealed class SymbolicEvaluator
{
    /// <summary>Set once an opaque atom was created during an evaluation.</summary>
    public bool UsedOpaqueAtoms { get; private set; }

    public RationalFunction Evaluate(MathNode node) => node switch
    {
        NumberNode n => RationalFunction.Constant(n.Value),
        SymbolNode s => RationalFunction.Atom("v:" + s.Name),
        ConstantNode { Name: "i" } => RationalFunction.Atom(Monomial.ImaginaryUnit),
        ConstantNode c => RationalFunction.Atom("c:" + c.Name),
        SumNode s => s.Terms.Select(Evaluate).Aggregate((a, b) => a + b),
        ProductNode p => p.Factors.Select(Evaluate).Aggregate((a, b) => a * b),
        NegateNode n => -Evaluate(n.Operand),
        QuotientNode q => Evaluate(q.Numerator) / Evaluate(q.Denominator),
        PowerNode p => Power(Evaluate(p.Base), Evaluate(p.Exponent)),
        RootNode r => Power(Evaluate(r.Radicand), RationalFunction.Constant(BigRational.One) / (r.Index is null ? RationalFunction.Constant(2) : Evaluate(r.Index))),
        FunctionNode f => Function(f),
        PlusMinusNode => throw new AlgebraTooComplexException(), // expanded before evaluation
        _ => throw new AlgebraTooComplexException(),
    };

    RationalFunction Power(RationalFunction b, RationalFunction e)
    {
        if (e.TryGetRational(out var q))
        {
            if (q.IsInteger && BigInteger.Abs(q.Numerator) <= 64) return b.Pow((int)q.Numerator);
            // a big integer power of a number (3^{2007}) is still exact, as long as the result stays a few kB
            if (q.IsInteger && b.TryGetRational(out var rb) && !rb.IsZero && BigInteger.Abs(q.Numerator) <= 100_000
                && (long)Math.Max(rb.Numerator.GetBitLength(), rb.Denominator.GetBitLength()) * (long)BigInteger.Abs(q.Numerator) <= 200_000)
                return RationalFunction.Constant(rb.Pow((int)q.Numerator));
            if (b.TryGetRational(out var c) && q.Denominator <= 64 && BigInteger.Abs(q.Numerator) <= 64)
            {
                var exact = RationalRoot(c, (int)q.Denominator);
                if (exact is not null) return exact.Pow((int)q.Numerator);
            }
        }
        return Opaque("pow(" + b.Canonical() + "," + e.Canonical() + ")");
    }

    /// <summary>c^(1/n) exactly: a rational when c is a perfect n-th power, a reduced square root for n = 2; else null.</summary>
    static RationalFunction? RationalRoot(BigRational c, int n)
    {
        if (n == 1) return RationalFunction.Constant(c);
        if (c.IsZero) return RationalFunction.Constant(BigRational.Zero);
        if (c.Sign < 0)
        {
            if (n % 2 == 1)
            {
                var r = RationalRoot(-c, n);
                return r is null ? null : -r;
            }
            if (n != 2) return null;
            var root = RationalRoot(-c, 2);
            return root is null ? null : root * RationalFunction.Atom(Monomial.ImaginaryUnit);
        }
        var pn = IntegerRoot(c.Numerator, n);
        var pd = IntegerRoot(c.Denominator, n);
        if (pn is not null && pd is not null) return RationalFunction.Constant(new BigRational(pn.Value, pd.Value));
        if (n != 2) return null;
        // √(p/q) = √(p·q) / q, then pull squares out of p·q
        var (outside, inside) = SquareFreeSplit(c.Numerator * c.Denominator);
        if (inside is null) return null;
        var coeff = new BigRational(outside, c.Denominator);
        return RationalFunction.FromPolynomial(Polynomial.Of(Monomial.SquareRoot(inside.Value), coeff));
    }

    /// <summary>The exact integer n-th root of v ≥ 0, or null.</summary>
    static BigInteger? IntegerRoot(BigInteger v, int n)
    {
        if (v.IsZero || v.IsOne) return v;
        double approx = Math.Pow((double)v, 1.0 / n);
        if (double.IsInfinity(approx) || double.IsNaN(approx)) return null;
        var guess = new BigInteger(Math.Round(approx));
        for (var g = guess - 2; g <= guess + 2; g++)
            if (g.Sign > 0 && BigInteger.Pow(g, n) == v) return g;
        return null;
    }

    /// <summary>v = outside² · inside with inside square-free (trial division; null when v is too large to factor).</summary>
    static (BigInteger Outside, BigInteger? Inside) SquareFreeSplit(BigInteger v)
    {
        if (v.GetBitLength() > 80) return (BigInteger.One, null);
        BigInteger outside = 1, inside = 1;
        var rest = v;
        for (BigInteger p = 2; p * p <= rest; p += p == 2 ? 1 : 2)
        {
            int count = 0;
            while ((rest % p).IsZero) { rest /= p; count++; }
            for (int k = 0; k < count / 2; k++) outside *= p;
            if (count % 2 == 1) inside *= p;
            if (p > 200_000) return (BigInteger.One, null); // not worth it for answer comparison
        }
        inside *= rest;
        return (outside, inside);
    }

    RationalFunction Function(FunctionNode f)
    {
        var args = f.Args.Select(Evaluate).ToArray();
        switch (f.Name)
        {
            case "abs" when args[0].TryGetRational(out var a):
                return RationalFunction.Constant(a.Sign < 0 ? -a : a);
            case "abs" when args[0].IsNumeric && args[0].Denominator.TryGetRational(out _) && args[0].Numerator.Terms.Count == 1:
            {
                var (m, c) = args[0].Numerator.Terms.First();
                if (m.Powers.Length == 0) return RationalFunction.FromPolynomial(Polynomial.Of(m, c.Sign < 0 ? -c : c));
                break;
            }
            case "floor" when args[0].TryGetRational(out var a):
                return RationalFunction.Constant(new BigRational(FloorDiv(a.Numerator, a.Denominator)));
            case "ceil" when args[0].TryGetRational(out var a):
                return RationalFunction.Constant(new BigRational(-FloorDiv(-a.Numerator, a.Denominator)));
            case "factorial" when args[0].TryGetRational(out var a) && a.IsInteger && a.Sign >= 0 && a.Numerator <= 2000:
            {
                BigInteger r = 1;
                for (int k = 2; k <= (int)a.Numerator; k++) r *= k;
                return RationalFunction.Constant(new BigRational(r));
            }
            case "binom" when args[0].TryGetRational(out var n) && args[1].TryGetRational(out var k)
                              && n.IsInteger && k.IsInteger && n.Sign >= 0 && n.Numerator <= 10000:
            {
                if (k.Sign < 0 || k.Numerator > n.Numerator) return RationalFunction.Constant(BigRational.Zero);
                BigInteger r = 1;
                int nn = (int)n.Numerator, kk = (int)BigInteger.Min(k.Numerator, n.Numerator - k.Numerator);
                for (int j = 1; j <= kk; j++) r = r * (nn - kk + j) / j;
                return RationalFunction.Constant(new BigRational(r));
            }
            case "exp" when args[0].IsZero:
                return RationalFunction.Constant(BigRational.One);
            case "ln" when args[0].TryGetRational(out var a) && a.IsOne:
                return RationalFunction.Constant(BigRational.Zero);
        }
        return Opaque(f.Name + "(" + string.Join(",", args.Select(a => a.Canonical())) + ")");
    }

    RationalFunction Opaque(string name)
    {
        UsedOpaqueAtoms = true;
        return RationalFunction.Atom("f:" + name);
    }

    static BigInteger FloorDiv(BigInteger a, BigInteger b)
    {
        var q = BigInteger.DivRem(a, b, out var r);
        return !r.IsZero && (r.Sign < 0) != (b.Sign < 0) ? q - 1 : q;
    }
}
