using System.Text.Json;
using System.Text.RegularExpressions;
using SharpLM.Evaluation.Equivalence;

namespace SharpLM.Tests.Evaluation;

/// <summary>
/// The exact engine against sympy. Fixtures/sympy_oracle.jsonl holds ~1200 (gold, variant, equal) triples made by
/// Fixtures/make_sympy_oracle.py: MATH golds re-spelled by sympy's LaTeX printer (printed, expanded, simplified,
/// factored) or perturbed (+1, ×2, shifted variables), the verdict being lm-eval's Minerva rule
/// <c>simplify(parse(gold) − parse(variant)) == 0</c> computed by sympy 1.14.
/// </summary>
public class SympyOracleTests
{
    [Fact]
    public void AgreesWithSympyOnRespelledAndPerturbedGolds()
    {
        var disagreements = new List<string>();
        int n = 0;
        foreach (var line in File.ReadLines(Path.Combine(TestPaths.RepoRoot, "tests/SharpLM.Tests/Evaluation/Fixtures/sympy_oracle.jsonl")))
        {
            var c = JsonDocument.Parse(line).RootElement;
            var gold = c.GetProperty("gold").GetString()!;
            // sympy reads "6 \frac{3}{4}" as a product; MATH means the mixed number 6¾, which is how we read it
            if (Regex.IsMatch(gold, @"\d\s*\\[dt]?frac")) continue;
            var variant = c.GetProperty("variant").GetString()!;
            bool expected = c.GetProperty("equal").GetBoolean();
            n++;
            if (MathEquivalence.AreEquivalent(gold, variant) != expected) disagreements.Add($"{gold} | {variant} | sympy: {expected}");
        }
        Assert.True(n > 1000, $"{n} cases");
        Assert.Empty(disagreements);
    }
}
