namespace SharpLM.Data.Filters;

/// <summary>
/// Document-level quality rules on extracted text; <see cref="Check"/> returns null to keep or the reason to
/// drop (<c>too_short</c>, <c>too_long</c>, <c>too_few_words</c>, <c>too_many_accented</c>, <c>word_length</c>,
/// <c>few_alpha_words</c>, <c>duplicate_lines</c>, <c>bullet_lines</c>, <c>ellipsis_lines</c>).
/// </summary>
public static class QualityHeuristics
{
    public static string? Check(string text, QualityOptions o)
    {
        if (text.Length < o.MinChars) return "too_short";
        if (text.Length > o.MaxChars) return "too_long";

        int letters = 0, accented = 0;
        foreach (var c in text)
        {
            if (!char.IsLetter(c)) continue;
            letters++;
            if (c is >= '\u00C0' and <= '\u024F') accented++; // Latin-1 supplement and Latin extended letters
        }
        if (letters > 0 && (double)accented / letters > o.MaxAccentedFraction) return "too_many_accented";

        int words = 0, alphaWords = 0;
        long wordChars = 0;
        foreach (var w in text.Split((char[])[' ', '\n', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries))
        {
            words++;
            wordChars += w.Length;
            foreach (var c in w) if (char.IsLetter(c)) { alphaWords++; break; }
        }
        if (words < o.MinWords) return "too_few_words";
        double meanLength = (double)wordChars / words;
        if (meanLength < o.MinMeanWordLength || meanLength > o.MaxMeanWordLength) return "word_length";
        if ((double)alphaWords / words < o.MinAlphaWordFraction) return "few_alpha_words";

        var lines = text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        if (lines.Length > 0)
        {
            // Only lines of two or more words count: "$$", "\end{align*}" or "}" repeat in any formula-rich page.
            var wordy = lines.Where(l => l.Contains(' ')).ToArray();
            int duplicates = wordy.Length - wordy.Distinct(StringComparer.Ordinal).Count();
            if (wordy.Length > 0 && (double)duplicates / wordy.Length > o.MaxDuplicateLineFraction) return "duplicate_lines";
            int bullets = lines.Count(l => l[0] is '•' or '-' or '*' or '·' or '‣' or '▪');
            if (lines.Length >= 5 && (double)bullets / lines.Length > o.MaxBulletLineFraction) return "bullet_lines";
            int ellipsis = lines.Count(l => l.EndsWith("...", StringComparison.Ordinal) || l.EndsWith('…'));
            if (lines.Length >= 5 && (double)ellipsis / lines.Length > o.MaxEllipsisLineFraction) return "ellipsis_lines";
        }
        return null;
    }
}
