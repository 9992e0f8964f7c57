namespace SharpLM.Data.Text;

/// <summary>
/// Splits text into lower-case word tokens for features, MinHash shingles and decontamination: runs of
/// letters or digits; with <c>keepMath</c>, also LaTeX commands (<c>\frac</c>) and single math symbols
/// (<c>= + ^ _ &lt; &gt;</c> …) as tokens of their own, so that formulas contribute to classifier features.
/// </summary>
public static class WordTokenizer
{
    const string MathSymbols = "=+-*/^_<>|!()[]{}%∑∫√π≤≥≠±×÷∞∂∈∀∃→⇒≈";

    /// <summary>Calls <paramref name="onToken"/> for each token of <paramref name="text"/>, at most <paramref name="maxTokens"/>.</summary>
    public static int Tokenize(ReadOnlySpan<char> text, Action<string> onToken, bool keepMath = false, int maxTokens = int.MaxValue)
    {
        int count = 0, i = 0;
        Span<char> lower = stackalloc char[64];
        while (i < text.Length && count < maxTokens)
        {
            char c = text[i];
            if (char.IsLetterOrDigit(c))
            {
                int start = i;
                while (i < text.Length && char.IsLetterOrDigit(text[i])) i++;
                var word = text[start..i];
                if (word.Length <= lower.Length)
                {
                    int n = word.ToLowerInvariant(lower);
                    onToken(new string(lower[..n]));
                }
                else onToken(word.ToString().ToLowerInvariant());
                count++;
            }
            else if (keepMath && c == '\\' && i + 1 < text.Length && char.IsAsciiLetter(text[i + 1]))
            {
                int start = i++;
                while (i < text.Length && char.IsAsciiLetter(text[i])) i++;
                onToken(text[start..i].ToString());
                count++;
            }
            else
            {
                if (keepMath && MathSymbols.Contains(c)) { onToken(c.ToString()); count++; }
                i++;
            }
        }
        return count;
    }

    /// <summary>The tokens as a list (convenience for tests and small texts).</summary>
    public static List<string> Words(string text, bool keepMath = false, int maxTokens = int.MaxValue)
    {
        var list = new List<string>();
        Tokenize(text, list.Add, keepMath, maxTokens);
        return list;
    }
}
