namespace SharpLM.Tokenization;

/// <summary>
/// Applies the normalizer steps to one stretch of text. Gemma's single step (' ' → '▁') is a vectorized
/// character replace into a reused buffer.
/// </summary>
internal sealed class TextNormalizer
{
    readonly NormalizerStep[] _steps;

    public TextNormalizer(IReadOnlyList<NormalizerStep> steps, string source)
    {
        foreach (var s in steps)
            if (s is NormalizerStep.Replace { Pattern.Length: 0 })
                throw new SharpLMDataException(source, "normalizer Replace has an empty pattern");
        _steps = steps.ToArray();
    }

    public bool IsIdentity => _steps.Length == 0;

    /// <summary>The normalized form of <paramref name="text"/>; may return <paramref name="text"/> itself or a span of a scratch buffer.</summary>
    public ReadOnlySpan<char> Apply(ReadOnlySpan<char> text, EncoderScratch s)
    {
        if (_steps.Length == 0) return text;
        ReadOnlySpan<char> current = text;
        bool inFirst = false;   // which scratch buffer holds `current`
        foreach (var step in _steps)
        {
            char[] dst = inFirst ? Second(s, MaxLength(step, current.Length)) : s.TextBuffer(MaxLength(step, current.Length));
            int n = step switch
            {
                NormalizerStep.Replace r => Replace(current, dst, r.Pattern, r.Content),
                NormalizerStep.Prepend p => Prepend(current, dst, p.Text),
                _ => throw new InvalidOperationException(),
            };
            current = dst.AsSpan(0, n);
            inFirst = !inFirst;
        }
        return current;
    }

    /// <summary>The normalized form of a whole string (used for added tokens marked <c>normalized</c>).</summary>
    public string Apply(string text) => new(Apply(text.AsSpan(), new EncoderScratch()));

    static char[] Second(EncoderScratch s, int n)
    {
        if (s.Text2.Length < n) s.Text2 = new char[Math.Max(n, s.Text2.Length * 2)];
        return s.Text2;
    }

    static int MaxLength(NormalizerStep step, int length) => step switch
    {
        NormalizerStep.Replace r when r.Content.Length > r.Pattern.Length => length / r.Pattern.Length * r.Content.Length + length,
        NormalizerStep.Prepend p => length + p.Text.Length,
        _ => length,
    };

    static int Replace(ReadOnlySpan<char> src, char[] dst, string pattern, string content)
    {
        if (pattern.Length == 1 && content.Length == 1)
        {
            src.Replace(dst.AsSpan(0, src.Length), pattern[0], content[0]);
            return src.Length;
        }
        int n = 0;
        while (true)
        {
            int i = src.IndexOf(pattern.AsSpan());
            if (i < 0) break;
            src[..i].CopyTo(dst.AsSpan(n));
            n += i;
            content.AsSpan().CopyTo(dst.AsSpan(n));
            n += content.Length;
            src = src[(i + pattern.Length)..];
        }
        src.CopyTo(dst.AsSpan(n));
        return n + src.Length;
    }

    static int Prepend(ReadOnlySpan<char> src, char[] dst, string text)
    {
        if (src.IsEmpty) return 0;
        text.AsSpan().CopyTo(dst);
        src.CopyTo(dst.AsSpan(text.Length));
        return text.Length + src.Length;
    }
}
