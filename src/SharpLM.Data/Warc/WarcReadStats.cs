namespace SharpLM.Data.Warc;

/// <summary>What a <see cref="WarcReader"/> saw: records by type and records it skipped, by reason.</summary>
/// <remarks>Skip reasons: <c>truncated</c>, <c>malformed_header</c>, <c>bad_content_length</c>,
/// <c>too_large</c>, <c>gzip_corrupt</c>, <c>gzip_bomb</c>, <c>digest_mismatch</c>, <c>malformed_arc_header</c>.</remarks>
public sealed class WarcReadStats
{
    public long Records { get; internal set; }
    public long Skipped { get; internal set; }
    public Dictionary<string, long> ByType { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, long> SkippedByReason { get; } = new(StringComparer.Ordinal);
    /// <summary>Records found inside a gzip member holding more than one record (the file was not gzipped per record).</summary>
    public long SharedMemberRecords { get; internal set; }

    internal void Read(string type)
    {
        Records++;
        ByType[type] = ByType.GetValueOrDefault(type) + 1;
    }

    internal void Skip(string reason)
    {
        Skipped++;
        SkippedByReason[reason] = SkippedByReason.GetValueOrDefault(reason) + 1;
    }
}
