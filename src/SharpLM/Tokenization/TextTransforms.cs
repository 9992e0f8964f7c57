namespace SharpLM.Tokenization;

/// <summary>One step of the normalizer (Hugging Face <c>normalizer</c>), applied in order to every stretch of text between added tokens.</summary>
internal abstract record NormalizerStep
{
    /// <summary><c>Replace</c> with a literal pattern: every occurrence of <paramref name="Pattern"/> becomes <paramref name="Content"/>.</summary>
    public sealed record Replace(string Pattern, string Content) : NormalizerStep;

    /// <summary><c>Prepend</c>: <paramref name="Text"/> is put before every non-empty stretch.</summary>
    public sealed record Prepend(string Text) : NormalizerStep;
}

/// <summary>How a <c>Split</c> pre-tokenizer treats the delimiter (Hugging Face <c>SplitDelimiterBehavior</c>).</summary>
internal enum SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous }

/// <summary>A <c>Split</c> pre-tokenizer on a literal pattern: the normalized text is cut into words that BPE encodes one by one.</summary>
internal sealed record SplitRule(string Pattern, SplitBehavior Behavior);

/// <summary>One step of the decoder (Hugging Face <c>decoder</c>).</summary>
internal abstract record DecoderStep
{
    /// <summary>Every occurrence of <paramref name="Pattern"/> in a token's text becomes <paramref name="Content"/>.</summary>
    public sealed record Replace(string Pattern, string Content) : DecoderStep;

    /// <summary>Runs of <c>&lt;0xNN&gt;</c> tokens become the bytes they name (U+FFFD per byte when not valid UTF-8).</summary>
    public sealed record ByteFallback : DecoderStep;

    /// <summary>Joins all token texts into one (decoded text is joined without separators anyway).</summary>
    public sealed record Fuse : DecoderStep;

    /// <summary>Removes up to <paramref name="Start"/> leading and <paramref name="Stop"/> trailing <paramref name="Content"/> characters.</summary>
    public sealed record Strip(char Content, int Start, int Stop) : DecoderStep;
}
