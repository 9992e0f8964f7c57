using System.Globalization;
using System.Text.RegularExpressions;

namespace SharpLM.Data.Annotation;

/// <summary>
/// Reads the score out of a rubric completion: the text after the last <c>Final score:</c> (any case), its
/// last integer, clamped to 0..max (spec Part 1 step 7). Null when there is no marker or no integer after it.
/// </summary>
public static partial class ScoreParser
{
    [GeneratedRegex(@"final\s+score\s*:", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Marker();

    [GeneratedRegex(@"-?\d+")]
    private static partial Regex Integer();

    public static int? Parse(string completion, int maxScore)
    {
        var markers = Marker().Matches(completion);
        if (markers.Count == 0) return null;
        var tail = completion[(markers[^1].Index + markers[^1].Length)..];
        var numbers = Integer().Matches(tail);
        if (numbers.Count == 0) return null;
        var text = numbers[^1].Value;
        // Huge digit strings clamp like any other out-of-range number.
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v)) v = text.StartsWith('-') ? long.MinValue : long.MaxValue;
        return (int)Math.Clamp(v, 0, maxScore);
    }
}
