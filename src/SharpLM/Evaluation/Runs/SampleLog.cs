using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using SharpLM.Evaluation.Data;

namespace SharpLM.Evaluation.Runs;

/// <summary>
/// The append-only per-sample JSONL of a run. Each finished sample is appended and flushed to disk, so a run
/// killed at any moment loses at most the line being written; <see cref="Open"/> drops such a torn last line and
/// returns the records already there, which a resumed run does not recompute.
/// </summary>
public sealed class SampleLog : IDisposable
{
    /// <summary>JSON options shared by every file the evaluator writes: readable LaTeX and Unicode (no \uXXXX for '+', '&lt;').</summary>
    public static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    readonly FileStream _stream;
    public string Path { get; }

    SampleLog(string path, FileStream stream)
    {
        Path = path;
        _stream = stream;
    }

    /// <summary>Opens (creating if needed) <paramref name="path"/> and returns the complete records already in it.</summary>
    public static (SampleLog Log, List<JsonlLine> Existing) Open(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        var existing = new List<JsonlLine>();
        if (File.Exists(full))
        {
            TruncateTornTail(full);
            existing.AddRange(JsonlFile.Read(full));
        }
        var stream = new FileStream(full, FileMode.Append, FileAccess.Write, FileShare.Read, 1 << 16);
        return (new SampleLog(full, stream), existing);
    }

    /// <summary>A kill during a write leaves a last line without its newline: cut it off.</summary>
    static void TruncateTornTail(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        long len = fs.Length;
        if (len == 0) return;
        fs.Seek(-1, SeekOrigin.End);
        if (fs.ReadByte() == '\n') return;
        // scan back to the previous newline
        const int chunk = 1 << 16;
        var buf = new byte[chunk];
        long pos = len;
        while (pos > 0)
        {
            int n = (int)Math.Min(chunk, pos);
            pos -= n;
            fs.Seek(pos, SeekOrigin.Begin);
            fs.ReadExactly(buf, 0, n);
            int nl = Array.LastIndexOf(buf, (byte)'\n', n - 1);
            if (nl >= 0) { fs.SetLength(pos + nl + 1); return; }
        }
        fs.SetLength(0);
    }

    /// <summary>Appends records (one JSON object per line) and flushes them to disk.</summary>
    public void Append(IEnumerable<Action<Utf8JsonWriter>> records)
    {
        using var ms = new MemoryStream();
        foreach (var write in records)
        {
            using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Encoder = Encoder }))
                write(w);
            ms.WriteByte((byte)'\n');
        }
        _stream.Write(ms.GetBuffer(), 0, (int)ms.Length);
        _stream.Flush(flushToDisk: true);
    }

    public void Dispose() => _stream.Dispose();

    /// <summary>The per-sample file that goes with a summary path: <c>results.json</c> → <c>results.samples.jsonl</c>.</summary>
    public static string PathFor(string summaryPath)
    {
        var ext = System.IO.Path.GetExtension(summaryPath);
        var stem = ext.Equals(".json", StringComparison.OrdinalIgnoreCase) ? summaryPath[..^ext.Length] : summaryPath;
        return stem + ".samples.jsonl";
    }

    /// <summary>A short stable fingerprint (hex of SHA-256) of run settings.</summary>
    public static string Fingerprint(params string[] parts)
    {
        var bytes = Encoding.UTF8.GetBytes(string.Join("\u001f", parts));
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes))[..16];
    }
}
