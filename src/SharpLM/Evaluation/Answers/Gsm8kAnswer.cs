using System.Numerics;
using System.Text.RegularExpressions;

namespace SharpLM.Evaluation.Answers;

/// <summary>How a GSM8K answer was found in a model output.</summary>
public enum Gsm8kExtraction
{
    /// <summary>Nothing that looks like a number.</summary>
    None,
    /// <summary>The reference format: first <c>#### N</c>.</summary>
    Strict,
    /// <summary>No <c>####</c>: the last number in the text (lm-eval's "flexible-extract").</summary>
    Flexible,
}

/// <summary>A GSM8K answer taken from a model output: the raw match, its normal form and how it was found.</summary>
public readonly record struct Gsm8kExtracted(string Raw, string Normalized, Gsm8kExtraction Method);

/// <summary>
/// GSM8K answer extraction and normalisation.
/// <list type="bullet">
/// <item><see cref="ReferenceNormalize"/>: the GSM8K reference rule lighteval's <c>quasi_exact_match_gsm8k</c> applies to
/// both prediction and gold (<c>gsm8k_normalizer</c>: first match of <c>#### (-?[0-9.,]+)</c>, commas removed,
/// else <c>[invalid]</c>).</item>
/// <item><see cref="Extract"/>: that rule, then, when the output has no <c>####</c>, lm-eval's flexible rule (the last match
/// of <c>(-?[$0-9.,]{2,})|(-?[0-9]+)</c>); the match is cleaned as lm-eval does (commas, <c>$</c>, a trailing
/// <c>.</c>). Matches with no digit (e.g. "..") are skipped.</item>
/// <item><see cref="NumbersEqual"/>: exact decimal comparison, so <c>18.00</c> equals <c>18</c> (lighteval's current
/// extractive match compares numbers, not strings).</item>
/// </list>
/// </summary>
public static partial class Gsm8kAnswer
{
    /// <summary>What the reference rule returns when there is no <c>####</c> answer.</summary>
    public const string Invalid = "[invalid]";

    [GeneratedRegex(@"#### (\-?[0-9\.\,]+)")]
    private static partial Regex ReferenceAnswer();

    [GeneratedRegex(@"(-?[$0-9.,]{2,})|(-?[0-9]+)")]
    private static partial Regex FlexibleNumber();

    /// <summary>lighteval/OpenAI <c>gsm8k_normalizer</c>: the first <c>#### N</c> without commas, or <see cref="Invalid"/>.</summary>
    public static string ReferenceNormalize(string text)
    {
        var m = ReferenceAnswer().Match(text);
        return m.Success ? m.Groups[1].Value.Trim().Replace(",", "", StringComparison.Ordinal) : Invalid;
    }

    /// <summary>The answer in a model output: <c>####</c> first, else the last number; null when there is none.</summary>
    public static Gsm8kExtracted? Extract(string output)
    {
        var strict = ReferenceAnswer().Match(output);
        if (strict.Success)
        {
            var norm = Clean(strict.Groups[1].Value);
            if (norm.Any(char.IsAsciiDigit)) return new Gsm8kExtracted(strict.Groups[1].Value, norm, Gsm8kExtraction.Strict);
        }
        var matches = FlexibleNumber().Matches(output);
        for (int i = matches.Count - 1; i >= 0; i--)
        {
            var raw = matches[i].Value;
            var norm = Clean(raw);
            if (norm.Any(char.IsAsciiDigit)) return new Gsm8kExtracted(raw, norm, Gsm8kExtraction.Flexible);
        }
        return null;
    }

    /// <summary>lm-eval's cleaning of a matched answer: drop commas and <c>$</c>, then trailing dots.</summary>
    public static string Clean(string raw) =>
        raw.Replace(",", "", StringComparison.Ordinal).Replace("$", "", StringComparison.Ordinal).Trim().TrimEnd('.');

    /// <summary>True when both strings are the same decimal number (exactly), e.g. <c>18</c>, <c>18.0</c>, <c>018</c>.</summary>
    public static bool NumbersEqual(string a, string b)
    {
        if (TryParseDecimal(a, out var na, out var da) && TryParseDecimal(b, out var nb, out var db))
            return na * db == nb * da;
        return string.Equals(a.Trim(), b.Trim(), StringComparison.Ordinal);
    }

    /// <summary>Parses <c>-?digits(.digits)?</c> (also <c>.5</c>, <c>5.</c>) as the exact fraction num/den.</summary>
    public static bool TryParseDecimal(string s, out BigInteger numerator, out BigInteger denominator)
    {
        numerator = 0; denominator = 1;
        s = s.Trim();
        bool negative = s.StartsWith('-');
        if (negative) s = s[1..];
        int dot = s.IndexOf('.');
        string whole = dot < 0 ? s : s[..dot], frac = dot < 0 ? "" : s[(dot + 1)..];
        if (whole.Length + frac.Length == 0 || whole.Length + frac.Length > 4000) return false;
        if (!whole.All(char.IsAsciiDigit) || !frac.All(char.IsAsciiDigit)) return false;
        numerator = BigInteger.Parse(whole + frac is { Length: > 0 } digits ? digits : "0", System.Globalization.CultureInfo.InvariantCulture);
        denominator = BigInteger.Pow(10, frac.Length);
        if (negative) numerator = -numerator;
        return true;
    }
}
