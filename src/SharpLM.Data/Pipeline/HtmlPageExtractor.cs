using SharpLM.Data.Html;

namespace SharpLM.Data.Pipeline;

/// <summary>
/// The pipeline's page extractor: charset decoding (<see cref="HtmlCharset"/>: BOM, header, meta, sniffing;
/// binary bodies refused) then math-preserving extraction (<see cref="MathTextExtractor"/>). Drop reasons:
/// <c>binary_content</c>, <c>too_large</c>, <c>no_text</c>. Thread-safe.
/// </summary>
public sealed class HtmlPageExtractor(MathTextExtractor? extractor = null, Action<string>? log = null) : IPageExtractor
{
    readonly MathTextExtractor _extractor = extractor ?? new MathTextExtractor();

    public string? Extract(Document doc)
    {
        if (!HtmlCharset.TryDecode(doc.Body.Span, doc.ContentTypeHeader, doc.Url, out var decoded, out var reason))
        {
            log?.Invoke($"{doc.Url}: {reason}");
            return reason!.StartsWith("binary content", StringComparison.Ordinal) ? "binary_content" : "undecodable";
        }
        ExtractedPage page;
        try
        {
            page = _extractor.Run(decoded!.Text, doc.Url);
        }
        catch (SharpLMDataException e)
        {
            log?.Invoke(e.Message);
            return e.Reason.StartsWith("page too large", StringComparison.Ordinal) ? "too_large" : "extraction_refused";
        }
        doc.Text = page.Text;
        doc.Title = page.Title;
        doc.Charset = decoded.Charset;
        doc.MathCounts = page.Math.ToDictionary();
        return string.IsNullOrWhiteSpace(page.Text) ? "no_text" : null;
    }
}
