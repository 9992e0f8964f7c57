using System.Numerics;
using System.Text;

namespace SharpLM.Evaluation.Equivalence;

/// <summary>
/// A monomial of the algebra engine: Π atom^exponent · √Radical, with integer (possibly negative) exponents and a
/// square-free Radical ≥ 1. The imaginary unit is the atom <c>i</c>, reduced with i² = −1, so every product has one
/// canonical form: distinct square-free radicals and distinct atom powers are linearly independent over ℚ, which is
/// what makes "difference is zero" an exact equality test.
/// </summary>
internal sealed class Monomial : IEquatable<Monomial>
{
    public const string ImaginaryUnit = "i";

    public static readonly Monomial One = new([], BigInteger.One);

    /// <summary>Atom powers sorted by atom name (ordinal); no zero exponents; <c>i</c> only to the first power.</summary>
    public (string Atom, int Exp)[] Powers { get; }
    public BigInteger Radical { get; }
    readonly string _key;

    Monomial((string Atom, int Exp)[] powers, BigInteger radical)
    {
        Powers = powers;
        Radical = radical;
        var sb = new StringBuilder();
        if (!radical.IsOne) sb.Append("sqrt(").Append(radical).Append(')');
        foreach (var (a, e) in powers)
        {
            if (sb.Length > 0) sb.Append('*');
            sb.Append(a);
            if (e != 1) sb.Append('^').Append(e);
        }
        _key = sb.ToString();
    }

    public bool IsOne => Powers.Length == 0 && Radical.IsOne;

    /// <summary>True when no atom occurs (a rational multiple of √Radical).</summary>
    public bool IsNumeric => Powers.Length == 0;

    /// <summary>An atom to the first power.</summary>
    public static Monomial Atom(string name) => new([(name, 1)], BigInteger.One);

    /// <summary>√r for a square-free r ≥ 2 (callers reduce first).</summary>
    public static Monomial SquareRoot(BigInteger squareFree) => new([], squareFree);

    /// <summary>a·b = factor · monomial.</summary>
    public static (Monomial Product, BigRational Factor) Multiply(Monomial a, Monomial b)
    {
        BigRational factor = BigRational.One;
        var g = BigInteger.GreatestCommonDivisor(a.Radical, b.Radical);
        var radical = a.Radical * b.Radical / (g * g);
        factor *= new BigRational(g);
        var powers = new List<(string, int)>(a.Powers.Length + b.Powers.Length);
        int i = 0, j = 0;
        while (i < a.Powers.Length || j < b.Powers.Length)
        {
            int cmp = i >= a.Powers.Length ? 1 : j >= b.Powers.Length ? -1 : string.CompareOrdinal(a.Powers[i].Atom, b.Powers[j].Atom);
            string atom;
            long exp;
            if (cmp < 0) { (atom, exp) = a.Powers[i++]; }
            else if (cmp > 0) { (atom, exp) = b.Powers[j++]; }
            else { atom = a.Powers[i].Atom; exp = (long)a.Powers[i++].Exp + b.Powers[j++].Exp; }
            if (atom == ImaginaryUnit)
            {
                exp = ((exp % 4) + 4) % 4;
                if (exp >= 2) { factor = -factor; exp -= 2; }
            }
            if (exp == 0) continue;
            if (exp is > int.MaxValue or < int.MinValue) throw new AlgebraTooComplexException();
            powers.Add((atom, (int)exp));
        }
        return (new Monomial(powers.ToArray(), radical), factor);
    }

    /// <summary>1/m = factor · monomial (√r in a denominator becomes √r / r).</summary>
    public (Monomial Inverse, BigRational Factor) Invert()
    {
        var powers = Powers.Select(p => (p.Atom, -p.Exp)).ToList();
        var factor = Radical.IsOne ? BigRational.One : new BigRational(BigInteger.One, Radical);
        // i^-1 = -i
        for (int k = 0; k < powers.Count; k++)
            if (powers[k].Atom == ImaginaryUnit) { powers[k] = (ImaginaryUnit, 1); factor = -factor; }
        return (new Monomial(powers.ToArray(), Radical), factor);
    }

    public bool Equals(Monomial? other) => other is not null && _key == other._key;
    public override bool Equals(object? obj) => Equals(obj as Monomial);
    public override int GetHashCode() => _key.GetHashCode(StringComparison.Ordinal);
    public override string ToString() => _key;
}

/// <summary>An expression the exact engine refuses to expand (too many terms, huge exponent); callers fall back to numbers.</summary>
internal sealed class AlgebraTooComplexException : Exception;
