using SharpLM.Data.Filters;

namespace SharpLM.Data.Pipeline;

/// <summary>
/// The unit that flows through the pipeline: one page, from its WARC record (or input line) to its output
/// row. Typed fields rather than a free dictionary, filled in by the steps in order: the reader sets the
/// source fields and <see cref="Body"/>, extraction sets <see cref="Text"/>, the language step
/// <see cref="Language"/>, the classifier <see cref="Score"/>.
/// </summary>
public sealed class Document
{
    public required string Url { get; init; }
    /// <summary>Input file name, relative to the common input root (FineMath's <c>warc_filename</c>).</summary>
    public required string Source { get; init; }
    public required long Offset { get; init; }
    public required long Length { get; init; }
    public string? RecordId { get; init; }
    public DateTimeOffset? FetchTime { get; init; }
    public string? ContentMimeType { get; init; }
    public string? Crawl { get; init; }

    /// <summary>Raw HTTP body (HTML bytes) until extraction; empty for text inputs.</summary>
    public ReadOnlyMemory<byte> Body { get; set; }
    /// <summary>The HTTP Content-Type header (carries the charset).</summary>
    public string? ContentTypeHeader { get; init; }

    public MathMarkerMatch Prefilter { get; set; }
    /// <summary>The page's domain is on the recall list: it skipped the prefilter.</summary>
    public bool Recalled { get; set; }

    public string Text { get; set; } = "";
    public string? Title { get; set; }
    public string? Charset { get; set; }
    public IReadOnlyDictionary<string, int> MathCounts { get; set; } = new Dictionary<string, int>();

    public string Language { get; set; } = "unknown";
    public double LanguageScore { get; set; }
    public double? Score { get; set; }
    public long? IntScore { get; set; }
}
