using SharpLM.Data.Language;

namespace SharpLM.Data.Pipeline.Steps;

/// <summary>Identifies the language (<see cref="LanguageIdentifier"/>) and keeps the configured ones above the score threshold.</summary>
public sealed class LanguageStep(LanguageOptions options) : PipelineStep
{
    public override string Name => "language";

    protected override string? Apply(Document doc)
    {
        var g = LanguageIdentifier.Identify(doc.Text);
        doc.Language = g.Language;
        doc.LanguageScore = g.Score;
        if (!options.Keep.Contains(g.Language)) return "language:" + g.Language;
        return g.Score < options.MinScore ? "language_score" : null;
    }
}
