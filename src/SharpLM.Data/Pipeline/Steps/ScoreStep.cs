using SharpLM.Data.Classifier;
using SharpLM.Data.DomainRecall;

namespace SharpLM.Data.Pipeline.Steps;

/// <summary>
/// Scores each page with the math classifier (FineMath's <c>score</c>/<c>int_score</c>), tallies the page
/// for domain-level recall, and drops pages below the lowest subset threshold (nothing downstream keeps
/// them). Without a classifier every page passes unscored.
/// </summary>
public sealed class ScoreStep(LinearScoreModel? model, DomainCounts domains, DomainRecallOptions recall, int minThreshold) : PipelineStep
{
    public override string Name => "classifier";

    protected override string? Apply(Document doc)
    {
        if (model is null)
        {
            domains.Add(doc.Url, scored: false);
            return null;
        }
        double s = model.Score(doc.Text);
        doc.Score = Math.Round(s, 6);
        doc.IntScore = model.IntScore(s);
        domains.Add(doc.Url, scored: s >= recall.MinScore);
        Stats?.Count($"int_score:{doc.IntScore}");
        return doc.IntScore < minThreshold ? "below_threshold" : null;
    }
}
