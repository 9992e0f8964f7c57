namespace SharpLM.Evaluation.Perplexity;

/// <summary>
/// One model call of a strided perplexity pass over a sequence S = [BOS] + tokens: the input is
/// S[<see cref="Begin"/>..<see cref="End"/>) and only targets S[p] with p in [<see cref="FirstTarget"/>, End) are
/// counted, so every token is scored exactly once and each with as much left context as the window allows.
/// </summary>
public readonly record struct PerplexityWindow(int Begin, int End, int FirstTarget)
{
    /// <summary>
    /// The windows of HF's strided perplexity (and lm-eval's rolling windows when stride = length): windows of
    /// <paramref name="length"/> positions starting every <paramref name="stride"/>, the last one ending at the
    /// sequence end. Position 0 (BOS, or the first token without one) is context only.
    /// </summary>
    public static List<PerplexityWindow> Plan(int sequenceLength, int length, int stride)
    {
        if (length < 2) throw new ArgumentOutOfRangeException(nameof(length), "a window needs at least 2 positions");
        if (stride < 1 || stride > length) throw new ArgumentOutOfRangeException(nameof(stride), "stride must be in 1..window");
        var plan = new List<PerplexityWindow>();
        int scoredUpTo = 1;
        for (int begin = 0; scoredUpTo < sequenceLength; begin += stride)
        {
            int end = Math.Min(begin + length, sequenceLength);
            int first = Math.Max(scoredUpTo, begin + 1);
            if (first < end) plan.Add(new PerplexityWindow(begin, end, first));
            scoredUpTo = end;
        }
        return plan;
    }
}
