using Parquet;

namespace SharpLM.Data.Parquet;

/// <summary>
/// Reads <see cref="FineMathRow"/>s back from a file written by <see cref="FineMathParquetWriter"/> (the
/// pipeline's later stages read its earlier stages' output this way), one row group at a time.
/// </summary>
public static class FineMathParquetReader
{
    public static IEnumerable<FineMathRow> Read(string path)
    {
        if (!File.Exists(path)) throw new SharpLMDataException(path, "file not found");
        var names = ParquetTextReader.ColumnNames(path);
        if (!names.SequenceEqual(FineMathSchema.ColumnNames))
            throw new SharpLMDataException(path, $"not a FineMath-schema file (columns: {string.Join(", ", names)})");
        return ReadRows(path);
    }

    static IEnumerable<FineMathRow> ReadRows(string path)
    {
        using var stream = File.OpenRead(path);
        ParquetReader reader;
        try { reader = ParquetReader.CreateAsync(stream, leaveStreamOpen: true).GetAwaiter().GetResult(); }
        catch (Exception e) when (e is not OperationCanceledException) { throw new SharpLMDataException(path, "not a readable Parquet file: " + e.Message, inner: e); }
        try
        {
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                FineMathRow[] rows;
                try { rows = ReadGroup(reader, g); }
                catch (Exception e) when (e is not OperationCanceledException and not SharpLMDataException)
                {
                    throw new SharpLMDataException(path, $"cannot read row group {g}: {e.Message}", inner: e);
                }
                foreach (var r in rows) yield return r;
            }
        }
        finally
        {
            reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    static FineMathRow[] ReadGroup(ParquetReader reader, int g)
    {
        using var rg = reader.OpenRowGroupReader(g);
        int n = checked((int)rg.RowCount);
        string?[] Str(global::Parquet.Schema.DataField f) { var a = new string?[n]; rg.ReadAsync(f, a.AsMemory()).GetAwaiter().GetResult(); return a; }
        T[] Val<T>(global::Parquet.Schema.DataField f) where T : struct { var a = new T[n]; rg.ReadAsync<T>(f, a.AsMemory()).GetAwaiter().GetResult(); return a; }
        T?[] Opt<T>(global::Parquet.Schema.DataField f) where T : struct { var a = new T?[n]; rg.ReadAsync<T>(f, a.AsMemory()).GetAwaiter().GetResult(); return a; }
        var url = Str(FineMathSchema.Url); var fetch = Opt<long>(FineMathSchema.FetchTime); var mime = Str(FineMathSchema.ContentMimeType);
        var file = Str(FineMathSchema.WarcFilename); var off = Val<int>(FineMathSchema.WarcRecordOffset); var len = Val<int>(FineMathSchema.WarcRecordLength);
        var text = Str(FineMathSchema.Text); var tokens = Opt<long>(FineMathSchema.TokenCount); var chars = Val<long>(FineMathSchema.CharCount);
        var meta = Str(FineMathSchema.Metadata); var score = Opt<double>(FineMathSchema.Score); var intScore = Opt<long>(FineMathSchema.IntScore);
        var crawl = Str(FineMathSchema.Crawl); var snap = Str(FineMathSchema.SnapshotType); var lang = Str(FineMathSchema.Language); var langScore = Val<double>(FineMathSchema.LanguageScore);
        var rows = new FineMathRow[n];
        for (int i = 0; i < n; i++)
            rows[i] = new FineMathRow
            {
                Url = url[i] ?? "", FetchTime = fetch[i], ContentMimeType = mime[i], WarcFilename = file[i] ?? "", WarcRecordOffset = off[i],
                WarcRecordLength = len[i], Text = text[i] ?? "", TokenCount = tokens[i], CharCount = chars[i], Metadata = meta[i] ?? "{}",
                Score = score[i], IntScore = intScore[i], Crawl = crawl[i], SnapshotType = snap[i], Language = lang[i] ?? "", LanguageScore = langScore[i],
            };
        return rows;
    }
}
