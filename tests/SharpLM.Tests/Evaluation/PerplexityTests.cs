using SharpLM.Evaluation.Backends;
using SharpLM.Evaluation.Perplexity;

namespace SharpLM.Tests.Evaluation;

/// <summary>A character-level "model" with hand-chosen probabilities so perplexities can be derived by hand.</summary>
sealed class CharModel(int context, Func<int, int, double> logProb, int? bos = 0) : ITokenLogProbSource
{
    public List<int[]> Calls { get; } = [];
    public string Description => "char model";
    public int ContextLength => context;
    public int? BosToken => bos;
    public int[] Tokenize(string text) => text.Select(c => (int)c).ToArray();

    /// <summary>logProbs[i] = logProb(position of the target inside the window, target token).</summary>
    public void LogProbs(ReadOnlySpan<int> tokens, Span<double> logProbs, CancellationToken cancellation)
    {
        Calls.Add(tokens.ToArray());
        for (int i = 0; i + 1 < tokens.Length; i++) logProbs[i] = logProb(i + 1, tokens[i + 1]);
    }

    public void Dispose() { }
}

public class PerplexityTests
{
    [Fact]
    public void WindowPlanCoversEveryTokenOnce()
    {
        // S = BOS + 9 tokens (length 10), windows of 4 every 2: [0,4) scores 1..3, [2,6) 4..5, [4,8) 6..7, [6,10) 8..9
        var plan = PerplexityWindow.Plan(10, 4, 2);
        Assert.Equal([new(0, 4, 1), new(2, 6, 4), new(4, 8, 6), new(6, 10, 8)], plan);
        // stride = window: lm-eval's rolling windows, one token of context carried over so no token goes unscored
        var rolling = PerplexityWindow.Plan(10, 4, 4);
        Assert.Equal([new(0, 4, 1), new(3, 7, 4), new(6, 10, 7)], rolling);
        Assert.Equal([new PerplexityWindow(0, 3, 1)], PerplexityWindow.Plan(3, 8, 8));
        Assert.Empty(PerplexityWindow.Plan(1, 8, 8));
    }

    [Fact]
    public void ConstantProbabilityGivesExactFigures()
    {
        // every token has probability 1/2: perplexity 2; NLL = n ln 2; bits per byte = n / bytes
        var model = new CharModel(64, (pos, tok) => -Math.Log(2));
        var docs = new[] { new PerplexityDocument(0, "hello world"), new PerplexityDocument(1, "añb") }; // ñ is 2 UTF-8 bytes
        var r = PerplexityEvaluator.Evaluate(model, docs, 64, 64, null, "k");
        Assert.Equal(11 + 3, r.Tokens);
        Assert.Equal(11 + 4, r.Bytes);
        Assert.Equal(2 + 1, r.Words);
        Assert.Equal(2.0, r.Perplexity, 12);
        Assert.Equal(14.0 / 15.0, r.BitsPerByte, 12);
        Assert.Equal(Math.Exp(14 * Math.Log(2) / 3), r.WordPerplexity, 9);
    }

    [Fact]
    public void StridedWindowsScoreEachTokenWithItsWindowContext()
    {
        // log p = -(1 / position-in-window): more context, closer to certainty
        var model = new CharModel(64, (pos, tok) => -1.0 / pos);
        var docs = new[] { new PerplexityDocument(0, "abcdefghi") };      // 9 tokens + BOS
        var r = PerplexityEvaluator.Evaluate(model, docs, 4, 2, null, "k");
        // plan [0,4) targets 1,2,3 at window positions 1,2,3; [2,6) targets 4,5 at positions 2,3; [4,8) 6,7 at 2,3; [6,10) 8,9 at 2,3
        double expected = (1 + 1 / 2.0 + 1 / 3.0) + 3 * (1 / 2.0 + 1 / 3.0);
        Assert.Equal(expected, r.NegativeLogLikelihood, 12);
        Assert.Equal(9, r.Tokens);
        Assert.Equal(4, r.Windows);
        Assert.Equal([0, 'a', 'b', 'c'], model.Calls[0]);
        Assert.Equal(['b', 'c', 'd', 'e'], model.Calls[1]);
    }

    [Fact]
    public void WithoutBosTheFirstTokenIsContextOnly()
    {
        var model = new CharModel(64, (pos, tok) => -1.0, bos: null);
        var r = PerplexityEvaluator.Evaluate(model, [new PerplexityDocument(0, "abcd")], 8, 8, null, "k");
        Assert.Equal(3, r.Tokens);
        Assert.Equal(3.0, r.NegativeLogLikelihood, 12);
    }

    [Fact]
    public void ResumesFromFinishedWindows()
    {
        var path = Path.Combine(TestPaths.NewTempDir("eval-ppl"), "p.samples.jsonl");
        var docs = new[] { new PerplexityDocument(0, new string('x', 40)) };
        var first = new CharModel(64, (pos, tok) => -0.5);
        var r1 = PerplexityEvaluator.Evaluate(first, docs, 8, 8, path, "run-a", maxWindows: 3);
        Assert.Equal(3, first.Calls.Count);
        var second = new CharModel(64, (pos, tok) => -0.5);
        var r2 = PerplexityEvaluator.Evaluate(second, docs, 8, 8, path, "run-a");
        Assert.Equal(r2.Windows - 3, second.Calls.Count);                    // the first three windows were not recomputed
        var fresh = PerplexityEvaluator.Evaluate(new CharModel(64, (pos, tok) => -0.5), docs, 8, 8, null, "x");
        Assert.Equal(fresh.NegativeLogLikelihood, r2.NegativeLogLikelihood, 12);
        Assert.Equal(fresh.Bytes, r2.Bytes);
        Assert.True(r1.Bytes < r2.Bytes);                                     // --limit counts only the scored text's bytes
        var e = Assert.Throws<SharpLMDataException>(() => PerplexityEvaluator.Evaluate(second, docs, 8, 8, path, "run-b"));
        Assert.Contains("other settings", e.Message);
    }

    [Fact]
    public void WordCountFollowsLmEval() => Assert.Equal(3, PerplexityEvaluator.WordCount(" a b"));  // re.split gives ['', 'a', 'b']
}
