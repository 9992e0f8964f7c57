using System.Text;

namespace SharpLM.Data.Tests.Html;

/// <summary>The formulas of an extracted text, in order: <c>$$…$$</c> (display) and <c>$…$</c> (inline), <c>\$</c> skipped.</summary>
public static class FormulaList
{
    public readonly record struct Formula(string Tex, bool Display);

    public static List<Formula> Parse(string text)
    {
        var list = new List<Formula>();
        int i = 0;
        while (i < text.Length)
        {
            if (text[i] == '\\') { i += 2; continue; }
            if (text[i] != '$') { i++; continue; }
            bool display = i + 1 < text.Length && text[i + 1] == '$';
            string close = display ? "$$" : "$";
            int start = i + close.Length;
            int j = start;
            while (j < text.Length)
            {
                if (text[j] == '\\') { j += 2; continue; }
                if (string.CompareOrdinal(text, j, close, 0, close.Length) == 0) break;
                j++;
            }
            if (j >= text.Length) break;
            list.Add(new Formula(text[start..j], display));
            i = j + close.Length;
        }
        return list;
    }

    /// <summary>TeX with all whitespace removed: the form formulas are compared in.</summary>
    public static string Normalize(string tex)
    {
        var sb = new StringBuilder(tex.Length);
        foreach (char c in tex) if (!char.IsWhiteSpace(c)) sb.Append(c);
        return sb.ToString();
    }
}
