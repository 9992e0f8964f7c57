namespace SharpLM.Evaluation.Scoring;

/// <summary>A sample mean with its standard error.</summary>
/// <param name="Mean">The average score (accuracy for 0/1 scores).</param>
/// <param name="Stderr">lighteval's <c>mean_stderr</c>: sample standard deviation (n − 1) over √n; null below 2 samples.</param>
/// <param name="Count">Number of samples.</param>
public readonly record struct MeanStderr(double Mean, double? Stderr, int Count)
{
    public static MeanStderr Of(IReadOnlyCollection<double> values)
    {
        int n = values.Count;
        if (n == 0) return new MeanStderr(0, null, 0);
        double mean = values.Average();
        if (n < 2) return new MeanStderr(mean, null, n);
        double ss = values.Sum(x => (x - mean) * (x - mean));
        return new MeanStderr(mean, Math.Sqrt(ss / (n - 1)) / Math.Sqrt(n), n);
    }

    public static MeanStderr Of(IEnumerable<bool> values) => Of(values.Select(b => b ? 1.0 : 0.0).ToList());
}
