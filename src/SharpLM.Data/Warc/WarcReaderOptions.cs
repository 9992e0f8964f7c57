namespace SharpLM.Data.Warc;

/// <summary>Limits and checks of <see cref="WarcReader"/>. The defaults suit Common Crawl.</summary>
public sealed record WarcReaderOptions
{
    /// <summary>
    /// Largest record block kept in memory (decompressed). A larger record is skipped and counted as
    /// <c>too_large</c>; its bytes are read past, never buffered. Default 32 MiB.
    /// </summary>
    public int MaxRecordBytes { get; init; } = 32 << 20;

    /// <summary>
    /// Most bytes one gzip member may inflate to while the reader looks for its end. A member past this
    /// (a gzip bomb) is abandoned and the reader resynchronises on the next member. Default 1 GiB, which
    /// zlib inflates in well under a second.
    /// </summary>
    public long MaxMemberInflateBytes { get; init; } = 1L << 30;

    /// <summary>Largest WARC/HTTP header section accepted. Default 256 KiB.</summary>
    public int MaxHeaderBytes { get; init; } = 256 << 10;

    /// <summary>
    /// Verify <c>WARC-Block-Digest</c> (sha1, base32 or hex) and skip records whose digest does not match
    /// (<c>digest_mismatch</c>). Off by default, as in warcio: some crawlers (ClueWeb09) write wrong digests.
    /// </summary>
    public bool VerifyDigests { get; init; }

    public static WarcReaderOptions Default { get; } = new();
}
