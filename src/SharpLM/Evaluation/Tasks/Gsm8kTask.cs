using SharpLM.Evaluation.Answers;
using SharpLM.Evaluation.Data;

namespace SharpLM.Evaluation.Tasks;

/// <summary>
/// GSM8K as lighteval runs it (<c>lighteval/tasks/tasks/gsm8k.py</c>): query <c>Question: {question}\nAnswer:</c>,
/// few-shot gold <c> {answer}</c> (the full worked solution with its <c>#### N</c> line), k examples drawn with
/// <c>random_sampling_from_train</c> from the train split, stop at <c>Question:</c>, 256 new tokens.
/// </summary>
/// <remarks>
/// Metrics: <c>accuracy</c> — the <c>####</c> answer, else the last number (lm-eval's flexible rule), equal to the gold
/// as a decimal; <c>strict_match</c> — lighteval's <c>quasi_exact_match_gsm8k</c> (the GSM8K reference normaliser on
/// both sides, exact string match), which scores 0 whenever the output lacks <c>#### N</c>.
/// </remarks>
public sealed class Gsm8kTask : GenerativeTask
{
    public const int DefaultShots = 5;
    static readonly string[] Stops = ["Question:"];

    Gsm8kTask(int shots, IReadOnlyList<TaskSample> samples)
    {
        Shots = shots;
        Samples = samples;
    }

    public override string Name => "gsm8k";
    public override string PromptFormat => "lighteval";
    public override int Shots { get; }
    public override IReadOnlyList<string> StopSequences => Stops;
    public override int DefaultMaxTokens => 256;
    public override IReadOnlyList<TaskSample> Samples { get; }
    public override IReadOnlyList<string> SecondaryMetrics => ["strict_match"];

    public static string Query(string question) => $"Question: {question}\nAnswer:";

    /// <param name="test">The evaluation records.</param>
    /// <param name="train">The few-shot pool (GSM8K train); may be null when <c>Shots</c> is 0.</param>
    public static Gsm8kTask Create(IReadOnlyList<Gsm8kProblem> test, IReadOnlyList<Gsm8kProblem>? train, TaskOptions options)
    {
        if (options.PromptFormat is not (null or "lighteval"))
            throw new ArgumentException($"gsm8k has no prompt format '{options.PromptFormat}' (available: lighteval)");
        int shots = options.Shots ?? DefaultShots;
        if (shots < 0) throw new ArgumentException("shots must be >= 0");
        if (shots > 0 && (train is null || train.Count < shots))
            throw new ArgumentException($"{shots}-shot GSM8K needs a few-shot pool (the train split) of at least {shots} records");
        var (order, fewShots) = FewShotSampler.RandomSamplingFromTrain(test.Count, train?.Count ?? 0, shots, options.Seed, options.Limit);
        var samples = new TaskSample[order.Length];
        for (int k = 0; k < order.Length; k++)
        {
            var p = test[order[k]];
            var prompt = FewShotSampler.PlainTextPrompt(fewShots[k].Select(i => (Query(train![i].Question), " " + train[i].Answer)), Query(p.Question));
            samples[k] = new TaskSample(p.Index, prompt, p.FinalAnswer, p.Answer);
        }
        return new Gsm8kTask(shots, samples);
    }

    public override SampleScore Score(TaskSample sample, string output)
    {
        var extracted = Gsm8kAnswer.Extract(output);
        bool correct = extracted is { } e && Gsm8kAnswer.NumbersEqual(e.Normalized, sample.Gold);
        // lighteval quasi_exact_match_gsm8k: the reference normaliser on both the output and the gold solution
        bool strict = output.Length > 0 && Gsm8kAnswer.ReferenceNormalize(output) == Gsm8kAnswer.ReferenceNormalize(sample.Reference);
        return new SampleScore(
            extracted?.Normalized,
            extracted?.Method switch { Gsm8kExtraction.Strict => "strict", Gsm8kExtraction.Flexible => "flexible", _ => "none" },
            correct,
            new Dictionary<string, bool> { ["strict_match"] = strict });
    }

    /// <summary>Scores one output against a record without building prompts (for <c>eval score</c>).</summary>
    public static SampleScore ScoreRecord(Gsm8kProblem problem, string output) =>
        new Gsm8kTask(0, []).Score(new TaskSample(problem.Index, "", problem.FinalAnswer, problem.Answer), output);
}
