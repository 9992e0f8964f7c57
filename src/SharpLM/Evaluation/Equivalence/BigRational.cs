using System.Globalization;
using System.Numerics;

namespace SharpLM.Evaluation.Equivalence;

/// <summary>An exact rational number p/q in lowest terms with q &gt; 0. The coefficient field of the algebra engine.</summary>
public readonly struct BigRational : IEquatable<BigRational>, IComparable<BigRational>
{
    public BigInteger Numerator { get; }
    public BigInteger Denominator { get; }

    public static readonly BigRational Zero = new(0);
    public static readonly BigRational One = new(1);

    public BigRational(BigInteger value) { Numerator = value; Denominator = BigInteger.One; }

    public BigRational(BigInteger numerator, BigInteger denominator)
    {
        if (denominator.IsZero) throw new DivideByZeroException();
        if (denominator.Sign < 0) { numerator = -numerator; denominator = -denominator; }
        var g = BigInteger.GreatestCommonDivisor(numerator, denominator);
        if (!g.IsOne && !g.IsZero) { numerator /= g; denominator /= g; }
        Numerator = numerator;
        Denominator = numerator.IsZero ? BigInteger.One : denominator;
    }

    public bool IsZero => Numerator.IsZero;
    public bool IsOne => Numerator.IsOne && Denominator.IsOne;
    public bool IsInteger => Denominator.IsOne;
    public int Sign => Numerator.Sign;

    public static BigRational operator +(BigRational a, BigRational b) =>
        a.Denominator == b.Denominator ? new(a.Numerator + b.Numerator, a.Denominator)
        : new(a.Numerator * b.Denominator + b.Numerator * a.Denominator, a.Denominator * b.Denominator);
    public static BigRational operator -(BigRational a) => new(-a.Numerator, a.Denominator);
    public static BigRational operator -(BigRational a, BigRational b) => a + -b;
    public static BigRational operator *(BigRational a, BigRational b) => new(a.Numerator * b.Numerator, a.Denominator * b.Denominator);
    public static BigRational operator /(BigRational a, BigRational b) => new(a.Numerator * b.Denominator, a.Denominator * b.Numerator);
    public static bool operator ==(BigRational a, BigRational b) => a.Equals(b);
    public static bool operator !=(BigRational a, BigRational b) => !a.Equals(b);
    public static implicit operator BigRational(int v) => new(v);

    public BigRational Reciprocal() => new(Denominator, Numerator);

    /// <summary>this^e for an integer exponent (negative allowed unless zero base).</summary>
    public BigRational Pow(int e)
    {
        if (e == 0) return One;
        var r = new BigRational(BigInteger.Pow(Numerator, Math.Abs(e)), BigInteger.Pow(Denominator, Math.Abs(e)));
        return e > 0 ? r : r.Reciprocal();
    }

    public double ToDouble()
    {
        // Scale big values so the division does not overflow to NaN.
        double n = (double)Numerator, d = (double)Denominator;
        if (double.IsFinite(n) && double.IsFinite(d)) return n / d;
        int shift = (int)Math.Max(Numerator.GetBitLength(), Denominator.GetBitLength()) - 1000;
        return (double)(Numerator >> shift) / (double)(Denominator >> shift);
    }

    /// <summary>Parses a plain decimal such as <c>-12</c>, <c>0.25</c>, <c>.5</c>, <c>3.</c> exactly.</summary>
    public static bool TryParseDecimal(string s, out BigRational value)
    {
        value = Zero;
        if (!Answers.Gsm8kAnswer.TryParseDecimal(s, out var n, out var d)) return false;
        value = new BigRational(n, d);
        return true;
    }

    public bool Equals(BigRational other) => Numerator == other.Numerator && Denominator == other.Denominator;
    public override bool Equals(object? obj) => obj is BigRational r && Equals(r);
    public override int GetHashCode() => HashCode.Combine(Numerator, Denominator);
    public int CompareTo(BigRational other) => (Numerator * other.Denominator).CompareTo(other.Numerator * Denominator);

    public override string ToString() =>
        Denominator.IsOne ? Numerator.ToString(CultureInfo.InvariantCulture)
        : Numerator.ToString(CultureInfo.InvariantCulture) + "/" + Denominator.ToString(CultureInfo.InvariantCulture);
}
