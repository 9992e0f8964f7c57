using Parquet.Schema;

namespace SharpLM.Data.Parquet;

/// <summary>The Parquet columns of <see cref="FineMathRow"/>, in FineMath's order and spelling.</summary>
public static class FineMathSchema
{
    public static readonly DataField<string> Url = new("url", nullable: false);
    public static readonly DataField<long?> FetchTime = new("fetch_time");
    public static readonly DataField<string> ContentMimeType = new("content_mime_type", nullable: true);
    public static readonly DataField<string> WarcFilename = new("warc_filename", nullable: false);
    public static readonly DataField<int> WarcRecordOffset = new("warc_record_offset");
    public static readonly DataField<int> WarcRecordLength = new("warc_record_length");
    public static readonly DataField<string> Text = new("text", nullable: false);
    public static readonly DataField<long?> TokenCount = new("token_count");
    public static readonly DataField<long> CharCount = new("char_count");
    public static readonly DataField<string> Metadata = new("metadata", nullable: false);
    public static readonly DataField<double?> Score = new("score");
    public static readonly DataField<long?> IntScore = new("int_score");
    public static readonly DataField<string> Crawl = new("crawl", nullable: true);
    public static readonly DataField<string> SnapshotType = new("snapshot_type", nullable: true);
    public static readonly DataField<string> Language = new("language", nullable: false);
    public static readonly DataField<double> LanguageScore = new("language_score");

    /// <summary>All columns in file order.</summary>
    public static ParquetSchema Schema { get; } = new(
        Url, FetchTime, ContentMimeType, WarcFilename, WarcRecordOffset, WarcRecordLength, Text, TokenCount,
        CharCount, Metadata, Score, IntScore, Crawl, SnapshotType, Language, LanguageScore);

    /// <summary>Column names in file order.</summary>
    public static IReadOnlyList<string> ColumnNames { get; } =
        Schema.GetDataFields().Select(f => f.Name).ToArray();
}
