using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;

namespace SharpLM.Data.Classifier;

/// <summary>Precision/recall of "score ≥ threshold" on held-out pages.</summary>
public sealed record ThresholdMetrics(
    [property: JsonPropertyName("threshold")] int Threshold,
    [property: JsonPropertyName("precision")] double Precision,
    [property: JsonPropertyName("recall")] double Recall,
    [property: JsonPropertyName("f1")] double F1,
    [property: JsonPropertyName("positives")] int Positives);

/// <summary>Held-out evaluation of a trained classifier.</summary>
public sealed record ClassifierReport
{
    [JsonPropertyName("examples")] public int Examples { get; set; }
    [JsonPropertyName("mae")] public double Mae { get; set; }
    [JsonPropertyName("rmse")] public double Rmse { get; set; }
    /// <summary>Fraction of pages whose int_score equals the rounded gold score.</summary>
    [JsonPropertyName("int_accuracy")] public double IntAccuracy { get; set; }
    [JsonPropertyName("thresholds")] public ThresholdMetrics[] Thresholds { get; set; } = [];
    /// <summary>confusion[gold][predicted] over int scores 0..max.</summary>
    [JsonPropertyName("confusion")] public int[][] Confusion { get; set; } = [];

    public static ClassifierReport Compute(IReadOnlyList<double> gold, IReadOnlyList<double> predicted, int maxScore)
    {
        int n = gold.Count;
        double abs = 0, sq = 0;
        int exact = 0;
        var confusion = Enumerable.Range(0, maxScore + 1).Select(_ => new int[maxScore + 1]).ToArray();
        for (int i = 0; i < n; i++)
        {
            double e = predicted[i] - gold[i];
            abs += Math.Abs(e);
            sq += e * e;
            long g = LinearScoreModel.ToIntScore(gold[i], maxScore), p = LinearScoreModel.ToIntScore(predicted[i], maxScore);
            if (g == p) exact++;
            confusion[g][p]++;
        }
        var thresholds = Enumerable.Range(1, maxScore).Select(t =>
        {
            int tp = 0, fp = 0, fn = 0;
            for (int i = 0; i < n; i++)
            {
                bool g = LinearScoreModel.ToIntScore(gold[i], maxScore) >= t, p = LinearScoreModel.ToIntScore(predicted[i], maxScore) >= t;
                if (g && p) tp++; else if (p) fp++; else if (g) fn++;
            }
            double precision = tp + fp == 0 ? 0 : (double)tp / (tp + fp);
            double recall = tp + fn == 0 ? 0 : (double)tp / (tp + fn);
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            return new ThresholdMetrics(t, Math.Round(precision, 4), Math.Round(recall, 4), Math.Round(f1, 4), tp + fn);
        }).ToArray();
        return new ClassifierReport
        {
            Examples = n, Mae = n == 0 ? 0 : Math.Round(abs / n, 4), Rmse = n == 0 ? 0 : Math.Round(Math.Sqrt(sq / n), 4),
            IntAccuracy = n == 0 ? 0 : Math.Round((double)exact / n, 4), Thresholds = thresholds, Confusion = confusion,
        };
    }

    /// <summary>The report as the text <c>data train-classifier</c> prints.</summary>
    public string ToText()
    {
        var sb = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        sb.AppendLine(c, $"held-out pages: {Examples}   MAE {Mae:F3}   RMSE {Rmse:F3}   int_score accuracy {IntAccuracy:P1}");
        sb.AppendLine("threshold  precision  recall  F1      gold positives");
        foreach (var t in Thresholds)
            sb.AppendLine(c, $"  >= {t.Threshold}     {t.Precision,6:F3}   {t.Recall,6:F3}  {t.F1,6:F3}  {t.Positives,6}");
        sb.AppendLine("confusion (rows gold int score, columns predicted):");
        sb.Append("       ");
        for (int p = 0; p < Confusion.Length; p++) sb.Append(c, $"{p,6}");
        sb.AppendLine();
        for (int g = 0; g < Confusion.Length; g++)
        {
            sb.Append(c, $"  {g,3}  ");
            foreach (var v in Confusion[g]) sb.Append(c, $"{v,6}");
            sb.AppendLine();
        }
        return sb.ToString();
    }
}
