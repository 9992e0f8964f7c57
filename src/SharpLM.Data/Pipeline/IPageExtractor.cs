namespace SharpLM.Data.Pipeline;

/// <summary>
/// Turns a page's raw HTML (<see cref="Document.Body"/>, with <see cref="Document.ContentTypeHeader"/> for
/// the charset) into text: sets <see cref="Document.Text"/>, <see cref="Document.Title"/>,
/// <see cref="Document.Charset"/> and <see cref="Document.MathCounts"/>, or returns why the page cannot be
/// used (binary content, undecodable charset, no main content…). The pipeline's HTML extractor is
/// <see cref="HtmlPageExtractor"/>.
/// </summary>
public interface IPageExtractor
{
    string? Extract(Document doc);
}
