namespace SharpLM.Data.Warc;

/// <summary>
/// One record of a WARC (or legacy ARC) file: its header fields, where it sits in the file, and its block
/// (for a <c>response</c> record: the HTTP status line, headers and body, see <see cref="HttpResponse"/>).
/// </summary>
/// <remarks>
/// <see cref="Offset"/> and <see cref="Length"/> are positions in the file as stored: for a per-record
/// gzipped <c>.warc.gz</c> the start and compressed length of the record's gzip member, so that one ranged
/// read plus a gunzip gives the record back (FineMath's <c>warc_record_offset</c>/<c>warc_record_length</c>).
/// When a writer packed several records into one gzip member (<see cref="SharesGzipMember"/>), they all
/// report that member's offset and length.
/// </remarks>
public sealed class WarcRecord
{
    /// <summary><c>WARC/1.0</c>, <c>WARC/1.1</c>, <c>WARC/0.18</c>… or <c>ARC/1</c> for a legacy ARC record.</summary>
    public required string Version { get; init; }
    /// <summary>WARC-Type: <c>response</c>, <c>request</c>, <c>warcinfo</c>, <c>metadata</c>, <c>revisit</c>, <c>resource</c>… (lower case).</summary>
    public required string Type { get; init; }
    public required WarcHeaders Headers { get; init; }
    /// <summary>WARC-Target-URI, with the angle brackets some old writers (wget) put around it removed.</summary>
    public string? TargetUri { get; init; }
    /// <summary>WARC-Date when it parses as a date; null otherwise (ClueWeb09 writes dates like <c>2008-10-294T…</c>).</summary>
    public DateTimeOffset? Date { get; init; }
    public required long Offset { get; init; }
    public required long Length { get; init; }
    public bool SharesGzipMember { get; init; }
    /// <summary>The record's content block (Content-Length bytes).</summary>
    public required ReadOnlyMemory<byte> Block { get; init; }

    public string? RecordId => Headers["WARC-Record-ID"];
    /// <summary>The record's own Content-Type (e.g. <c>application/http; msgtype=response</c>).</summary>
    public string? ContentType => Headers["Content-Type"];

    /// <summary>Whether the block is an HTTP message (<c>response</c>/<c>request</c>/<c>revisit</c> with application/http, or an ARC record starting with a status line).</summary>
    public bool IsHttp =>
        ContentType is { } ct ? ct.StartsWith("application/http", StringComparison.OrdinalIgnoreCase)
        : Version.StartsWith("ARC", StringComparison.Ordinal) && Block.Span.StartsWith("HTTP/"u8);

    public override string ToString() => $"{Type} {TargetUri} @{Offset}+{Length}";
}
