using System.Security.Cryptography;
using System.Text;
using SharpLM.Evaluation.Data;
using SharpLM.Evaluation.Tasks;

namespace SharpLM.Tests.Evaluation;

/// <summary>
/// Prompt bytes. The SHA-256 values were computed by CPython from the real data with lighteval's prompt rules
/// (PromptManager._prepare_plain_text + random.Random(42) as in LightevalTask.get_docs) and from lm-eval's
/// minerva_math utils.py doc_to_text (the version with the raw PROMPT string), run unchanged.
/// </summary>
public class TaskPromptTests
{
    static readonly IReadOnlyList<Gsm8kProblem> Gsm8kTest = EvalDataLoader.LoadGsm8k(TestPaths.Shared("gsm8k/test.jsonl"));
    static readonly IReadOnlyList<Gsm8kProblem> Gsm8kTrain = EvalDataLoader.LoadGsm8k(TestPaths.Shared("gsm8k/train.jsonl"));
    static readonly IReadOnlyList<MathProblem> Math500 = EvalDataLoader.LoadMath(TestPaths.Shared("math/math500_test.jsonl"));

    static string Sha(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)));

    [Fact]
    public void Gsm8kPromptsAreByteIdenticalToLighteval()
    {
        var task = Gsm8kTask.Create(Gsm8kTest, Gsm8kTrain, new TaskOptions(Limit: 2));
        Assert.Equal(588, task.Samples[0].Index);
        Assert.Equal("f78d2409c5fd0cf92d7c74c80ec7a8bd0e79efd5885949decad1e667b8b290dc", Sha(task.Samples[0].Prompt));
        Assert.Equal(3255, task.Samples[0].Prompt.Length);
        Assert.Equal(1214, task.Samples[1].Index);
        Assert.Equal("d6a9901408f70fd2fcbfce5f5d0cfad774e05e72ffa1c91d64e38f59a5c211ee", Sha(task.Samples[1].Prompt));
        Assert.Equal(["Question:"], task.StopSequences);
        Assert.Equal(256, task.DefaultMaxTokens);
    }

    [Fact]
    public void Gsm8kPromptShape()
    {
        var task = Gsm8kTask.Create(Gsm8kTest, Gsm8kTrain, new TaskOptions(Shots: 2, Limit: 5));
        Assert.Equal(5, task.Samples.Count);
        foreach (var s in task.Samples)
        {
            var parts = s.Prompt.Split("\n\nQuestion: ");
            Assert.Equal(3, parts.Length);                             // 2 shots + the query
            Assert.StartsWith("Question: ", s.Prompt);
            Assert.EndsWith("\nAnswer:", s.Prompt);
            Assert.Contains("\nAnswer: ", parts[0]);                   // " " + gold.strip() after the shot's query
            Assert.Contains("#### ", parts[0]);
            Assert.Equal(Gsm8kTest.First(p => p.Index == s.Index).FinalAnswer, s.Gold);
        }
        var zero = Gsm8kTask.Create(Gsm8kTest, null, new TaskOptions(Shots: 0, Limit: 1));
        Assert.Equal($"Question: {Gsm8kTest[zero.Samples[0].Index].Question}\nAnswer:", zero.Samples[0].Prompt);
    }

    [Fact]
    public void SeedChangesOrderAndShotsButStaysDeterministic()
    {
        var a = Gsm8kTask.Create(Gsm8kTest, Gsm8kTrain, new TaskOptions(Seed: 7, Limit: 20));
        var b = Gsm8kTask.Create(Gsm8kTest, Gsm8kTrain, new TaskOptions(Seed: 7, Limit: 20));
        var c = Gsm8kTask.Create(Gsm8kTest, Gsm8kTrain, new TaskOptions(Seed: 42, Limit: 20));
        Assert.Equal(a.Samples.Select(s => s.Prompt), b.Samples.Select(s => s.Prompt));
        Assert.NotEqual(a.Samples.Select(s => s.Index), c.Samples.Select(s => s.Index));
        // --limit takes a prefix of the same seeded order, with the same prompts (lighteval's --max-samples)
        var all = Gsm8kTask.Create(Gsm8kTest, Gsm8kTrain, new TaskOptions(Seed: 7));
        Assert.Equal(1319, all.Samples.Count);
        Assert.Equal(a.Samples.Select(s => s.Prompt), all.Samples.Take(20).Select(s => s.Prompt));
    }

    [Fact]
    public void MinervaPromptIsByteIdenticalToLmEval()
    {
        var task = MathTask.Create("math500", Math500, null, new TaskOptions());
        var first = task.Samples.Single(s => s.Index == 0);
        Assert.Equal("01a84b1e45ecfa0682d6c1627ad009d3036863583f398839fb8c54a80988b5e5", Sha(first.Prompt));
        Assert.Equal(["Problem:"], task.StopSequences);
        Assert.Equal("minerva", task.PromptFormat);
        Assert.Equal(500, task.Samples.Count);
        Assert.Equal("\\left( 3, \\frac{\\pi}{2} \\right)", first.Gold);
        var zero = MathTask.Create("math500", Math500, null, new TaskOptions(Shots: 0, Limit: 1));
        Assert.Equal("Problem:\n" + Math500[zero.Samples[0].Index].Problem + "\n\nSolution:", zero.Samples[0].Prompt);
        Assert.Throws<ArgumentException>(() => MathTask.Create("math500", Math500, null, new TaskOptions(Shots: 5)));
    }

    [Fact]
    public void LightevalMathPrompts()
    {
        var m500 = MathTask.Create("math500", Math500, null, new TaskOptions(PromptFormat: "lighteval", Limit: 1));
        Assert.StartsWith("Solve the following problem. The final line of your response MUST be of the following format:\n\"ANSWER: $ANSWER\"", m500.Samples[0].Prompt);
        Assert.EndsWith(Math500[m500.Samples[0].Index].Problem, m500.Samples[0].Prompt);

        // math with a train pool: lighteval's balanced selection picks the same k examples of the subject for every item
        var pool = Math500.Take(300).ToList();
        var test = Math500.Skip(300).ToList();
        var t = MathTask.Create("math", test, pool, new TaskOptions(Shots: 2, PromptFormat: "lighteval", Limit: 40));
        Assert.Equal(["\n"], t.StopSequences);
        foreach (var s in t.Samples)
        {
            var p = test.First(x => x.Index == s.Index);
            var parts = s.Prompt.Split("\n\nQuestion: ");
            Assert.Equal(3, parts.Length);
            Assert.EndsWith($"Question: {p.Problem}\nAnswer:", s.Prompt);
        }
        var again = MathTask.Create("math", test, pool, new TaskOptions(Shots: 2, PromptFormat: "lighteval", Limit: 40));
        Assert.Equal(t.Samples.Select(s => s.Prompt), again.Samples.Select(s => s.Prompt));
        Assert.Throws<ArgumentException>(() => MathTask.Create("math", test, null, new TaskOptions(Shots: 2, PromptFormat: "lighteval")));
    }

    [Fact]
    public void BalancedSelectionFollowsLighteval()
    {
        // labels: "a" ×3, "b" ×2, "c" ×1. Counts descending: a, then b, then c; one member per label in turn.
        var labels = new[] { "b", "a", "c", "a", "b", "a" };
        var picked = FewShotSampler.Balanced(labels, shots: 2);
        Assert.Equal(3, picked.Length);                       // k + 1
        Assert.Equal(["a", "b", "c"], picked.Select(i => labels[i]));
        Assert.Equal(picked, FewShotSampler.Balanced(labels, shots: 2));
    }

    [Fact]
    public void ApplyStopsCutsAtTheEarliestStop()
    {
        Assert.Equal(" 18\n#### 18\n\n", GenerativeTask.ApplyStops(" 18\n#### 18\n\nQuestion: next", ["Question:"]));
        Assert.Equal("a", GenerativeTask.ApplyStops("a\nb\n\nc", ["\n\n", "\n"]));
        Assert.Equal("abc", GenerativeTask.ApplyStops("abc", []));
    }
}
