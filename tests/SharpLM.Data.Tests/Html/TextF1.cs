using System.Globalization;
using System.Text;

namespace SharpLM.Data.Tests.Html;

/// <summary>
/// Token-level precision/recall/F1 of an extraction against a reference text (bags of tokens, clipped
/// counts). Tokens are runs of letters and digits, lower-cased; each CJK/kana/hangul character is a token of
/// its own (those scripts do not separate words with spaces). Markdown markup is punctuation and drops out.
/// </summary>
public static class TextF1
{
    public readonly record struct Score(double Precision, double Recall, double F1);

    public static Score Compute(string candidate, string reference)
    {
        var c = Count(candidate);
        var r = Count(reference);
        long overlap = 0, nc = 0, nr = 0;
        foreach (var (t, k) in c) { nc += k; if (r.TryGetValue(t, out var rk)) overlap += Math.Min(k, rk); }
        foreach (var (_, k) in r) nr += k;
        if (nc == 0 || nr == 0) return new Score(0, 0, 0);
        double p = (double)overlap / nc, rec = (double)overlap / nr;
        return new Score(p, rec, p + rec == 0 ? 0 : 2 * p * rec / (p + rec));
    }

    public static Dictionary<string, int> Count(string text)
    {
        var d = new Dictionary<string, int>(StringComparer.Ordinal);
        var sb = new StringBuilder();
        void Flush() { if (sb.Length > 0) { var t = sb.ToString(); d[t] = d.GetValueOrDefault(t) + 1; sb.Clear(); } }
        foreach (var rune in text.EnumerateRunes())
        {
            if (IsCjk(rune.Value)) { Flush(); var t = rune.ToString(); d[t] = d.GetValueOrDefault(t) + 1; continue; }
            if (Rune.IsLetterOrDigit(rune)) sb.Append(Rune.ToLowerInvariant(rune).ToString());
            else Flush();
        }
        Flush();
        return d;
    }

    static bool IsCjk(int cp) =>
        cp is >= 0x3040 and <= 0x30FF or >= 0x3400 and <= 0x4DBF or >= 0x4E00 and <= 0x9FFF or >= 0xAC00 and <= 0xD7AF
            or >= 0xF900 and <= 0xFAFF or >= 0x20000 and <= 0x2FFFF;

    public static string Format(double v) => v.ToString("F3", CultureInfo.InvariantCulture);
}
