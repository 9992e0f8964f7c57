namespace SharpLM.Evaluation.Answers;

/// <summary>
/// The MATH answer normaliser of Hendrycks et al. as lighteval ships it (<c>math_normalizer</c> in
/// <c>lighteval/metrics/normalizations.py</c>), step for step, so <c>quasi_exact_match_math</c> scores match.
/// </summary>
/// <remarks>
/// Steps: take the last <c>\boxed{}</c>/<c>\fbox{}</c> (lighteval's own brace scan) and unwrap it — no box
/// gives the empty string; drop newlines and <c>\!</c>; <c>\\</c>→<c>\</c>; <c>tfrac</c>/<c>dfrac</c>→<c>frac</c>;
/// drop <c>\left</c>, <c>\right</c>, degree marks, <c>\$</c>; cut from the first <c>\text{ </c> (units); drop
/// <c>\%</c>; <c>" ."</c>→<c>" 0."</c>, <c>"{."</c>→<c>"{0."</c>, leading "." gets a 0; <c>k=rhs</c> with a left
/// side of at most 2 characters keeps rhs; <c>\sqrt3</c>→<c>\sqrt{3}</c>; remove spaces; <c>\frac12</c>→
/// <c>\frac{1}{2}</c>; <c>0.5</c>→<c>\frac{1}{2}</c>; integer <c>a/b</c>→<c>\frac{a}{b}</c>. Where the Python
/// would raise (a trailing <c>\sqrt</c> or <c>\frac</c>) the text is left as it was.
/// </remarks>
public static class HendrycksNormalizer
{
    public static string Normalize(string text)
    {
        text = RemoveBoxed(LastBoxedOnlyString(text));

        text = text.Replace("\n", "").Replace("\\!", "").Replace("\\\\", "\\")
            .Replace("tfrac", "frac").Replace("dfrac", "frac")
            .Replace("\\left", "").Replace("\\right", "")
            .Replace("^{\\circ}", "").Replace("^\\circ", "")
            .Replace("\\$", "");

        int units = text.IndexOf("\\text{ ", StringComparison.Ordinal);
        if (units >= 0) text = text[..units].TrimEnd();

        text = text.Replace("\\%", "").Replace(" .", " 0.").Replace("{.", "{0.");
        if (text.Length == 0) return text;
        if (text[0] == '.') text = "0" + text;

        var sides = text.Split('=');
        if (sides.Length == 2 && sides[0].Length <= 2) text = sides[1];

        text = FixSqrt(text);
        text = text.Replace(" ", "");
        text = FixFracs(text);
        if (text == "0.5") text = "\\frac{1}{2}";
        text = FixASlashB(text);
        return text;
    }

    /// <summary>lighteval's <c>_last_boxed_only_string</c>: last <c>\boxed</c> (else <c>\fbox</c>) up to the brace that balances.</summary>
    internal static string? LastBoxedOnlyString(string text)
    {
        int idx = text.LastIndexOf("\\boxed", StringComparison.Ordinal);
        if (idx < 0)
        {
            idx = text.LastIndexOf("\\fbox", StringComparison.Ordinal);
            if (idx < 0) return null;
        }
        int open = 0;
        for (int i = idx; i < text.Length; i++)
        {
            if (text[i] == '{') open++;
            if (text[i] == '}')
            {
                open--;
                if (open == 0) return text[idx..(i + 1)];
            }
        }
        return null;
    }

    static string RemoveBoxed(string? text)
    {
        if (text is null) return "";
        if (text.Contains("\\boxed ", StringComparison.Ordinal))
            return text.StartsWith("\\boxed ", StringComparison.Ordinal) ? text["\\boxed ".Length..] : "";
        const string left = "\\boxed{";
        return text.StartsWith(left, StringComparison.Ordinal) && text.EndsWith('}') ? text[left.Length..^1] : "";
    }

    static string FixSqrt(string text)
    {
        if (!text.Contains("\\sqrt", StringComparison.Ordinal)) return text;
        var splits = text.Split("\\sqrt");
        var sb = new System.Text.StringBuilder(splits[0]);
        foreach (var split in splits.Skip(1))
        {
            if (split.Length == 0) return text; // Python raises IndexError here; leave the text as it was
            if (split[0] != '{') sb.Append("\\sqrt{").Append(split[0]).Append('}').Append(split, 1, split.Length - 1);
            else sb.Append("\\sqrt").Append(split);
        }
        return sb.ToString();
    }

    static string FixFracs(string text)
    {
        var substrs = text.Split("\\frac");
        var sb = new System.Text.StringBuilder(substrs[0]);
        foreach (var substr in substrs.Skip(1))
        {
            sb.Append("\\frac");
            if (substr.Length == 0) return text; // Python raises IndexError; unchanged
            if (substr[0] == '{') { sb.Append(substr); continue; }
            if (substr.Length < 2) return text;
            char a = substr[0], b = substr[1];
            if (b != '{') sb.Append('{').Append(a).Append("}{").Append(b).Append('}').Append(substr, 2, substr.Length - 2);
            else sb.Append('{').Append(a).Append('}').Append(b).Append(substr, 2, substr.Length - 2);
        }
        return sb.ToString();
    }

    static string FixASlashB(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 2) return text;
        // Python: int(a), int(b) then text == "{}/{}".format(a, b) — canonical integers only.
        if (!IsCanonicalInt(parts[0]) || !IsCanonicalInt(parts[1])) return text;
        return "\\frac{" + parts[0] + "}{" + parts[1] + "}";
    }

    static bool IsCanonicalInt(string s)
    {
        var t = s.StartsWith('-') ? s[1..] : s;
        if (t.Length == 0 || !t.All(char.IsAsciiDigit)) return false;
        return t == "0" ? s == "0" : t[0] != '0';
    }
}
