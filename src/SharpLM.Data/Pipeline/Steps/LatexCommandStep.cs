using SharpLM.Data.Filters;

namespace SharpLM.Data.Pipeline.Steps;

/// <summary>
/// The second half of OpenWebMath's prefilter: a page that passed only on a stray <c>\word</c> in its HTML
/// must show a known LaTeX math command in its extracted text. (OWM also accepted such pages when its
/// MathScore classifier, whose weights were not released, gave > 0.8; that branch is not reproduced.)
/// </summary>
public sealed class LatexCommandStep : PipelineStep
{
    public override string Name => "latex_commands";

    protected override string? Apply(Document doc) =>
        doc.Prefilter != MathMarkerMatch.BackslashCommand || doc.Recalled || LatexCommands.AnyIn(doc.Text) ? null : "no_latex_commands";
}
