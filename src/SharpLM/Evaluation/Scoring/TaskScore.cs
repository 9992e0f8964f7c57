using SharpLM.Evaluation.Tasks;

namespace SharpLM.Evaluation.Scoring;

/// <summary>The aggregate of scored samples: accuracy with its standard error, every secondary metric, and how answers were found.</summary>
public sealed record TaskScore(
    int Total,
    int Correct,
    MeanStderr Accuracy,
    IReadOnlyDictionary<string, MeanStderr> Metrics,
    IReadOnlyDictionary<string, int> ExtractionMethods)
{
    public static TaskScore From(IReadOnlyCollection<SampleScore> scores, IEnumerable<string> secondaryMetrics)
    {
        var metrics = new SortedDictionary<string, MeanStderr>(StringComparer.Ordinal);
        foreach (var name in secondaryMetrics)
            metrics[name] = MeanStderr.Of(scores.Select(s => s.Metrics.TryGetValue(name, out var v) && v));
        var methods = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var s in scores) methods[s.Method] = methods.GetValueOrDefault(s.Method) + 1;
        return new TaskScore(scores.Count, scores.Count(s => s.Correct), MeanStderr.Of(scores.Select(s => s.Correct)), metrics, methods);
    }
}
