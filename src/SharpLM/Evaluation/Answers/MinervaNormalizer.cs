using System.Text.RegularExpressions;

namespace SharpLM.Evaluation.Answers;

/// <summary>
/// The final-answer normaliser of Lewkowycz et al. (2022, "Minerva", appendix D) as lm-evaluation-harness applies it
/// (<c>normalize_final_answer</c> in <c>lm_eval/tasks/minerva_math/utils.py</c>): keep the text after the last
/// <c>=</c>, apply a fixed list of substitutions and unit-word removals, unwrap <c>$..$</c>, <c>\text{}</c>,
/// <c>\textbf{}</c>, <c>\overline{}</c>, <c>\boxed{}</c>, expand <c>\fracab</c>/<c>\sqrta</c>, drop <c>$</c>, and
/// drop commas from pure integers.
/// </summary>
public static partial class MinervaNormalizer
{
    static readonly (string Before, string After)[] Substitutions =
    [
        ("an ", ""), ("a ", ""), (".$", "$"), ("\\$", ""), ("\\ ", ""), (" ", ""), ("mbox", "text"),
        (",\\text{and}", ","), ("\\text{and}", ","), ("\\text{m}", "\\text{}"),
    ];

    static readonly string[] RemovedExpressions =
    [
        "square", "ways", "integers", "dollars", "mph", "inches", "ft", "hours", "km", "units", "\\ldots", "sue",
        "points", "feet", "minutes", "digits", "cents", "degrees", "cm", "gm", "pounds", "meters", "meals", "edges",
        "students", "childrentickets", "multiples", "\\text{s}", "\\text{.}", "\\text{\ns}", "\\text{}^2",
        "\\text{}^3", "\\text{\n}", "\\text{}", "\\mathrm{th}", "^\\circ", "^{\\circ}", "\\;", ",\\!", "{,}", "\"",
        "\\dots",
    ];

    [GeneratedRegex(@"(.*?)(\$)(.*?)(\$)(.*)")] private static partial Regex DollarWrapped();
    [GeneratedRegex(@"(\\text\{)(.*?)(\})")] private static partial Regex TextWrapped();
    [GeneratedRegex(@"(\\textbf\{)(.*?)(\})")] private static partial Regex BoldWrapped();
    [GeneratedRegex(@"(\\overline\{)(.*?)(\})")] private static partial Regex OverlineWrapped();
    [GeneratedRegex(@"(\\boxed\{)(.*)(\})")] private static partial Regex BoxedWrapped();
    [GeneratedRegex(@"(frac)([^{])(.)")] private static partial Regex ShortFrac();
    [GeneratedRegex(@"(sqrt)([^{])")] private static partial Regex ShortSqrt();

    public static string Normalize(string finalAnswer)
    {
        var s = finalAnswer.Split('=')[^1];
        foreach (var (before, after) in Substitutions) s = s.Replace(before, after, StringComparison.Ordinal);
        foreach (var expr in RemovedExpressions) s = s.Replace(expr, "", StringComparison.Ordinal);

        s = DollarWrapped().Replace(s, "$$$3$$");
        s = TextWrapped().Replace(s, "$2");
        s = BoldWrapped().Replace(s, "$2");
        s = OverlineWrapped().Replace(s, "$2");
        s = BoxedWrapped().Replace(s, "$2");
        s = ShortFrac().Replace(s, "frac{$2}{$3}");
        s = ShortSqrt().Replace(s, "sqrt{$2}");
        s = s.Replace("$", "", StringComparison.Ordinal);

        var noCommas = s.Replace(",", "", StringComparison.Ordinal);
        if (noCommas.Length > 0 && noCommas.All(char.IsDigit)) s = noCommas; // Python str.isdigit
        return s;
    }
}
