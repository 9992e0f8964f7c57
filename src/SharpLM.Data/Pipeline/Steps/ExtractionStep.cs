namespace SharpLM.Data.Pipeline.Steps;

/// <summary>HTML → math-preserving text with <see cref="IPageExtractor"/>; text inputs pass through.</summary>
public sealed class ExtractionStep(IPageExtractor? extractor) : PipelineStep
{
    public override string Name => "extraction";

    protected override string? Apply(Document doc)
    {
        if (doc.Body.IsEmpty) return doc.Text.Length == 0 ? "empty" : null;
        if (extractor is null) throw new InvalidOperationException("HTML input but no page extractor configured");
        var reason = extractor.Extract(doc);
        doc.Body = default; // the raw HTML is no longer needed; free it before the next page
        if (reason is null && string.IsNullOrWhiteSpace(doc.Text)) reason = "no_text";
        if (reason is null) foreach (var (kind, n) in doc.MathCounts) if (n > 0) Stats?.Count("math:" + kind, n);
        return reason;
    }
}
