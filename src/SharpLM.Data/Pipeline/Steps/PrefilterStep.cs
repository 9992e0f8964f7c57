using SharpLM.Data.DomainRecall;
using SharpLM.Data.Filters;

namespace SharpLM.Data.Pipeline.Steps;

/// <summary>
/// OpenWebMath's cheap math prefilter on raw HTML (<see cref="MathMarkers"/>), before any parsing. Pages
/// of recalled domains pass without it (counted as <c>recalled</c>). Text inputs are checked the same way
/// on their text.
/// </summary>
public sealed class PrefilterStep(string mode, RecallList? recall) : PipelineStep
{
    public override string Name => "prefilter";

    protected override string? Apply(Document doc)
    {
        if (recall is not null && recall.Contains(doc.Url))
        {
            doc.Recalled = true;
            Stats?.Count("recalled");
            return null;
        }
        if (mode == "none")
        {
            doc.Prefilter = MathMarkerMatch.Marker;
            return null;
        }
        doc.Prefilter = doc.Body.IsEmpty ? MathMarkers.Match(doc.Text) : MathMarkers.Match(doc.Body.Span);
        return doc.Prefilter == MathMarkerMatch.None ? "no_math_markers" : null;
    }
}
