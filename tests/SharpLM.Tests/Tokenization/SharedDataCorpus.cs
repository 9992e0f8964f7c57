using System.Text;
using System.Text.Json;

namespace SharpLM.Tests.Tokenization;

/// <summary>
/// The real text in ../shared/data as test strings: every string field of every JSONL record, text files in
/// ~4 KB chunks cut at line ends, and every HTML page both as source and as its visible text (tags, scripts
/// and styles removed; a crude extraction is enough here, the point is real-world text).
/// </summary>
public static class SharedDataCorpus
{
    /// <summary>Corpus files, relative to the shared data folder.</summary>
    public static IReadOnlyList<string> Files()
    {
        var root = TestPaths.SharedData;
        var files = new List<string>();
        foreach (var pattern in new[] { "*.jsonl", "*.txt", "*.html" })
            files.AddRange(Directory.EnumerateFiles(root, pattern, SearchOption.AllDirectories)
                .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}warc{Path.DirectorySeparatorChar}"))
                .Where(f => !Path.GetFileName(f).StartsWith("LICENSE", StringComparison.Ordinal))
                .Select(f => Path.GetRelativePath(root, f)));
        files.Sort(StringComparer.Ordinal);
        Assert.True(files.Count > 50, $"shared data looks incomplete: {files.Count} files under {root}");
        return files;
    }

    /// <summary>The test strings of one corpus file, in file order.</summary>
    public static IEnumerable<string> Texts(string relative)
    {
        string path = TestPaths.Shared(relative);
        // Lossy UTF-8: the same string goes to both tokenizers, so any replacement is harmless.
        string all = Encoding.UTF8.GetString(File.ReadAllBytes(path));
        if (relative.EndsWith(".jsonl", StringComparison.Ordinal))
        {
            foreach (var line in all.Split('\n'))
            {
                if (string.IsNullOrWhiteSpace(line)) continue;
                using var doc = JsonDocument.Parse(line);
                foreach (var s in Strings(doc.RootElement)) yield return s;
            }
        }
        else if (relative.EndsWith(".html", StringComparison.Ordinal))
        {
            foreach (var c in Chunks(all, 8192)) yield return c;
            foreach (var c in Chunks(VisibleText(all), 4096)) yield return c;
        }
        else
        {
            foreach (var c in Chunks(all, 4096)) yield return c;
        }
    }

    static IEnumerable<string> Strings(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.String: yield return e.GetString()!; break;
            case JsonValueKind.Object: foreach (var p in e.EnumerateObject()) foreach (var s in Strings(p.Value)) yield return s; break;
            case JsonValueKind.Array: foreach (var x in e.EnumerateArray()) foreach (var s in Strings(x)) yield return s; break;
        }
    }

    /// <summary>Pieces of about <paramref name="size"/> characters, each ending at a line end (or the text end).</summary>
    public static IEnumerable<string> Chunks(string text, int size)
    {
        int start = 0;
        while (start < text.Length)
        {
            int end = Math.Min(text.Length, start + size);
            if (end < text.Length)
            {
                int nl = text.IndexOf('\n', end);
                end = nl < 0 ? text.Length : nl + 1;
            }
            yield return text[start..end];
            start = end;
        }
    }

    static string VisibleText(string html)
    {
        // Drop <script>/<style> elements, then every tag; decode entities. Linear scans (no backtracking regex).
        var sb = new StringBuilder(html.Length);
        int i = 0;
        while (i < html.Length)
        {
            int lt = html.IndexOf('<', i);
            if (lt < 0) { sb.Append(html, i, html.Length - i); break; }
            sb.Append(html, i, lt - i).Append(' ');
            string? skipTo = StartsWithTag(html, lt, "script") ? "</script" : StartsWithTag(html, lt, "style") ? "</style" : null;
            int from = lt;
            if (skipTo is not null)
            {
                int close = html.IndexOf(skipTo, lt, StringComparison.OrdinalIgnoreCase);
                from = close < 0 ? html.Length : close;
            }
            int gt = from < html.Length ? html.IndexOf('>', from) : -1;
            i = gt < 0 ? html.Length : gt + 1;
        }
        return System.Net.WebUtility.HtmlDecode(sb.ToString());
    }

    static bool StartsWithTag(string html, int lt, string name) =>
        lt + 1 + name.Length <= html.Length
        && string.Compare(html, lt + 1, name, 0, name.Length, StringComparison.OrdinalIgnoreCase) == 0
        && (lt + 1 + name.Length == html.Length || !char.IsLetterOrDigit(html[lt + 1 + name.Length]));
}
