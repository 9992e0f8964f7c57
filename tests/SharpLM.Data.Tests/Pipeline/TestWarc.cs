using System.IO.Compression;
using System.Text;

namespace SharpLM.Data.Tests.Pipeline;

/// <summary>Writes per-record gzipped WARC files of HTTP responses for pipeline tests.</summary>
internal static class TestWarc
{
    public sealed record Page(string Url, byte[] Body, string ContentType = "text/html; charset=utf-8", int Status = 200);

    public static Page Html(string url, string html) => new(url, Encoding.UTF8.GetBytes(html));

    public static byte[] Record(Page p)
    {
        var http = Encoding.ASCII.GetBytes($"HTTP/1.1 {p.Status} {(p.Status == 200 ? "OK" : "Moved")}\r\nContent-Type: {p.ContentType}\r\nContent-Length: {p.Body.Length}\r\n\r\n")
            .Concat(p.Body).ToArray();
        var head = Encoding.ASCII.GetBytes(
            $"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: {p.Url}\r\nWARC-Date: 2024-03-01T12:00:00Z\r\n" +
            $"WARC-Record-ID: <urn:uuid:{Guid.NewGuid()}>\r\nContent-Type: application/http; msgtype=response\r\nContent-Length: {http.Length}\r\n\r\n");
        return [.. head, .. http, .. "\r\n\r\n"u8];
    }

    public static byte[] Gzip(byte[] data)
    {
        var ms = new MemoryStream();
        using (var z = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) z.Write(data);
        return ms.ToArray();
    }

    public static void Write(string path, IEnumerable<Page> pages, IEnumerable<byte[]>? extraMembers = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var f = File.Create(path);
        foreach (var p in pages) f.Write(Gzip(Record(p)));
        foreach (var m in extraMembers ?? []) f.Write(m);
    }

    /// <summary>The real math pages of shared/data/html-math (each page folder's source.html or first .html).</summary>
    public static List<(string Name, string Html)> MathPages()
    {
        var root = TestPaths.Shared("html-math/pages");
        return Directory.GetDirectories(root).Order(StringComparer.Ordinal)
            .Select(d => (Path.GetFileName(d), Directory.GetFiles(d, "*.html").Order(StringComparer.Ordinal).First()))
            .Select(x => (x.Item1, File.ReadAllText(x.Item2))).ToList();
    }

    /// <summary>Real non-math article pages of shared/data/html-readability.</summary>
    public static List<(string Name, string Html)> ArticlePages(params string[] names) =>
        names.Select(n => (n, File.ReadAllText(Path.Combine(TestPaths.Shared("html-readability/pages"), n, "source.html")))).ToList();
}
