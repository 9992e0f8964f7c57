using SharpLM.Models.Gemma3;

namespace SharpLM.Generation;

/// <summary>
/// A prompt prefix run once and kept in its own session, so prompts that start with it (few-shot prompts
/// sharing the same examples) continue from a copy of its cache instead of running it again
/// (<see cref="Gemma3Session.CopyFrom"/>).
/// </summary>
public sealed class SharedPrefix : IDisposable
{
    /// <summary>The prefix's tokens (BOS included when the prompts have it).</summary>
    public int[] Tokens { get; }
    /// <summary>The session that ran <see cref="Tokens"/>; its cache is what prompts copy.</summary>
    public Gemma3Session Session { get; }

    SharedPrefix(int[] tokens, Gemma3Session session)
    {
        Tokens = tokens;
        Session = session;
    }

    /// <summary>Runs <paramref name="tokens"/> once (no logits needed) and keeps the result.</summary>
    public static SharedPrefix Run(Gemma3Model model, int[] tokens, EmbedScaleMode embedScale)
    {
        if (tokens.Length == 0) throw new ArgumentException("empty prefix", nameof(tokens));
        var session = model.CreateSession(tokens.Length, embedScale);
        session.Forward(tokens, default);
        return new SharedPrefix(tokens, session);
    }

    /// <summary>True when <paramref name="prompt"/> starts with the prefix and has at least one token after it
    /// (the last prompt token must run to give the first logits).</summary>
    public bool Covers(ReadOnlySpan<int> prompt) =>
        prompt.Length > Tokens.Length && prompt[..Tokens.Length].SequenceEqual(Tokens);

    /// <summary>
    /// The prefix worth sharing among <paramref name="prompts"/>: the token prefix P that maximises the tokens
    /// saved, (prompts covered by P − 1) × |P|, where a prompt is covered when it is longer than P and starts
    /// with it. Prompts sorted lexicographically put every group sharing a prefix next to each other, so the
    /// best P is the largest rectangle under the neighbours' common-prefix lengths (one pass with a stack).
    /// Returns null when no prefix of at least <paramref name="minLength"/> tokens is shared by two prompts.
    /// </summary>
    public static int[]? Find(IReadOnlyList<int[]> prompts, int minLength)
    {
        if (prompts.Count < 2) return null;
        var order = Enumerable.Range(0, prompts.Count).ToArray();
        Array.Sort(order, (a, b) => prompts[a].AsSpan().SequenceCompareTo(prompts[b]));
        // lcp[i]: usable common prefix of sorted prompts i and i+1 (each must keep one token after it).
        var lcp = new int[order.Length - 1];
        for (int i = 0; i < lcp.Length; i++)
        {
            var a = prompts[order[i]];
            var b = prompts[order[i + 1]];
            int n = a.AsSpan().CommonPrefixLength(b);
            lcp[i] = Math.Min(n, Math.Min(a.Length, b.Length) - 1);
        }
        long bestSaved = 0;
        int bestLength = 0, bestAt = -1;
        var stack = new Stack<(int Start, int Height)>();
        for (int i = 0; i <= lcp.Length; i++)
        {
            int h = i < lcp.Length ? lcp[i] : 0, start = i;
            while (stack.Count > 0 && stack.Peek().Height >= h)
            {
                var (s, height) = stack.Pop();
                // lcp[s..i-1] ≥ height: sorted prompts s … i share `height` tokens; i − s + 1 prompts, i − s saved runs.
                long saved = (long)height * (i - s);
                if (height >= minLength && saved > bestSaved) { bestSaved = saved; bestLength = height; bestAt = order[s]; }
                start = s;
            }
            stack.Push((start, h));
        }
        return bestAt < 0 ? null : prompts[bestAt][..bestLength];
    }

    public void Dispose() => Session.Dispose();
}
