using SharpLM.Evaluation.Answers;
using SharpLM.Evaluation.Data;
using SharpLM.Evaluation.Equivalence;

namespace SharpLM.Evaluation.Tasks;

/// <summary>
/// MATH (full test set, <c>math</c>) and MATH-500 (<c>math500</c>). Prompt formats:
/// <list type="bullet">
/// <item><c>minerva</c> (default): lm-evaluation-harness <c>minerva_math</c> — the four fixed Minerva exemplars
/// (<see cref="MinervaExemplars"/>), <c>Problem:\n{problem}\n\nSolution:</c>, stop at <c>Problem:</c>. Needs no
/// train split, which is why it is the default here.</item>
/// <item><c>lighteval</c>: for <c>math</c>, lighteval's <c>math:{subject}</c> — <c>Question: {problem}\nAnswer:</c>,
/// few-shot gold <c> {solution}</c> chosen by lighteval's <c>balanced</c> selection from a train file of the same
/// subject, stop at a newline, 2048 tokens; for <c>math500</c>, lighteval's 0-shot instruction asking for a last
/// line <c>ANSWER: $ANSWER</c>.</item>
/// </list>
/// Metrics: <c>accuracy</c> — the answer found by <see cref="MathAnswerExtractor"/> is equivalent to the gold
/// (<see cref="MathEquivalence"/>); <c>quasi_exact_match</c> — lighteval's <c>quasi_exact_match_math</c> (Hendrycks
/// normaliser on both sides, needs a <c>\boxed{}</c> in the output).
/// </summary>
public sealed class MathTask : GenerativeTask
{
    /// <summary>lighteval <c>math_500</c>'s instruction (<c>MATH_QUERY_TEMPLATE</c>).</summary>
    public const string Math500Instruction =
        "Solve the following problem. The final line of your response MUST be of the following format:\n" +
        "\"ANSWER: $ANSWER\" (without quotes) where $ANSWER is the final answer. Think step by step before answering.\n\n";

    readonly string _format;
    readonly string[] _stops;
    readonly int _maxTokens;

    MathTask(string name, string format, int shots, string[] stops, int maxTokens, IReadOnlyList<TaskSample> samples)
    {
        Name = name;
        _format = format;
        Shots = shots;
        _stops = stops;
        _maxTokens = maxTokens;
        Samples = samples;
    }

    public override string Name { get; }
    public override string PromptFormat => _format;
    public override int Shots { get; }
    public override IReadOnlyList<string> StopSequences => _stops;
    public override int DefaultMaxTokens => _maxTokens;
    public override IReadOnlyList<TaskSample> Samples { get; }
    public override IReadOnlyList<string> SecondaryMetrics => ["quasi_exact_match"];

    /// <param name="name"><c>math</c> or <c>math500</c>.</param>
    /// <param name="test">The evaluation records.</param>
    /// <param name="train">Few-shot pool for the <c>lighteval</c> format of <c>math</c> (MATH train split); else unused.</param>
    public static MathTask Create(string name, IReadOnlyList<MathProblem> test, IReadOnlyList<MathProblem>? train, TaskOptions options)
    {
        if (name is not ("math" or "math500")) throw new ArgumentException("MATH task name must be math or math500");
        var format = options.PromptFormat ?? "minerva";
        var order = FewShotSampler.EvaluationOrder(test.Count, options.Seed, options.Limit);
        switch (format)
        {
            case "minerva":
            {
                int shots = options.Shots ?? 4;
                if (shots is < 0 or > 4) throw new ArgumentException("the minerva prompt has 4 exemplars: --shots must be 0..4");
                var samples = order.Select(i => new TaskSample(test[i].Index, MinervaExemplars.Prompt(test[i].Problem, shots), test[i].Answer, test[i].Solution)).ToArray();
                return new MathTask(name, format, shots, ["Problem:"], 1024, samples);
            }
            case "lighteval" when name == "math500":
            {
                if (options.Shots is > 0) throw new ArgumentException("lighteval's math500 prompt is 0-shot");
                var samples = order.Select(i => new TaskSample(test[i].Index, Math500Instruction + test[i].Problem, test[i].Answer, test[i].Solution)).ToArray();
                return new MathTask(name, format, 0, [], 32768, samples);
            }
            case "lighteval":
            {
                int shots = options.Shots ?? 4;
                var fewShotsBySubject = new Dictionary<string, int[]>(StringComparer.Ordinal);
                if (shots > 0)
                {
                    if (train is null) throw new ArgumentException("the lighteval MATH prompt draws few-shot examples from the train split: pass --fewshot-data (or --shots 0)");
                    foreach (var subject in test.Select(p => p.Subject ?? "").Distinct())
                    {
                        var pool = train.Where(t => (t.Subject ?? "") == subject).ToList();
                        if (pool.Count < shots) throw new ArgumentException($"few-shot pool for subject '{subject}' has {pool.Count} records, fewer than {shots}");
                        var picked = FewShotSampler.Balanced(pool.Select(t => " " + t.Solution).ToList(), shots);
                        fewShotsBySubject[subject] = picked.Select(k => train.IndexOf(pool[k])).ToArray();
                    }
                }
                var samples = order.Select(i =>
                {
                    var p = test[i];
                    var picks = shots == 0 ? [] : fewShotsBySubject[p.Subject ?? ""].Where(k => train![k].Problem != p.Problem).Take(shots);
                    var prompt = FewShotSampler.PlainTextPrompt(picks.Select(k => (Query(train![k].Problem), " " + train[k].Solution)), Query(p.Problem));
                    return new TaskSample(p.Index, prompt, p.Answer, p.Solution);
                }).ToArray();
                return new MathTask(name, format, shots, ["\n"], 2048, samples);
            }
            default:
                throw new ArgumentException($"{name} has no prompt format '{format}' (available: minerva, lighteval)");
        }
    }

    static string Query(string problem) => $"Question: {problem}\nAnswer:";

    public override SampleScore Score(TaskSample sample, string output) => ScoreAnswer(sample.Gold, sample.Reference, output);

    /// <summary>Scores one output against a gold final answer and the full reference solution (for <c>eval score</c> as well).</summary>
    public static SampleScore ScoreAnswer(string gold, string referenceSolution, string output)
    {
        var extracted = MathAnswerExtractor.Extract(output);
        bool correct = extracted is { } e && MathEquivalence.AreEquivalent(gold, e.Answer);
        // lighteval quasi_exact_match_math: the Hendrycks normaliser on the output and on the gold solution
        bool quasi = output.Length > 0 && HendrycksNormalizer.Normalize(output) == HendrycksNormalizer.Normalize(referenceSolution);
        return new SampleScore(extracted?.Answer, extracted?.Method ?? "none", correct,
            new Dictionary<string, bool> { ["quasi_exact_match"] = quasi });
    }
}

file static class ListExtensions
{
    public static int IndexOf<T>(this IReadOnlyList<T> list, T item) where T : class
    {
        for (int i = 0; i < list.Count; i++) if (ReferenceEquals(list[i], item)) return i;
        return -1;
    }
}
