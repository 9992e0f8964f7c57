using Parquet;
using Parquet.Schema;

namespace SharpLM.Data.Parquet;

/// <summary>
/// Reads text columns out of any Parquet file (FineMath rows, Hugging Face dataset shards), one row group
/// at a time so memory is bounded by the largest row group, not the file. Used by <c>data tokenize</c>
/// (the <c>text</c> column) and by evaluation's HF-Parquet loader (e.g. <c>question</c>, <c>answer</c>).
/// </summary>
/// <remarks>
/// Only flat (non-repeated) string columns are read; anything else is refused with the column's type.
/// A file that is not Parquet, is truncated or has a corrupt footer throws <see cref="SharpLMDataException"/>
/// naming the file, never a library exception.
/// </remarks>
/// <example>
/// <code>
/// foreach (var text in ParquetTextReader.ReadColumn("train-00000.parquet", "text")) Tokenize(text);
/// foreach (var row in ParquetTextReader.ReadColumns("test.parquet", ["question", "answer"])) Use(row[0], row[1]);
/// </code>
/// </example>
public static class ParquetTextReader
{
    /// <summary>Top-level column names of the file, in schema order.</summary>
    public static IReadOnlyList<string> ColumnNames(string path)
    {
        using var file = Open(path);
        return file.Reader.Schema.Fields.Select(f => f.Name).ToArray();
    }

    /// <summary>Total rows in the file (from the footer; nothing is decoded).</summary>
    public static long RowCount(string path)
    {
        using var file = Open(path);
        long n = 0;
        for (int i = 0; i < file.Reader.RowGroupCount; i++)
        {
            using var g = file.Reader.OpenRowGroupReader(i);
            n += g.RowCount;
        }
        return n;
    }

    /// <summary>The values of string column <paramref name="column"/>, in row order (null where the row has none).</summary>
    public static IEnumerable<string?> ReadColumn(string path, string column = "text")
    {
        foreach (var row in ReadColumns(path, [column])) yield return row[0];
    }

    /// <summary>The values of several string columns, one array per row in the order <paramref name="columns"/> names them.</summary>
    public static IEnumerable<string?[]> ReadColumns(string path, IReadOnlyList<string> columns)
    {
        if (columns.Count == 0) throw new ArgumentException("at least one column", nameof(columns));
        using var file = Open(path);
        var fields = columns.Select(c => FindStringField(file, path, c)).ToArray();
        for (int gi = 0; gi < file.Reader.RowGroupCount; gi++)
        {
            var values = new string?[fields.Length][];
            long rows;
            try
            {
                using var g = file.Reader.OpenRowGroupReader(gi);
                rows = g.RowCount;
                if (rows > int.MaxValue) throw new SharpLMDataException(path, $"row group {gi} has {rows} rows (more than this reader handles)");
                for (int c = 0; c < fields.Length; c++)
                {
                    var buffer = new string?[rows];
                    g.ReadAsync(fields[c], buffer.AsMemory()).GetAwaiter().GetResult();
                    values[c] = buffer;
                }
            }
            catch (Exception e) when (IsLibraryFailure(e))
            {
                throw new SharpLMDataException(path, $"cannot read row group {gi}: {e.Message}", inner: e);
            }
            for (int r = 0; r < rows; r++)
            {
                var row = new string?[fields.Length];
                for (int c = 0; c < fields.Length; c++) row[c] = values[c][r];
                yield return row;
            }
        }
    }

    static DataField FindStringField(OpenFile file, string path, string column)
    {
        var field = file.Reader.Schema.Fields.FirstOrDefault(f => f.Name == column)
            ?? throw new SharpLMDataException(path,
                $"no column '{column}' (columns: {string.Join(", ", file.Reader.Schema.Fields.Select(f => f.Name))})");
        if (field is not DataField data || data.MaxRepetitionLevel > 0)
            throw new SharpLMDataException(path, $"column '{column}' is a nested {field.SchemaType} column, not text");
        // Parquet.Net reports UTF-8 columns as string or, for files from other writers, ReadOnlyMemory<char>.
        if (data.ClrType != typeof(string) && data.ClrType != typeof(ReadOnlyMemory<char>))
            throw new SharpLMDataException(path, $"column '{column}' holds {data.ClrType.Name}, not text");
        return data;
    }

    sealed class OpenFile(FileStream stream, ParquetReader reader) : IDisposable
    {
        public ParquetReader Reader { get; } = reader;
        public void Dispose()
        {
            Reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
            stream.Dispose();
        }
    }

    static OpenFile Open(string path)
    {
        FileStream stream;
        try { stream = File.OpenRead(path); }
        catch (FileNotFoundException) { throw new SharpLMDataException(path, "file not found"); }
        catch (DirectoryNotFoundException) { throw new SharpLMDataException(path, "file not found"); }
        catch (UnauthorizedAccessException e) { throw new SharpLMDataException(path, "cannot open: " + e.Message); }
        try
        {
            CheckMagic(stream, path);
            // TreatByteArrayAsString: some writers store text as plain BYTE_ARRAY without the UTF8 annotation.
            var options = new ParquetOptions { TreatByteArrayAsString = true };
            var reader = ParquetReader.CreateAsync(stream, options, leaveStreamOpen: true).GetAwaiter().GetResult();
            return new OpenFile(stream, reader);
        }
        catch (SharpLMDataException)
        {
            stream.Dispose();
            throw;
        }
        catch (Exception e) when (IsLibraryFailure(e))
        {
            stream.Dispose();
            throw new SharpLMDataException(path, "not a readable Parquet file: " + e.Message, inner: e);
        }
    }

    // Parquet files begin and end with "PAR1"; checking both catches truncation before the library
    // tries to seek to a footer length read from garbage.
    static void CheckMagic(FileStream s, string path)
    {
        if (s.Length < 12) throw new SharpLMDataException(path, $"not a Parquet file ({s.Length} bytes, too short)");
        Span<byte> head = stackalloc byte[4], tail = stackalloc byte[8];
        s.ReadExactly(head);
        s.Seek(-8, SeekOrigin.End);
        s.ReadExactly(tail);
        s.Seek(0, SeekOrigin.Begin);
        if (!head.SequenceEqual("PAR1"u8)) throw new SharpLMDataException(path, "not a Parquet file (no PAR1 magic at the start)");
        if (!tail[4..].SequenceEqual("PAR1"u8)) throw new SharpLMDataException(path, "truncated Parquet file (no PAR1 magic at the end)");
        uint footer = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(tail);
        if (footer > s.Length - 12) throw new SharpLMDataException(path, $"corrupt Parquet footer (length {footer} > file size {s.Length})");
    }

    // The Parquet library throws many types on a malformed file (its own ThriftProtocolException, IO,
    // index and format errors...); inside the few library calls wrapped with this, any of them means the
    // file's bytes are bad. Cancellation is not a file problem.
    static bool IsLibraryFailure(Exception e) => e is not SharpLMDataException and not OperationCanceledException;
}
