namespace SharpLM.Evaluation.Equivalence;

/// <summary>
/// Numerator/denominator of <see cref="Polynomial"/>s: the value of an expression in the exact engine. Equality of
/// two values is <c>n1·d2 − n2·d1 = 0</c>, decided exactly; single-term denominators are multiplied out at once so
/// sums of fractions stay small.
/// </summary>
internal sealed class RationalFunction
{
    public Polynomial Numerator { get; }
    public Polynomial Denominator { get; }

    RationalFunction(Polynomial num, Polynomial den)
    {
        if (den.IsZero) throw new DivideByZeroException();
        if (den.Terms.Count == 1)
        {
            // n / (c·m) = n · (1/c) · m⁻¹
            var (m, c) = den.Terms.First();
            var (inv, f) = m.Invert();
            num = num.Times(inv, f / c);
            den = Polynomial.Constant(BigRational.One);
        }
        Numerator = num;
        Denominator = den;
    }

    public static RationalFunction FromPolynomial(Polynomial p) => new(p, Polynomial.Constant(BigRational.One));
    public static RationalFunction Constant(BigRational c) => FromPolynomial(Polynomial.Constant(c));
    public static RationalFunction Atom(string name) => FromPolynomial(Polynomial.Of(Monomial.Atom(name), BigRational.One));

    public bool IsZero => Numerator.IsZero;

    bool DenominatorIsOne => Denominator.TryGetRational(out var d) && d.IsOne;

    /// <summary>The value when it is a plain rational number.</summary>
    public bool TryGetRational(out BigRational value)
    {
        value = BigRational.Zero;
        return DenominatorIsOne && Numerator.TryGetRational(out value);
    }

    /// <summary>True for a ℚ-combination of square roots (no atoms at all).</summary>
    public bool IsNumeric => Numerator.IsNumeric && Denominator.IsNumeric;

    public static RationalFunction operator +(RationalFunction a, RationalFunction b) =>
        a.DenominatorIsOne && b.DenominatorIsOne
            ? FromPolynomial(a.Numerator + b.Numerator)
            : new(a.Numerator * b.Denominator + b.Numerator * a.Denominator, a.Denominator * b.Denominator);

    public static RationalFunction operator -(RationalFunction a) => new(-a.Numerator, a.Denominator);
    public static RationalFunction operator -(RationalFunction a, RationalFunction b) => a + -b;

    public static RationalFunction operator *(RationalFunction a, RationalFunction b) =>
        new(a.Numerator * b.Numerator, a.Denominator * b.Denominator);

    public static RationalFunction operator /(RationalFunction a, RationalFunction b)
    {
        if (b.IsZero) throw new DivideByZeroException();
        return new(a.Numerator * b.Denominator, a.Denominator * b.Numerator);
    }

    public RationalFunction Pow(int e)
    {
        if (Math.Abs(e) > 64) throw new AlgebraTooComplexException();
        if (e == 0) return Constant(BigRational.One);
        var result = Constant(BigRational.One);
        var b = this;
        int n = Math.Abs(e);
        while (n > 0)
        {
            if ((n & 1) != 0) result *= b;
            n >>= 1;
            if (n > 0) b *= b;
        }
        return e > 0 ? result : Constant(BigRational.One) / result;
    }

    /// <summary>A deterministic spelling used to name atoms built on this value (e.g. <c>sin(...)</c>).</summary>
    public string Canonical()
    {
        if (DenominatorIsOne) return Numerator.ToString();
        var lead = Denominator.LeadingTerm().Value; // scale so the denominator's first term has coefficient 1
        var inv = BigRational.One / lead;
        return "(" + Numerator.Scale(inv) + ")/(" + Denominator.Scale(inv) + ")";
    }
}
