using Parquet;
using SharpLM.IO;

namespace SharpLM.Data.Parquet;

/// <summary>
/// Writes <see cref="FineMathRow"/>s to a Parquet file atomically: rows stream into a temp file beside the
/// target in row groups, and only <see cref="Commit"/> renames it into place. Disposing without committing
/// leaves the target untouched (a killed pipeline rank never leaves a truncated Parquet file behind).
/// </summary>
/// <remarks>
/// Output is deterministic: same rows in, same bytes out (no timestamps in the file). A row group is cut
/// every <see cref="RowGroupRows"/> rows or once its text passes <see cref="RowGroupTextBytes"/>, whichever
/// comes first, so memory stays bounded whatever the page sizes.
/// </remarks>
public sealed class FineMathParquetWriter : IDisposable
{
    /// <summary>Rows per row group at most.</summary>
    public const int RowGroupRows = 50_000;
    /// <summary>UTF-16 characters of text per row group at most (about 64 MiB of ASCII text as UTF-16).</summary>
    public const long RowGroupTextBytes = 32L << 20;

    readonly AtomicWriter _file;
    readonly ParquetWriter _writer;
    readonly List<FineMathRow> _pending = [];
    long _pendingChars;
    bool _done;

    public string Path { get; }
    public long RowsWritten { get; private set; }

    public FineMathParquetWriter(string path, CompressionMethod compression = CompressionMethod.Snappy)
    {
        Path = path;
        _file = AtomicFile.Create(path);
        try
        {
            var options = new ParquetOptions { CompressionMethod = compression };
            _writer = ParquetWriter.CreateAsync(FineMathSchema.Schema, _file.Stream, options).GetAwaiter().GetResult();
        }
        catch
        {
            _file.Dispose();
            throw;
        }
    }

    public void Write(FineMathRow row)
    {
        ObjectDisposedException.ThrowIf(_done, this);
        _pending.Add(row);
        _pendingChars += row.Text.Length;
        if (_pending.Count >= RowGroupRows || _pendingChars >= RowGroupTextBytes) FlushRowGroup();
    }

    /// <summary>Writes the remaining rows and the footer, then renames the file into place.</summary>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_done, this);
        // An empty file still gets one empty row group's worth of schema: readers see zero rows, not an error.
        if (_pending.Count > 0) FlushRowGroup();
        _writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _done = true;
        _file.Commit();
    }

    public void Dispose()
    {
        if (_done) return;
        _done = true;
        try { _writer.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
        catch (IOException) { } // the temp file is deleted below anyway
        _file.Dispose();
    }

    void FlushRowGroup()
    {
        var rows = _pending;
        using (var g = _writer.CreateRowGroup())
        {
            Strings(g, FineMathSchema.Url, rows, r => r.Url);
            Values(g, FineMathSchema.FetchTime, rows, r => r.FetchTime);
            Strings(g, FineMathSchema.ContentMimeType, rows, r => r.ContentMimeType);
            Strings(g, FineMathSchema.WarcFilename, rows, r => r.WarcFilename);
            Values(g, FineMathSchema.WarcRecordOffset, rows, r => r.WarcRecordOffset);
            Values(g, FineMathSchema.WarcRecordLength, rows, r => r.WarcRecordLength);
            Strings(g, FineMathSchema.Text, rows, r => r.Text);
            Values(g, FineMathSchema.TokenCount, rows, r => r.TokenCount);
            Values(g, FineMathSchema.CharCount, rows, r => r.CharCount);
            Strings(g, FineMathSchema.Metadata, rows, r => r.Metadata);
            Values(g, FineMathSchema.Score, rows, r => r.Score);
            Values(g, FineMathSchema.IntScore, rows, r => r.IntScore);
            Strings(g, FineMathSchema.Crawl, rows, r => r.Crawl);
            Strings(g, FineMathSchema.SnapshotType, rows, r => r.SnapshotType);
            Strings(g, FineMathSchema.Language, rows, r => r.Language);
            Values(g, FineMathSchema.LanguageScore, rows, r => r.LanguageScore);
        }
        RowsWritten += rows.Count;
        _pending.Clear();
        _pendingChars = 0;
    }

    static void Strings(ParquetRowGroupWriter g, global::Parquet.Schema.DataField<string> f, List<FineMathRow> rows, Func<FineMathRow, string?> get)
    {
        var a = new string[rows.Count];
        for (int i = 0; i < a.Length; i++) a[i] = get(rows[i])!;
        g.WriteAsync(f, a).GetAwaiter().GetResult();
    }

    static void Values<T>(ParquetRowGroupWriter g, global::Parquet.Schema.DataField<T> f, List<FineMathRow> rows, Func<FineMathRow, T> get) where T : struct
    {
        var a = new T[rows.Count];
        for (int i = 0; i < a.Length; i++) a[i] = get(rows[i]);
        g.WriteAsync<T>(f, a.AsMemory()).GetAwaiter().GetResult();
    }

    static void Values<T>(ParquetRowGroupWriter g, global::Parquet.Schema.DataField<T?> f, List<FineMathRow> rows, Func<FineMathRow, T?> get) where T : struct
    {
        var a = new T?[rows.Count];
        for (int i = 0; i < a.Length; i++) a[i] = get(rows[i]);
        g.WriteAsync<T>(f, (ReadOnlyMemory<T?>)a.AsMemory()).GetAwaiter().GetResult();
    }
}
