using System.Text;
using System.Text.RegularExpressions;
using SharpLM.Evaluation.Answers;

namespace SharpLM.Evaluation.Equivalence;

/// <summary>A final answer with presentation removed, ready for <see cref="LatexParser"/>.</summary>
/// <param name="Latex">The math that remains (may be empty).</param>
/// <param name="Percent">A <c>\%</c> / <c>%</c> / "percent" mark was removed.</param>
/// <param name="Degrees">A degree mark (<c>^\circ</c>, <c>°</c>) was removed.</param>
/// <param name="Text">The answer was a single text group (<c>\text{Evelyn}</c>): its normalised words.</param>
public readonly record struct CleanedAnswer(string Latex, bool Percent, bool Degrees, string? Text);

/// <summary>
/// Removes what does not change an answer's meaning before parsing: math delimiters, <c>\boxed</c>,
/// <c>\left</c>/<c>\right</c>, spacing commands, thousands separators, degree and percent marks, trailing
/// <c>\text{}</c> units and unit words, styling commands (<c>\mathbf</c>, <c>\textbf</c>, ...).
/// </summary>
public static partial class LatexCleaner
{
    static readonly string[] TextCommands = ["\\text", "\\textbf", "\\textit", "\\textrm", "\\textnormal", "\\mbox", "\\mathrm", "\\mathit", "\\textsf", "\\texttt"];
    static readonly string[] StyleCommands = ["\\mathbf", "\\boldsymbol", "\\bm", "\\vec", "\\overline", "\\overrightarrow", "\\bar", "\\hat", "\\mathbb", "\\mathcal", "\\operatorname", "\\underline"];

    /// <summary>Unit words dropped after a number (Minerva's list plus common SI/imperial units).</summary>
    static readonly HashSet<string> UnitWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "square", "sq", "ways", "integers", "dollars", "dollar", "mph", "inches", "inch", "in", "ft", "foot", "feet", "hours", "hour",
        "hrs", "hr", "km", "units", "unit", "points", "minutes", "minute", "min", "mins", "digits", "cents", "cent", "degrees",
        "degree", "cm", "mm", "m", "gm", "g", "kg", "pounds", "pound", "lbs", "lb", "meters", "meter", "metres", "meals",
        "edges", "students", "multiples", "seconds", "second", "sec", "s", "miles", "mile", "yards", "yard", "yd", "days",
        "day", "weeks", "years", "months", "people", "percent", "liters", "litres", "l", "ml", "gallons", "ounces", "oz",
        "tons", "grams", "calories", "times", "cubic", "per", "kilometers", "centimeters", "millimeters", "mi",
    };

    [GeneratedRegex(@"(\d),\\!\s*(?=\d{3})")] private static partial Regex CommaBangThousands();
    [GeneratedRegex(@"^-?\d{1,3}(,\d{3})+(\.\d+)?$")] private static partial Regex CommaThousands();
    [GeneratedRegex(@"^-?\d{1,3}( \d{3})+(\.\d+)?$")] private static partial Regex SpaceThousands();
    [GeneratedRegex(@"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ|°|\\degree")] private static partial Regex DegreeMark();
    [GeneratedRegex(@"\\%|%|\\text\{\s*percent\s*\}|\bpercent\b")] private static partial Regex PercentMark();
    // A row break "\\\\" is matched (and kept) first so its second backslash is never read as "\\ ".
    [GeneratedRegex(@"(\\\\)|\\(?:quad|qquad|enspace|thinspace|medspace|thickspace|hfill)\b|\\[,;:> ]|~")] private static partial Regex SpacingCommand();
    [GeneratedRegex(@"\\hspace\*?\{[^}]*\}")] private static partial Regex HSpace();
    [GeneratedRegex(@"\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|Biggl|Biggr|big|Big|bigg|Bigg)\b\s*\.?")] private static partial Regex SizeCommand();
    [GeneratedRegex(@"\\(?:displaystyle|textstyle|scriptstyle)\b")] private static partial Regex StyleCommand();
    [GeneratedRegex(@"\\[dtc]frac(?![A-Za-z])")] private static partial Regex FracVariant();
    [GeneratedRegex(@"\\[dt]binom(?![A-Za-z])")] private static partial Regex BinomVariant();
    [GeneratedRegex(@"\\(?:dots|ldots|cdots|dotsb|dotsc)\b")] private static partial Regex Dots();

    public static CleanedAnswer Clean(string raw)
    {
        var s = ReplaceUnicode(raw.Trim());
        s = UnwrapBoxes(s);
        s = RemoveMathDelimiters(s);
        s = s.Replace("{,}", "", StringComparison.Ordinal);
        s = CommaBangThousands().Replace(s, "$1");
        s = s.Replace("\\!", "", StringComparison.Ordinal);
        s = HSpace().Replace(s, " ");
        s = SpacingCommand().Replace(s, m => m.Groups[1].Success ? m.Value : " ");
        s = SizeCommand().Replace(s, "");
        s = StyleCommand().Replace(s, "");
        s = FracVariant().Replace(s, "\\frac");
        s = BinomVariant().Replace(s, "\\binom");
        s = Dots().Replace(s, "");

        bool degrees = false;
        var noDeg = DegreeMark().Replace(s, "");
        if (noDeg != s) { degrees = true; s = noDeg; }
        bool percent = false;
        var noPct = PercentMark().Replace(s, "");
        if (noPct != s) { percent = true; s = noPct; }

        s = s.Trim();
        string? text = WholeTextGroup(s);
        s = RemoveUnits(s);
        s = UnwrapCommands(s, TextCommands);
        s = UnwrapCommands(s, StyleCommands);
        s = StripTrailing(s);
        s = RemoveUnitWords(s);
        while (s.Length >= 2 && s[0] == '{' && BoxedAnswer.MatchBrace(s, 0) == s.Length - 1) s = s[1..^1].Trim();
        if (CommaThousands().IsMatch(s)) s = s.Replace(",", "", StringComparison.Ordinal);
        else if (SpaceThousands().IsMatch(s)) s = s.Replace(" ", "", StringComparison.Ordinal);
        return new CleanedAnswer(s, percent, degrees, text);
    }

    /// <summary>Words of a text answer in comparable form: lower case, no spaces, braces or <c>\text</c>, <c>(c)</c>→<c>c</c>.</summary>
    public static string NormalizeText(string t)
    {
        var sb = new StringBuilder();
        foreach (var ch in UnwrapCommands(t, TextCommands))
            if (!char.IsWhiteSpace(ch) && ch is not ('{' or '}' or '$' or '\\')) sb.Append(char.ToLowerInvariant(ch));
        var r = sb.ToString().TrimEnd('.');
        if (r.Length == 3 && r[0] == '(' && r[2] == ')') r = r[1..2];
        return r;
    }

    static string ReplaceUnicode(string s)
    {
        if (s.All(char.IsAscii)) return s;
        var sb = new StringBuilder(s.Length + 8);
        foreach (var ch in s)
        {
            sb.Append(ch switch
            {
                '\u2212' or '\u2013' or '\u2014' => "-",
                '\u00D7' => "\\times ",
                '\u00F7' => "\\div ",
                '\u00B7' or '\u22C5' => "\\cdot ",
                '\u2264' => "\\le ",
                '\u2265' => "\\ge ",
                '\u2260' => "\\ne ",
                '\u03C0' => "\\pi ",
                '\u221E' => "\\infty ",
                '\u221A' => "\\sqrt",
                '\u00A0' => " ",
                _ => ch.ToString(),
            });
        }
        return sb.ToString();
    }

    static string UnwrapBoxes(string s)
    {
        foreach (var cmd in new[] { "\\boxed", "\\fbox" })
        {
            int at;
            while ((at = s.IndexOf(cmd + "{", StringComparison.Ordinal)) >= 0)
            {
                int open = at + cmd.Length;
                int close = BoxedAnswer.MatchBrace(s, open);
                if (close < 0) { s = s.Remove(at, cmd.Length + 1); continue; }
                s = s[..at] + s[(open + 1)..close] + s[(close + 1)..];
            }
        }
        return s;
    }

    static string RemoveMathDelimiters(string s)
    {
        var sb = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c == '\\' && i + 1 < s.Length)
            {
                char n = s[i + 1];
                if (n is '(' or ')' or '[' or ']' or '$') { i++; continue; }
                sb.Append(c).Append(n);
                i++;
                continue;
            }
            if (c == '$') continue;
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>When the whole answer is one text group, its normalised words; else null.</summary>
    static string? WholeTextGroup(string s)
    {
        foreach (var cmd in TextCommands)
        {
            if (!s.StartsWith(cmd + "{", StringComparison.Ordinal)) continue;
            int close = BoxedAnswer.MatchBrace(s, cmd.Length);
            if (close == s.Length - 1 || (close > 0 && s[(close + 1)..].Trim() is "." or ""))
            {
                var words = NormalizeText(s[(cmd.Length + 1)..close]);
                return words.Length > 0 ? words : null;
            }
        }
        return null;
    }

    /// <summary>Drops text groups that follow some math (units such as <c>5\text{ cm}^2</c>) and turns "and"/"or" groups into commas.</summary>
    static string RemoveUnits(string s)
    {
        foreach (var cmd in TextCommands)
        {
            int from = 0;
            while (from < s.Length)
            {
                int at = s.IndexOf(cmd + "{", from, StringComparison.Ordinal);
                if (at < 0) break;
                int open = at + cmd.Length;
                int close = BoxedAnswer.MatchBrace(s, open);
                if (close < 0) break;
                var inner = s[(open + 1)..close].Trim();
                var lower = inner.ToLowerInvariant();
                int end = close + 1;
                if (lower is "and" or "or" or "," or "and/or" or ";")
                {
                    s = s[..at] + ", " + s[end..];
                    from = at + 2;
                    continue;
                }
                // a unit: letters (and spaces, dots, slashes) after some math
                bool wordy = inner.Length > 0 && inner.All(ch => char.IsLetter(ch) || ch is ' ' or '.' or '/' or '-');
                bool afterMath = s[..at].Any(char.IsLetterOrDigit);
                if (wordy && afterMath)
                {
                    // also a following ^2 / ^3 (square/cubic units)
                    var rest = s[end..];
                    var m = Regex.Match(rest, @"^\s*\^\s*\{?\s*[23]\s*\}?");
                    if (m.Success) end += m.Length;
                    s = s[..at].TrimEnd() + " " + s[end..];
                    from = at;
                    continue;
                }
                from = close;
            }
        }
        return s.Trim();
    }

    static string UnwrapCommands(string s, string[] commands)
    {
        foreach (var cmd in commands)
        {
            int from = 0;
            while (from < s.Length)
            {
                int at = s.IndexOf(cmd, from, StringComparison.Ordinal);
                if (at < 0) break;
                int open = at + cmd.Length;
                if (open < s.Length && char.IsAsciiLetter(s[open])) { from = open; continue; } // a longer command name
                while (open < s.Length && s[open] == ' ') open++;
                if (open >= s.Length || s[open] != '{')
                {
                    // \vec v, \mathbf A: drop the command, keep the single argument
                    s = s.Remove(at, open - at);
                    from = at;
                    continue;
                }
                int close = BoxedAnswer.MatchBrace(s, open);
                if (close < 0) break;
                s = s[..at] + s[(open + 1)..close] + s[(close + 1)..];
                from = at;
            }
        }
        return s;
    }

    static string StripTrailing(string s)
    {
        s = s.Trim();
        while (s.Length > 0 && (s[^1] is '.' or ',' or ';' or ':' || char.IsWhiteSpace(s[^1])))
        {
            if (s[^1] == '.' && s.Length >= 2 && s[^2] == '\\') break;
            s = s[..^1];
        }
        return s;
    }

    static string RemoveUnitWords(string s)
    {
        // "125 miles", "5 sq ft", "4 square units": drop trailing unit words that follow a number or a closing brace.
        while (true)
        {
            var m = Regex.Match(s, @"^(.*[\d}\)])\s*([A-Za-z]+)\s*(\^\s*\{?[23]\}?)?$", RegexOptions.Singleline);
            if (!m.Success || !UnitWords.Contains(m.Groups[2].Value)) return s;
            // a single letter directly after a digit is a variable (2k, 3x), not a unit
            if (m.Groups[2].Value.Length == 1 && !s[..m.Groups[2].Index].EndsWith(' ')) return s;
            s = m.Groups[1].Value.TrimEnd();
        }
    }
}
