namespace SharpLM.Evaluation.Perplexity;

/// <summary>
/// One model call of a strided perplexity pass over a sequence S = [BOS] + tokens: the input is
/// S[<see cref="Begin"/>..<see cref="End"/>) and only targets S[p] with p in [<see cref="FirstTarget"/>, End) are
/// counted, so every token is scored exactly once and each with as much left context as the window allows.
/// </summary>
public readonly record struct PerplexityWindow(int Begin, int End, int FirstTarget)
{
    /// <summary>
    /// The windows of a strided perplexity pass: the first window is S[0..length) and scores positions 1..length−1;
    /// each next window ends <c>step</c> positions later, keeps <c>length − step</c> positions of context and scores
    /// the <c>step</c> new ones, the last ending at the sequence end. <c>step</c> is the stride, at most
    /// <paramref name="length"/> − 1, so stride = length gives lm-eval's rolling windows (one token of context
    /// carried over, every token scored) and a smaller stride gives HF's overlapping windows with more context.
    /// Position 0 (BOS, or the first token without one) is context only.
    /// </summary>
    public static List<PerplexityWindow> Plan(int sequenceLength, int length, int stride)
    {
        if (length < 2) throw new ArgumentOutOfRangeException(nameof(length), "a window needs at least 2 positions");
        if (stride < 1 || stride > length) throw new ArgumentOutOfRangeException(nameof(stride), "stride must be in 1..window");
        int step = Math.Min(stride, length - 1);
        var plan = new List<PerplexityWindow>();
        int end = Math.Min(length, sequenceLength), first = 1;
        while (first < sequenceLength)
        {
            plan.Add(new PerplexityWindow(Math.Max(0, end - length), end, first));
            first = end;
            end = Math.Min(end + step, sequenceLength);
        }
        return plan;
    }
}
