using ParquetSharp;
using SharpLM.Data.Parquet;

namespace SharpLM.Data.Tests.Parquet;

/// <summary>
/// The writer and reader against an independent implementation: ParquetSharp (Apache Arrow's C++ Parquet)
/// reads what we write, and we read what it writes.
/// </summary>
[Trait("Category", "Oracle")]
public class FineMathParquetTests
{
    static FineMathRow Row(int i) => new()
    {
        Url = $"https://example.org/page/{i}",
        FetchTime = i % 3 == 0 ? null : 1_700_000_000L + i,
        ContentMimeType = "text/html",
        WarcFilename = "crawl/CC-MAIN-x.warc.gz",
        WarcRecordOffset = i * 1000,
        WarcRecordLength = 900 + i,
        Text = i == 2 ? "" : $"Page {i}: $\\frac{{1}}{{{i + 1}}}$ — ünïcödé ∑ 数学",
        TokenCount = i % 2 == 0 ? null : i * 10,
        CharCount = 40 + i,
        Metadata = "{\"extraction_info\":{\"math_annotations\":" + i + "}}",
        Score = i % 4 == 0 ? null : i * 0.5,
        IntScore = i % 4 == 0 ? null : i % 6,
        Crawl = i % 2 == 0 ? "CC-MAIN-2024-10" : null,
        SnapshotType = null,
        Language = "en",
        LanguageScore = 0.9 + i / 1000.0,
    };

    [Fact]
    public void ApacheParquetReadsEveryColumnWeWrite()
    {
        var dir = TestPaths.NewTempDir();
        var path = Path.Combine(dir, "out.parquet");
        var rows = Enumerable.Range(0, 37).Select(Row).ToArray();
        using (var w = new FineMathParquetWriter(path))
        {
            foreach (var r in rows) w.Write(r);
            w.Commit();
        }

        using var file = new ParquetFileReader(path);
        var names = Enumerable.Range(0, file.FileMetaData.Schema.NumColumns)
            .Select(c => file.FileMetaData.Schema.Column(c).Name).ToArray();
        Assert.Equal(FineMathSchema.ColumnNames, names);
        Assert.Equal(1, file.FileMetaData.NumRowGroups);
        using var g = file.RowGroup(0);
        int n = checked((int)g.MetaData.NumRows);
        Assert.Equal(rows.Length, n);
        string?[] Str(int c) => g.Column(c).LogicalReader<string?>().ReadAll(n);
        T[] Val<T>(int c) => g.Column(c).LogicalReader<T>().ReadAll(n);
        Assert.Equal(rows.Select(r => r.Url), Str(0));
        Assert.Equal(rows.Select(r => r.FetchTime), Val<long?>(1));
        Assert.Equal(rows.Select(r => r.ContentMimeType), Str(2));
        Assert.Equal(rows.Select(r => r.WarcFilename), Str(3));
        Assert.Equal(rows.Select(r => r.WarcRecordOffset), Val<int>(4));
        Assert.Equal(rows.Select(r => r.WarcRecordLength), Val<int>(5));
        Assert.Equal(rows.Select(r => r.Text), Str(6));
        Assert.Equal(rows.Select(r => r.TokenCount), Val<long?>(7));
        Assert.Equal(rows.Select(r => r.CharCount), Val<long>(8));
        Assert.Equal(rows.Select(r => r.Metadata), Str(9));
        Assert.Equal(rows.Select(r => r.Score), Val<double?>(10));
        Assert.Equal(rows.Select(r => r.IntScore), Val<long?>(11));
        Assert.Equal(rows.Select(r => r.Crawl), Str(12));
        Assert.Equal(rows.Select(r => r.SnapshotType), Str(13));
        Assert.Equal(rows.Select(r => r.Language), Str(14));
        Assert.Equal(rows.Select(r => r.LanguageScore), Val<double>(15));
    }

    [Fact]
    public void SameRowsGiveSameBytes()
    {
        var dir = TestPaths.NewTempDir();
        string Write(string name)
        {
            var p = Path.Combine(dir, name);
            using var w = new FineMathParquetWriter(p);
            for (int i = 0; i < 20; i++) w.Write(Row(i));
            w.Commit();
            return p;
        }
        Assert.Equal(File.ReadAllBytes(Write("a.parquet")), File.ReadAllBytes(Write("b.parquet")));
    }

    [Fact]
    public void UncommittedWriterLeavesNothingBehind()
    {
        var dir = TestPaths.NewTempDir();
        var path = Path.Combine(dir, "out.parquet");
        using (var w = new FineMathParquetWriter(path))
            w.Write(Row(1));
        Assert.Empty(Directory.GetFiles(dir));
    }

    [Fact]
    public void ReadsTextColumnsThatApacheParquetWrote()
    {
        var dir = TestPaths.NewTempDir();
        var path = Path.Combine(dir, "hf.parquet");
        // Like a Hugging Face dataset shard: several row groups, a null, an int column beside the text.
        var questions = Enumerable.Range(0, 250).Select(i => i == 7 ? null : $"Q{i}: what is {i}+{i}? ∫ éè").ToArray();
        var answers = Enumerable.Range(0, 250).Select(i => $"#### {2 * i}").ToArray();
        using (var w = new ParquetFileWriter(path, new Column[] { new Column<string>("question"), new Column<long>("idx"), new Column<string>("answer") }))
        {
            for (int start = 0; start < 250; start += 100)
            {
                int len = Math.Min(100, 250 - start);
                using var rg = w.AppendRowGroup();
                using (var c = rg.NextColumn().LogicalWriter<string?>()) c.WriteBatch(questions.AsSpan(start, len).ToArray());
                using (var c = rg.NextColumn().LogicalWriter<long>()) c.WriteBatch(Enumerable.Range(start, len).Select(i => (long)i).ToArray());
                using (var c = rg.NextColumn().LogicalWriter<string>()) c.WriteBatch(answers.AsSpan(start, len).ToArray());
            }
            w.Close();
        }

        Assert.Equal(["question", "idx", "answer"], ParquetTextReader.ColumnNames(path));
        Assert.Equal(250, ParquetTextReader.RowCount(path));
        Assert.Equal(questions, ParquetTextReader.ReadColumn(path, "question"));
        var both = ParquetTextReader.ReadColumns(path, ["answer", "question"]).ToArray();
        Assert.Equal(answers, both.Select(r => r[0]));
        Assert.Equal(questions, both.Select(r => r[1]));

        var e = Assert.Throws<SharpLMDataException>(() => ParquetTextReader.ReadColumn(path, "idx").ToList());
        Assert.Contains("holds Int64", e.Message);
        e = Assert.Throws<SharpLMDataException>(() => ParquetTextReader.ReadColumn(path, "text").ToList());
        Assert.Contains("no column 'text' (columns: question, idx, answer)", e.Message);
    }

    [Fact]
    public void BadFilesGiveAClearError()
    {
        var dir = TestPaths.NewTempDir();
        var good = Path.Combine(dir, "good.parquet");
        using (var w = new FineMathParquetWriter(good))
        {
            for (int i = 0; i < 30; i++) w.Write(Row(i));
            w.Commit();
        }
        var bytes = File.ReadAllBytes(good);

        var notParquet = Path.Combine(dir, "x.parquet");
        File.WriteAllText(notParquet, "this is a text file, long enough to be checked");
        Assert.Contains("no PAR1 magic at the start", Assert.Throws<SharpLMDataException>(() => ParquetTextReader.ReadColumn(notParquet).ToList()).Message);

        var truncated = Path.Combine(dir, "t.parquet");
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<SharpLMDataException>(() => ParquetTextReader.ReadColumn(truncated).ToList());
        Assert.StartsWith(truncated + ": truncated Parquet file", e.Message);

        // Footer length pointing outside the file.
        var badFooter = (byte[])bytes.Clone();
        BitConverter.TryWriteBytes(badFooter.AsSpan(badFooter.Length - 8, 4), int.MaxValue);
        var bf = Path.Combine(dir, "f.parquet");
        File.WriteAllBytes(bf, badFooter);
        Assert.Contains("corrupt Parquet footer", Assert.Throws<SharpLMDataException>(() => ParquetTextReader.ReadColumn(bf).ToList()).Message);

        // Garbage in the middle (column data and footer bytes flipped): a clear error or valid strings, never a crash.
        var rng = new Random(7);
        for (int trial = 0; trial < 20; trial++)
        {
            var corrupt = (byte[])bytes.Clone();
            for (int k = 0; k < 8; k++) corrupt[4 + rng.Next(corrupt.Length - 12)] ^= (byte)(1 + rng.Next(255));
            var cp = Path.Combine(dir, $"c{trial}.parquet");
            File.WriteAllBytes(cp, corrupt);
            try { ParquetTextReader.ReadColumn(cp).ToList(); }
            catch (SharpLMDataException ex) { Assert.StartsWith(cp + ": ", ex.Message); }
        }

        Assert.Contains("file not found", Assert.Throws<SharpLMDataException>(() => ParquetTextReader.ColumnNames(Path.Combine(dir, "missing.parquet"))).Message);
    }
}
