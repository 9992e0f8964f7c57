using System.Text;

namespace SharpLM.Evaluation.Equivalence;

/// <summary>
/// A finite sum of <see cref="Monomial"/>s with exact rational coefficients, kept in canonical form (no zero
/// coefficients, like terms merged), so two equal polynomials have equal term sets.
/// </summary>
internal sealed class Polynomial
{
    /// <summary>Above this many terms the engine gives up rather than expand (e.g. (x+y)^60).</summary>
    public const int MaxTerms = 4000;

    public Dictionary<Monomial, BigRational> Terms { get; }

    Polynomial(Dictionary<Monomial, BigRational> terms) => Terms = terms;

    public static Polynomial Zero => new([]);
    public static Polynomial Constant(BigRational c) => c.IsZero ? Zero : new(new() { [Monomial.One] = c });
    public static Polynomial Of(Monomial m, BigRational c) => c.IsZero ? Zero : new(new() { [m] = c });

    public bool IsZero => Terms.Count == 0;

    /// <summary>The value when this is a plain rational number (no atoms, no radical).</summary>
    public bool TryGetRational(out BigRational value)
    {
        value = BigRational.Zero;
        if (Terms.Count == 0) return true;
        if (Terms.Count == 1 && Terms.TryGetValue(Monomial.One, out value)) return true;
        return false;
    }

    /// <summary>True when no term contains an atom (a ℚ-combination of square roots).</summary>
    public bool IsNumeric => Terms.Keys.All(m => m.IsNumeric);

    public static Polynomial operator +(Polynomial a, Polynomial b)
    {
        var r = new Dictionary<Monomial, BigRational>(a.Terms);
        foreach (var (m, c) in b.Terms) AddTerm(r, m, c);
        return Checked(r);
    }

    public static Polynomial operator -(Polynomial a) => new(a.Terms.ToDictionary(t => t.Key, t => -t.Value));
    public static Polynomial operator -(Polynomial a, Polynomial b) => a + -b;

    public static Polynomial operator *(Polynomial a, Polynomial b)
    {
        if ((long)a.Terms.Count * b.Terms.Count > MaxTerms * 4L) throw new AlgebraTooComplexException();
        var r = new Dictionary<Monomial, BigRational>();
        foreach (var (ma, ca) in a.Terms)
            foreach (var (mb, cb) in b.Terms)
            {
                var (m, f) = Monomial.Multiply(ma, mb);
                AddTerm(r, m, ca * cb * f);
            }
        return Checked(r);
    }

    public Polynomial Scale(BigRational c) => c.IsZero ? Zero : new(Terms.ToDictionary(t => t.Key, t => t.Value * c));

    /// <summary>Multiplies by a single monomial.</summary>
    public Polynomial Times(Monomial m, BigRational c) => this * Of(m, c);

    static void AddTerm(Dictionary<Monomial, BigRational> r, Monomial m, BigRational c)
    {
        if (c.IsZero) return;
        if (r.TryGetValue(m, out var old))
        {
            var sum = old + c;
            if (sum.IsZero) r.Remove(m); else r[m] = sum;
        }
        else r[m] = c;
    }

    static Polynomial Checked(Dictionary<Monomial, BigRational> r) =>
        r.Count > MaxTerms ? throw new AlgebraTooComplexException() : new(r);

    /// <summary>A deterministic spelling (terms in ordinal order of their monomials), used to name atoms.</summary>
    public override string ToString()
    {
        if (Terms.Count == 0) return "0";
        var sb = new StringBuilder();
        foreach (var (m, c) in Terms.OrderBy(t => t.Key.ToString(), StringComparer.Ordinal))
        {
            if (sb.Length > 0) sb.Append(" + ");
            sb.Append(c.ToString());
            if (!m.IsOne) sb.Append('*').Append(m);
        }
        return sb.ToString();
    }

    /// <summary>The term that sorts first (ordinal by monomial), used to normalise a quotient's scale.</summary>
    public KeyValuePair<Monomial, BigRational> LeadingTerm() =>
        Terms.OrderBy(t => t.Key.ToString(), StringComparer.Ordinal).First();
}
