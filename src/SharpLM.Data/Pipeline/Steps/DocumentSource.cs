using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using SharpLM.Data.Warc;

namespace SharpLM.Data.Pipeline.Steps;

/// <summary>
/// The reader at the head of a rank's pipeline: WARC/ARC files yield one document per HTML response
/// (HTTP 2xx, Content-Type text/html or application/xhtml+xml), JSONL files one document per line
/// (<c>text</c>, optional <c>url</c>/<c>id</c>, already extracted). Records that are not pages are counted
/// by kind; bad records and unreadable files are counted by reason and skipped.
/// </summary>
public sealed partial class DocumentSource(IReadOnlyList<InputFile> files, PipelineConfig config, RankProgress progress, Action<string> log)
{
    public const string StepName = "reader";

    [GeneratedRegex(@"CC-MAIN-\d{4}-\d{2}")]
    private static partial Regex CrawlId();

    public IEnumerable<Document> Read(StepStats stats)
    {
        stats.Step = StepName;
        long doneBytes = 0, emitted = 0;
        foreach (var file in files)
        {
            IEnumerable<Document> docs = InputFiles.IsJsonl(file.Path) ? ReadJsonl(file, stats) : ReadWarc(file, stats, doneBytes);
            foreach (var d in docs)
            {
                if (config.Limit > 0 && emitted >= config.Limit) yield break;
                emitted++;
                stats.Out++;
                progress.AddPage();
                yield return d;
            }
            doneBytes += file.Bytes;
            progress.Bytes = doneBytes;
            stats.Count("files");
        }
    }

    IEnumerable<Document> ReadWarc(InputFile file, StepStats stats, long doneBytes)
    {
        WarcReader reader;
        try
        {
            reader = new WarcReader(file.Path, new WarcReaderOptions { MaxRecordBytes = config.MaxRecordBytes });
        }
        catch (SharpLMDataException e)
        {
            stats.Drop("file_unreadable");
            log($"{e.Message} (file skipped)");
            yield break;
        }
        using (reader)
        {
            string? crawl = CrawlId().Match(file.Name) is { Success: true } m ? m.Value : null;
            foreach (var record in reader.Records())
            {
                progress.Bytes = doneBytes + record.Offset;
                stats.In++;
                if (record.Type == "warcinfo" && crawl is null && Encoding.UTF8.GetString(record.Block.Span) is var info && CrawlId().Match(info) is { Success: true } c)
                    crawl = c.Value;
                if (ToDocument(file, record, crawl, stats) is { } doc) yield return doc;
            }
            foreach (var (reason, n) in reader.Stats.SkippedByReason)
            {
                stats.In += n;
                stats.Drop("warc:" + reason, n);
            }
        }
    }

    Document? ToDocument(InputFile file, WarcRecord record, string? crawl, StepStats stats)
    {
        ReadOnlyMemory<byte> body;
        string? contentType;
        string? mime;
        if (record.Type == "response" && record.IsHttp)
        {
            if (!HttpResponse.TryParse(record.Block, out var http, out var failure, config.MaxRecordBytes))
            {
                stats.Drop("http:" + failure);
                return null;
            }
            if (http!.StatusCode is < 200 or > 299)
            {
                stats.Drop($"http_status_{http.StatusCode / 100}xx");
                return null;
            }
            body = http.Body;
            contentType = http.ContentType;
            mime = http.MimeType ?? PayloadType(record);
        }
        else if (record.Type is "resource" or "response")
        {
            body = record.Block;
            contentType = record.ContentType;
            mime = contentType?.Split(';')[0].Trim().ToLowerInvariant();
        }
        else
        {
            stats.Count("record:" + record.Type);
            stats.In--; // not a page: counted by kind, not as a drop
            return null;
        }
        if (mime is not ("text/html" or "application/xhtml+xml"))
        {
            stats.Drop("not_html");
            return null;
        }
        if (record.TargetUri is not { Length: > 0 } url)
        {
            stats.Drop("no_url");
            return null;
        }
        if (record.Offset > int.MaxValue || record.Length > int.MaxValue)
        {
            // FineMath's schema stores offsets as int32; a page past 2 GiB cannot be addressed in it.
            stats.Drop("offset_beyond_int32");
            return null;
        }
        return new Document
        {
            Url = url, Source = file.Name, Offset = record.Offset, Length = record.Length, RecordId = record.RecordId,
            FetchTime = record.Date, ContentMimeType = mime, Crawl = crawl, Body = body, ContentTypeHeader = contentType,
        };
    }

    static string? PayloadType(WarcRecord r) => r.Headers["WARC-Identified-Payload-Type"]?.Split(';')[0].Trim().ToLowerInvariant();

    IEnumerable<Document> ReadJsonl(InputFile file, StepStats stats)
    {
        using var stream = File.OpenRead(file.Path);
        long offset = 0;
        int lineNo = 0;
        foreach (var (line, bytes) in Lines(stream))
        {
            lineNo++;
            long start = offset;
            offset += bytes;
            if (string.IsNullOrWhiteSpace(line)) continue;
            stats.In++;
            JsonElement o;
            try { o = JsonDocument.Parse(line).RootElement; }
            catch (JsonException)
            {
                stats.Drop("jsonl:invalid_json");
                log($"{file.Path}:{lineNo}: invalid JSON (line skipped)");
                continue;
            }
            if (o.ValueKind != JsonValueKind.Object || !o.TryGetProperty("text", out var t) || t.ValueKind != JsonValueKind.String)
            {
                stats.Drop("jsonl:no_text");
                continue;
            }
            string url = o.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString()!
                : $"{file.Name}#{lineNo}";
            if (start > int.MaxValue) { stats.Drop("offset_beyond_int32"); continue; }
            yield return new Document
            {
                Url = url, Source = file.Name, Offset = start, Length = bytes,
                RecordId = o.TryGetProperty("id", out var id) ? id.ToString() : null,
                ContentMimeType = "text/plain", Text = t.GetString()!,
            };
        }
    }

    /// <summary>Lines with their byte lengths (including the newline), so that offsets address the file.</summary>
    static IEnumerable<(string Line, long Bytes)> Lines(Stream s)
    {
        var buffer = new MemoryStream();
        int b;
        var bs = new BufferedStream(s, 1 << 16);
        while ((b = bs.ReadByte()) >= 0)
        {
            buffer.WriteByte((byte)b);
            if (b == '\n')
            {
                yield return (Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length), buffer.Length);
                buffer.SetLength(0);
            }
        }
        if (buffer.Length > 0) yield return (Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length), buffer.Length);
    }
}
