using SharpLM.Evaluation.Answers;
using SharpLM.Evaluation.Data;
using SharpLM.Evaluation.Equivalence;

namespace SharpLM.Tests.Evaluation;

/// <summary>The equivalence engine on the real MATH files: independent golds agree, every gold parses, nothing throws.</summary>
public class MathEquivalenceRealDataTests
{
    static readonly IReadOnlyList<MathProblem> Math500 = EvalDataLoader.LoadMath(TestPaths.Shared("math/math500_test.jsonl"));
    static readonly IReadOnlyList<MathProblem> MathTest = EvalDataLoader.LoadMath(TestPaths.Shared("math/test.jsonl"));

    [Fact]
    public void Math500AnswerFieldIsEquivalentToTheBoxedAnswerOfItsSolution()
    {
        // Two spellings of the same gold written independently by the dataset (e.g. "10,\!080" vs "10080",
        // "\frac 59" vs "\frac{5}{9}"): all 500 must be judged equivalent.
        var disagreements = Math500
            .Where(p => !MathEquivalence.AreEquivalent(p.Answer, BoxedAnswer.LastBoxedContent(p.Solution)!))
            .Select(p => p.Answer).ToList();
        Assert.Empty(disagreements);
    }

    [Fact]
    public void EveryMathTestGoldParses()
    {
        var unparsed = MathTest.Where(p => MathEquivalence.Parse(p.Answer) is null).Select(p => p.Answer).ToList();
        Assert.Empty(unparsed);
    }

    [Fact]
    public void AGoldPlusOneIsNeverEquivalent()
    {
        int checkedCount = 0;
        foreach (var p in Math500)
        {
            if (MathEquivalence.Parse(p.Answer) is not ExprValue) continue;
            checkedCount++;
            Assert.False(MathEquivalence.AreEquivalent(p.Answer, "(" + p.Answer + ")+1"), p.Answer);
        }
        Assert.True(checkedCount > 350, $"only {checkedCount} scalar golds");
    }

    [Fact]
    public void RandomSlicesOfRealSolutionsNeverThrow()
    {
        // Malformed LaTeX of every kind: cut real solutions at random places (fixed seed) and compare the pieces.
        var rng = new Random(1234);
        for (int k = 0; k < 1500; k++)
        {
            var a = Slice(MathTest[rng.Next(MathTest.Count)].Solution, rng);
            var b = Slice(MathTest[rng.Next(MathTest.Count)].Solution, rng);
            MathEquivalence.AreEquivalent(a, b);
            MathEquivalence.AreEquivalent(a, a);
        }
    }

    static string Slice(string s, Random rng)
    {
        int start = rng.Next(s.Length);
        int len = Math.Min(s.Length - start, rng.Next(1, 60));
        return s.Substring(start, len);
    }
}

/// <summary>Scoring real reference solutions as if a model had written them.</summary>
public class ReferenceSolutionScoringTests
{
    [Fact]
    public void EveryMathReferenceSolutionScoresAsCorrect()
    {
        var all = EvalDataLoader.LoadMath(TestPaths.Shared("math/test.jsonl"));
        var wrong = all.Where(p => !SharpLM.Evaluation.Tasks.MathTask.ScoreAnswer(p.Answer, p.Solution, p.Solution).Correct)
            .Select(p => $"{p.Index}: {p.Answer}").ToList();
        Assert.Empty(wrong);
    }

    [Fact]
    public void MinervaStyleAnswersWithAFinalLineScoreAsCorrect()
    {
        // what a model imitating the 4 Minerva exemplars writes: the solution, then the "Final Answer" line
        var m500 = EvalDataLoader.LoadMath(TestPaths.Shared("math/math500_test.jsonl"));
        var wrong = m500.Where(p => !SharpLM.Evaluation.Tasks.MathTask.ScoreAnswer(p.Answer, p.Solution,
                p.Solution + $"\nFinal Answer: The final answer is ${p.Answer}$. I hope it is correct.").Correct)
            .Select(p => p.Answer).ToList();
        Assert.Empty(wrong);
    }
}
