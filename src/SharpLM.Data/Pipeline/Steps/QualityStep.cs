using SharpLM.Data.Filters;

namespace SharpLM.Data.Pipeline.Steps;

/// <summary>Document-level quality heuristics (<see cref="QualityHeuristics"/>).</summary>
public sealed class QualityStep(QualityOptions options) : PipelineStep
{
    public override string Name => "quality";

    protected override string? Apply(Document doc) => QualityHeuristics.Check(doc.Text, options) is { } r ? "quality:" + r : null;
}
