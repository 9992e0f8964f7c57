using System.IO.Compression;
using System.Text;
using SharpLM.Data.Warc;

namespace SharpLM.Data.Tests.Warc;

/// <summary>
/// The WARC/ARC reader on every fixture in shared/data/warc. Expected offsets and lengths were derived
/// independently with Python's zlib (walking gzip members with decompressobj().unused_data) and a plain
/// Content-Length scan, and from resiliparse's own test expectations (block-sized-records).
/// </summary>
public class WarcReaderTests
{
    static string Fixture(string name) => TestPaths.Shared("warc/" + name);

    static (List<WarcRecord> Records, WarcReader Reader) ReadAll(string path, WarcReaderOptions? options = null)
    {
        var reader = new WarcReader(path, options);
        var records = reader.Records().ToList();
        reader.Dispose();
        return (records, reader);
    }

    // file, format, records read, skipped by reason ("" = none)
    [Theory]
    [InlineData("jwarc/cc.warc.gz", WarcFileFormat.WarcGzip, 1, "")]
    [InlineData("jwarc/gzip_extra_sl.warc.gz", WarcFileFormat.WarcGzip, 1, "")]
    [InlineData("resiliparse/block-sized-records.warc", WarcFileFormat.Warc, 3, "")]
    [InlineData("resiliparse/block-sized-records.warc.gz", WarcFileFormat.WarcGzip, 3, "")]
    [InlineData("resiliparse/clipped.warc.gz", WarcFileFormat.WarcGzip, 0, "truncated:1")]
    [InlineData("resiliparse/clueweb-quirk.warc.gz", WarcFileFormat.WarcGzip, 30, "")]
    [InlineData("resiliparse/warcfile.warc", WarcFileFormat.Warc, 50, "")]
    [InlineData("resiliparse/warcfile.warc.gz", WarcFileFormat.WarcGzip, 50, "")]
    [InlineData("warcio/bad.arc", WarcFileFormat.Arc, 1, "malformed_arc_header:3")]
    [InlineData("warcio/example-bad-non-chunked.warc.gz", WarcFileFormat.WarcGzip, 6, "")]
    [InlineData("warcio/example-bad.warc.gz.bad", WarcFileFormat.WarcGzip, 6, "")]
    [InlineData("warcio/example-digest.warc", WarcFileFormat.Warc, 4, "")]
    [InlineData("warcio/example-iana.org-chunked.warc", WarcFileFormat.Warc, 3, "")]
    [InlineData("warcio/example-resource.warc.gz", WarcFileFormat.WarcGzip, 3, "")]
    [InlineData("warcio/example-space-in-target-uri.warc.gz", WarcFileFormat.WarcGzip, 2, "")]
    [InlineData("warcio/example-space-in-url.arc", WarcFileFormat.Arc, 1, "truncated:1")]
    [InlineData("warcio/example-trunc.warc", WarcFileFormat.Warc, 3, "bad_content_length:1")]
    [InlineData("warcio/example-wget-bad-target-uri.warc.gz", WarcFileFormat.WarcGzip, 6, "")]
    [InlineData("warcio/example-wrong-chunks.warc.gz", WarcFileFormat.WarcGzip, 2, "")]
    [InlineData("warcio/example.arc", WarcFileFormat.Arc, 2, "")]
    [InlineData("warcio/example.arc.gz", WarcFileFormat.ArcGzip, 2, "")]
    [InlineData("warcio/example.warc", WarcFileFormat.Warc, 6, "")]
    [InlineData("warcio/example.warc.gz", WarcFileFormat.WarcGzip, 6, "")]
    [InlineData("warcio/post-test.warc.gz", WarcFileFormat.WarcGzip, 6, "")]
    public void EveryFixtureReadsOrSkipsWithAReason(string file, WarcFileFormat format, int records, string skipped)
    {
        var (recs, reader) = ReadAll(Fixture(file));
        Assert.Equal(format, reader.Format);
        Assert.Equal(records, recs.Count);
        Assert.Equal(records, reader.Stats.Records);
        Assert.Equal(skipped, string.Join(",", reader.Stats.SkippedByReason.OrderBy(k => k.Key).Select(k => $"{k.Key}:{k.Value}")));
        // Every record's address is inside the file and records do not overlap (except a shared member).
        long fileLength = new FileInfo(Fixture(file)).Length;
        long lastEnd = 0;
        foreach (var r in recs)
        {
            Assert.InRange(r.Offset, 0, fileLength - 1);
            Assert.InRange(r.Offset + r.Length, r.Offset + 1, fileLength);
            if (!r.SharesGzipMember) Assert.True(r.Offset >= lastEnd, $"{r} overlaps the previous record");
            lastEnd = r.Offset + r.Length;
        }
    }

    [Fact]
    public void EveryFixtureFileIsCovered()
    {
        // A new fixture in shared/data/warc must be added to the theory above.
        var covered = typeof(WarcReaderTests).GetMethod(nameof(EveryFixtureReadsOrSkipsWithAReason))!
            .GetCustomAttributes(typeof(InlineDataAttribute), false).Cast<InlineDataAttribute>()
            .Select(a => (string)a.GetData(null!).First()[0]).ToHashSet();
        var root = TestPaths.Shared("warc");
        var files = Directory.GetFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f))
            .Where(f => !f.EndsWith("LICENSE", StringComparison.Ordinal) && !f.EndsWith(".md", StringComparison.Ordinal));
        Assert.Equal([], files.Where(f => !covered.Contains(f)).ToArray());
    }

    [Fact]
    public void GzipOffsetsAreMemberStartsAndLengthsMemberSizes()
    {
        // Python: zlib.decompressobj(31) walk over the file.
        var (recs, _) = ReadAll(Fixture("resiliparse/warcfile.warc.gz"));
        Assert.Equal([0L, 481, 940, 11845, 12265, 12685, 31493, 31915], recs.Take(8).Select(r => r.Offset));
        Assert.Equal([481L, 459, 10905, 420, 420, 18808, 422, 438], recs.Take(8).Select(r => r.Length));
        Assert.Equal(new FileInfo(Fixture("resiliparse/warcfile.warc.gz")).Length, recs.Sum(r => r.Length));
        Assert.Equal(16, recs.Count(r => r.Type == "response"));
        Assert.Equal(17, recs.Count(r => r.Type == "request"));
        Assert.Equal(16, recs.Count(r => r.Type == "metadata"));

        (recs, _) = ReadAll(Fixture("warcio/example.warc.gz"));
        Assert.Equal([0L, 353, 784, 2012, 2621, 3207], recs.Select(r => r.Offset));
        Assert.Equal(["warcinfo", "warcinfo", "response", "request", "revisit", "request"], recs.Select(r => r.Type));

        // resiliparse's test_warc.py: record starts 0, 204, 409 in the .gz and 0, 16386, 32772 in the plain file.
        (recs, _) = ReadAll(Fixture("resiliparse/block-sized-records.warc.gz"));
        Assert.Equal([0L, 204, 409], recs.Select(r => r.Offset));
        (recs, _) = ReadAll(Fixture("resiliparse/block-sized-records.warc"));
        Assert.Equal([0L, 16386, 32772], recs.Select(r => r.Offset));
        Assert.All(recs, r => Assert.Equal("WARC/1.1", r.Version));
    }

    [Fact]
    public void PlainAndGzipCopiesOfTheSameCaptureGiveTheSameRecords()
    {
        var (plain, _) = ReadAll(Fixture("resiliparse/warcfile.warc"));
        var (gz, _) = ReadAll(Fixture("resiliparse/warcfile.warc.gz"));
        Assert.Equal(plain.Select(r => (r.Type, r.TargetUri, r.RecordId)), gz.Select(r => (r.Type, r.TargetUri, r.RecordId)));
        for (int i = 0; i < plain.Count; i++) Assert.True(plain[i].Block.Span.SequenceEqual(gz[i].Block.Span));
        Assert.Equal([0L, 764, 1428, 38592, 39175, 39775, 145267, 145850], plain.Take(8).Select(r => r.Offset));
    }

    [Fact]
    public void HeaderQuirksOfRealCrawlers()
    {
        // wget writes WARC-Target-URI as <http://…>.
        var (recs, _) = ReadAll(Fixture("warcio/example-wget-bad-target-uri.warc.gz"));
        Assert.Equal("http://example.com/", recs.First(r => r.Type == "response").TargetUri);
        // ClueWeb09: WARC/0.18 and an impossible date (day 294).
        (recs, _) = ReadAll(Fixture("resiliparse/clueweb-quirk.warc.gz"));
        Assert.All(recs, r => Assert.Equal("WARC/0.18", r.Version));
        Assert.All(recs, r => Assert.Null(r.Date));
        // Common Crawl: a good date.
        (recs, _) = ReadAll(Fixture("jwarc/cc.warc.gz"));
        Assert.Equal("http://commoncrawl.org/", recs[0].TargetUri);
        Assert.NotNull(recs[0].Date);
        // ARC: URL with spaces is taken whole; date is 14 digits.
        (recs, _) = ReadAll(Fixture("warcio/example.arc"));
        Assert.Equal(("response", "http://example.com/"), (recs[1].Type, recs[1].TargetUri));
        Assert.Equal(new DateTimeOffset(2014, 2, 16, 5, 2, 21, TimeSpan.Zero), recs[1].Date);
        (recs, _) = ReadAll(Fixture("warcio/example-space-in-target-uri.warc.gz"));
        Assert.Contains(recs, r => r.TargetUri is { } u && u.Contains(' '));
    }

    [Fact]
    public void DigestsAreCheckedWhenAsked()
    {
        // warcio's test expects exactly one bad digest in example-digest.warc.
        var (recs, reader) = ReadAll(Fixture("warcio/example-digest.warc"), new WarcReaderOptions { VerifyDigests = true });
        Assert.Equal(3, recs.Count);
        Assert.Equal(1, reader.Stats.SkippedByReason["digest_mismatch"]);
        (recs, reader) = ReadAll(Fixture("resiliparse/warcfile.warc.gz"), new WarcReaderOptions { VerifyDigests = true });
        Assert.Equal(50, recs.Count);
        Assert.Equal("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", WarcDigest.Base32(new byte[20]));
    }

    [Fact]
    public void HttpResponsesParseWithChunkingAndEncodings()
    {
        var (recs, _) = ReadAll(Fixture("warcio/example-iana.org-chunked.warc"));
        Assert.True(HttpResponse.TryParse(recs.Single(r => r.Type == "response").Block, out var http, out var failure), failure);
        Assert.Equal(200, http!.StatusCode);
        Assert.Equal("text/html", http.MimeType);
        // Python: manual de-chunking of the same bytes gives 7223 bytes, <!doctype html> … </html>\n.
        Assert.Equal(7223, http.Body.Length);
        Assert.StartsWith("<!doctype html>", Encoding.UTF8.GetString(http.Body.Span));
        Assert.EndsWith("</html>\n", Encoding.UTF8.GetString(http.Body.Span));

        // ClueWeb keeps "Content-Encoding: gzip" over a decoded body, and a charset in the header.
        (recs, _) = ReadAll(Fixture("resiliparse/clueweb-quirk.warc.gz"));
        Assert.True(HttpResponse.TryParse(recs[1].Block, out http, out failure), failure);
        Assert.Equal("EUC-JP", http!.Charset);
        Assert.StartsWith("<html>", Encoding.ASCII.GetString(http.Body.Span[..6]));

        // A really gzipped body is inflated.
        var html = "<html><body>" + string.Concat(Enumerable.Repeat("x² + y² = z² ", 200)) + "</body></html>";
        var gz = new MemoryStream();
        using (var z = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true)) z.Write(Encoding.UTF8.GetBytes(html));
        var msg = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=\"utf-8\"\r\nContent-Encoding: gzip\r\n\r\n").Concat(gz.ToArray()).ToArray();
        Assert.True(HttpResponse.TryParse(msg, out http, out failure), failure);
        Assert.Equal(html, Encoding.UTF8.GetString(http!.Body.Span));
        Assert.Equal("utf-8", http.Charset);
        // ... but not past the body limit (a gzip bomb inside HTTP).
        Assert.False(HttpResponse.TryParse(msg, out _, out failure, maxBodyBytes: 1000));
        Assert.Equal("too_large", failure);

        Assert.False(HttpResponse.TryParse(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"), out _, out failure));
        Assert.Equal("bad_chunked", failure);
        Assert.False(HttpResponse.TryParse(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nff\r\nabc\r\n0\r\n\r\n"), out _, out failure));
        Assert.Equal("bad_chunked", failure);
        Assert.True(HttpResponse.TryParse(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: 1\r\n\r\n"), out http, out failure), failure);
        Assert.Equal("abcde", Encoding.ASCII.GetString(http!.Body.Span));
        Assert.False(HttpResponse.TryParse(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\n\r\n"), out _, out failure));
        Assert.Equal("malformed_http", failure);
    }

    [Fact]
    public void NotAWarcFileIsAClearError()
    {
        var dir = TestPaths.NewTempDir();
        var text = Path.Combine(dir, "notes.warc");
        File.WriteAllText(text, "hello, this is not a WARC file\n");
        var e = Assert.Throws<SharpLMDataException>(() => new WarcReader(text));
        Assert.StartsWith(text + ": not a WARC or ARC file", e.Message);
        var gz = Path.Combine(dir, "x.gz");
        using (var f = File.Create(gz))
        using (var z = new GZipStream(f, CompressionLevel.Fastest)) z.Write("just text"u8);
        Assert.Contains("does not contain WARC or ARC records", Assert.Throws<SharpLMDataException>(() => new WarcReader(gz)).Message);
        var empty = Path.Combine(dir, "empty.warc");
        File.WriteAllBytes(empty, []);
        Assert.Contains("empty file", Assert.Throws<SharpLMDataException>(() => new WarcReader(empty)).Message);
        Assert.Contains("file not found", Assert.Throws<SharpLMDataException>(() => new WarcReader(Path.Combine(dir, "missing.warc"))).Message);
    }

    static byte[] Gzip(byte[] data)
    {
        var ms = new MemoryStream();
        using (var z = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) z.Write(data);
        return ms.ToArray();
    }

    static byte[] Record(string uri, byte[] block, string type = "resource") =>
        Encoding.ASCII.GetBytes($"WARC/1.0\r\nWARC-Type: {type}\r\nWARC-Target-URI: {uri}\r\nContent-Type: text/html\r\nContent-Length: {block.Length}\r\n\r\n")
            .Concat(block).Concat("\r\n\r\n"u8.ToArray()).ToArray();

    [Fact]
    public void GzipBombsAndHugeRecordsAreSkippedAndTheRestIsRead()
    {
        var dir = TestPaths.NewTempDir();
        var path = Path.Combine(dir, "hostile.warc.gz");
        var good1 = Gzip(Record("http://a/", "<p>first</p>"u8.ToArray()));
        // A bomb: a member that inflates to 64 MiB of zeros (about 64 KiB compressed).
        var bombData = Record("http://bomb/", new byte[64 << 20]);
        var bomb = Gzip(bombData);
        // A record larger than the record limit but within the inflate limit.
        var big = Gzip(Record("http://big/", Encoding.ASCII.GetBytes(new string('a', 3 << 20))));
        var corrupt = Gzip(Record("http://corrupt/", "<p>corrupt</p>"u8.ToArray()));
        corrupt[corrupt.Length / 2] ^= 0x55;
        corrupt[corrupt.Length / 2 + 1] ^= 0xAA;
        var good2 = Gzip(Record("http://b/", "<p>second</p>"u8.ToArray()));
        File.WriteAllBytes(path, [.. good1, .. bomb, .. big, .. corrupt, .. good2]);

        var options = new WarcReaderOptions { MaxRecordBytes = 1 << 20, MaxMemberInflateBytes = 16 << 20 };
        var (recs, reader) = ReadAll(path, options);
        Assert.Equal(["http://a/", "http://b/"], recs.Select(r => r.TargetUri));
        Assert.Equal(good1.Length + bomb.Length + big.Length + corrupt.Length, recs[1].Offset);
        Assert.Equal(good2.Length, recs[1].Length);
        Assert.Equal(1, reader.Stats.SkippedByReason["gzip_bomb"]);
        Assert.Equal(1, reader.Stats.SkippedByReason["too_large"]);
        Assert.Equal(1, reader.Stats.SkippedByReason.GetValueOrDefault("gzip_corrupt") + reader.Stats.SkippedByReason.GetValueOrDefault("malformed_header"));
    }

    [Fact]
    public void HugePlainRecordIsSkippedWithoutBeingBuffered()
    {
        var dir = TestPaths.NewTempDir();
        var path = Path.Combine(dir, "big.warc");
        File.WriteAllBytes(path, [.. Record("http://a/", "x"u8.ToArray()), .. Record("http://big/", new byte[3 << 20]), .. Record("http://b/", "y"u8.ToArray())]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var (recs, reader) = ReadAll(path, new WarcReaderOptions { MaxRecordBytes = 1 << 20 });
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(["http://a/", "http://b/"], recs.Select(r => r.TargetUri));
        Assert.Equal(1, reader.Stats.SkippedByReason["too_large"]);
        Assert.True(allocated < 2 << 20, $"allocated {allocated} bytes reading past a 3 MiB record");
    }

    [Fact]
    public void TruncatedAndCorruptedCopiesNeverThrowOrHang()
    {
        // Every prefix length class and random byte flips of a real CC slice: the reader ends, throws only
        // SharpLMDataException (at open, when the start is destroyed), and reads no more records than the original.
        var dir = TestPaths.NewTempDir();
        var rng = new Random(1234);
        foreach (var name in new[] { "resiliparse/warcfile.warc.gz", "resiliparse/warcfile.warc", "warcio/example.arc.gz" })
        {
            var bytes = File.ReadAllBytes(Fixture(name));
            int full = ReadAll(Fixture(name)).Records.Count;
            for (int trial = 0; trial < 24; trial++)
            {
                byte[] mutated = trial < 12
                    ? bytes[..rng.Next(1, bytes.Length)]
                    : Flip((byte[])bytes.Clone(), rng);
                var p = Path.Combine(dir, $"m{trial}-{Path.GetFileName(name)}");
                File.WriteAllBytes(p, mutated);
                try
                {
                    var (recs, reader) = ReadAll(p);
                    Assert.True(recs.Count <= full + 1, $"{p}: {recs.Count} records from a damaged copy of {full}");
                    if (trial < 12 && mutated.Length < bytes.Length) Assert.True(recs.Count < full || reader.Stats.Skipped == 0);
                }
                catch (SharpLMDataException e)
                {
                    Assert.StartsWith(p, e.Message);
                }
            }
        }

        static byte[] Flip(byte[] b, Random rng)
        {
            for (int k = 0; k < 6; k++) b[rng.Next(b.Length)] ^= (byte)(1 + rng.Next(255));
            return b;
        }
    }
}
