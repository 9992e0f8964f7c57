namespace SharpLM.Data.Parquet;

/// <summary>
/// One output row, in FineMath's released schema (spec Part 1.1) so that every row can be traced back to
/// its WARC record and re-extracted with one ranged read. Column names are the snake_case ones of the
/// released dataset; <see cref="FineMathSchema"/> maps this record to them.
/// </summary>
/// <remarks>
/// <see cref="TokenCount"/> is null unless the pipeline was given a tokenizer; <see cref="Score"/> and
/// <see cref="IntScore"/> are null when the pipeline ran without a classifier; <see cref="SnapshotType"/>
/// is FineMath's latest/largest capture label and stays null for a pipeline fed plain WARC files.
/// </remarks>
public sealed record FineMathRow
{
    public required string Url { get; init; }
    /// <summary>WARC-Date of the capture, Unix seconds (UTC); null when the record carries no valid date.</summary>
    public long? FetchTime { get; init; }
    /// <summary>MIME type of the HTTP payload, e.g. <c>text/html</c>.</summary>
    public string? ContentMimeType { get; init; }
    /// <summary>The WARC file's name as given in the input list (relative to the input root).</summary>
    public required string WarcFilename { get; init; }
    /// <summary>Byte offset of the record (of its gzip member for .warc.gz) in the WARC file.</summary>
    public required int WarcRecordOffset { get; init; }
    /// <summary>Bytes of the record as stored (the compressed member length for .warc.gz).</summary>
    public required int WarcRecordLength { get; init; }
    /// <summary>Extracted Markdown-ish text with formulas as <c>$…$</c> / <c>$$…$$</c>.</summary>
    public required string Text { get; init; }
    public long? TokenCount { get; init; }
    /// <summary>Characters (UTF-16 code units are not counted: this is Unicode scalar values) of <see cref="Text"/>.</summary>
    public required long CharCount { get; init; }
    /// <summary>JSON string: extraction counts per math source kind and pipeline facts (see the README).</summary>
    public required string Metadata { get; init; }
    /// <summary>Raw classifier output.</summary>
    public double? Score { get; init; }
    /// <summary>Score clamped to 0..5 and rounded half to even (Python's round, as in FineWeb-Edu's classifier code).</summary>
    public long? IntScore { get; init; }
    /// <summary>Common Crawl snapshot id (e.g. <c>CC-MAIN-2024-10</c>) when the warcinfo or file name says it.</summary>
    public string? Crawl { get; init; }
    public string? SnapshotType { get; init; }
    public required string Language { get; init; }
    public required double LanguageScore { get; init; }
}
