using System.Text.RegularExpressions;

namespace SharpLM.Data.Filters;

/// <summary>
/// Common LaTeX math commands. A page that passed the prefilter only on a stray <c>\word</c> is kept when its
/// extracted text uses one of these (OWM keeps ~100 such commands; this list is ours, written from the
/// LaTeX/AMS symbol tables: fractions and roots, big operators, Greek, relations, arrows, environments, fonts).
/// </summary>
public static class LatexCommands
{
    public static readonly string[] Commands =
    [
        "frac", "dfrac", "tfrac", "sqrt", "sum", "prod", "int", "iint", "oint", "lim", "limsup", "liminf", "infty",
        "partial", "nabla", "cdot", "cdots", "ldots", "dots", "times", "div", "pm", "mp", "leq", "geq", "le", "ge",
        "neq", "ne", "approx", "equiv", "sim", "simeq", "cong", "propto", "subset", "subseteq", "supset", "supseteq",
        "in", "notin", "cup", "cap", "setminus", "emptyset", "varnothing", "forall", "exists", "neg", "land", "lor",
        "implies", "iff", "to", "mapsto", "rightarrow", "leftarrow", "Rightarrow", "Leftarrow", "Leftrightarrow",
        "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta", "iota",
        "kappa", "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "phi", "varphi", "chi", "psi", "omega",
        "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega",
        "mathbb", "mathbf", "mathcal", "mathrm", "mathit", "operatorname", "binom", "choose", "overline", "hat",
        "vec", "bar", "tilde", "left", "right", "begin", "end", "log", "ln", "exp", "sin", "cos", "tan", "sec",
        "csc", "cot", "arcsin", "arccos", "arctan", "det", "dim", "ker", "gcd", "max", "min", "sup", "inf", "mod",
        "pmod", "bmod", "mid", "perp", "parallel", "angle", "triangle", "circ", "deg", "prime", "ell", "hbar",
        "langle", "rangle", "lfloor", "rfloor", "lceil", "rceil", "vert", "Vert", "displaystyle", "boxed", "text",
    ];

    static readonly HashSet<string> s_set = new(Commands, StringComparer.Ordinal);
    static readonly Regex s_command = new(@"\\([A-Za-z]+)", RegexOptions.CultureInvariant | RegexOptions.Compiled);

    /// <summary>Whether <paramref name="text"/> uses at least one known LaTeX math command.</summary>
    public static bool AnyIn(string text)
    {
        foreach (Match m in s_command.Matches(text))
            if (s_set.Contains(m.Groups[1].Value)) return true;
        return false;
    }
}
