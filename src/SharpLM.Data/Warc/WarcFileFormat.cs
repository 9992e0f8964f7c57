namespace SharpLM.Data.Warc;

/// <summary>How a record file is stored, detected from its first bytes (never from its name).</summary>
public enum WarcFileFormat
{
    /// <summary>Uncompressed WARC.</summary>
    Warc,
    /// <summary>Gzipped WARC, normally one gzip member per record.</summary>
    WarcGzip,
    /// <summary>Uncompressed legacy ARC (v1).</summary>
    Arc,
    /// <summary>Gzipped legacy ARC, one member per record.</summary>
    ArcGzip,
}
