using System.Text.Json;
using SharpLM.Evaluation.Data;
using SharpLM.Evaluation.Tasks;

namespace SharpLM.Evaluation.Scoring;

/// <summary>One scored prediction of <c>eval score</c>.</summary>
public sealed record ScoredPrediction(int Index, string Gold, string Prediction, SampleScore Score);

/// <summary>The result of scoring a predictions file against a data file.</summary>
public sealed record PredictionScoreResult(string Task, TaskScore Score, IReadOnlyList<ScoredPrediction> Items, int DataRecords);

/// <summary>
/// <c>eval score</c>: scores existing outputs. Predictions are JSONL objects <c>{"index": i, "prediction": "..."}</c>
/// where <c>index</c> is the 0-based line of the item in the data file. Malformed lines, missing or mistyped
/// fields, an index out of range, on a blank line or given twice: <see cref="SharpLMDataException"/> with the line.
/// </summary>
public static class PredictionScorer
{
    public static PredictionScoreResult ScoreGsm8k(IReadOnlyList<Gsm8kProblem> data, string dataPath, string predictionsPath) =>
        Score("gsm8k", data.ToDictionary(p => p.Index, p => (p.FinalAnswer, (Func<string, SampleScore>)(o => Gsm8kTask.ScoreRecord(p, o)))),
            LineCount(data.Select(p => p.Index)), dataPath, predictionsPath, ["strict_match"]);

    public static PredictionScoreResult ScoreMath(string task, IReadOnlyList<MathProblem> data, string dataPath, string predictionsPath) =>
        Score(task, data.ToDictionary(p => p.Index, p => (p.Answer, (Func<string, SampleScore>)(o => MathTask.ScoreAnswer(p.Answer, p.Solution, o)))),
            LineCount(data.Select(p => p.Index)), dataPath, predictionsPath, ["quasi_exact_match"]);

    static int LineCount(IEnumerable<int> indices) => indices.DefaultIfEmpty(-1).Max() + 1;

    static PredictionScoreResult Score(string task, Dictionary<int, (string Gold, Func<string, SampleScore> Scorer)> byIndex,
        int dataLines, string dataPath, string predictionsPath, string[] secondary)
    {
        var items = new List<ScoredPrediction>();
        var seenAt = new Dictionary<int, int>();
        foreach (var line in JsonlFile.Read(predictionsPath))
        {
            if (!line.Object.TryGetProperty("index", out var idx))
                throw JsonlFile.Bad(predictionsPath, line.Index, "missing field \"index\"");
            if (idx.ValueKind != JsonValueKind.Number || !idx.TryGetInt32(out int index) || index < 0)
                throw JsonlFile.Bad(predictionsPath, line.Index, $"field \"index\" must be a non-negative integer, found {idx.GetRawText()}");
            var prediction = JsonlFile.RequiredString(predictionsPath, line, "prediction");
            if (index >= dataLines)
                throw JsonlFile.Bad(predictionsPath, line.Index,
                    $"index {index} is out of range: {Path.GetFileName(dataPath)} has {dataLines} lines (indices 0..{dataLines - 1})");
            if (!byIndex.TryGetValue(index, out var item))
                throw JsonlFile.Bad(predictionsPath, line.Index, $"index {index} is a blank line of {Path.GetFileName(dataPath)}");
            if (seenAt.TryGetValue(index, out var first))
                throw JsonlFile.Bad(predictionsPath, line.Index, $"index {index} was already given on line {first + 1}");
            seenAt[index] = line.Index;
            items.Add(new ScoredPrediction(index, item.Gold, prediction, item.Scorer(prediction)));
        }
        if (items.Count == 0) throw new SharpLMDataException(predictionsPath, "no predictions");
        return new PredictionScoreResult(task, TaskScore.From(items.Select(i => i.Score).ToList(), secondary), items, byIndex.Count);
    }
}
