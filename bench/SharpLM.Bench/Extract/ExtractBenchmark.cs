using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using SharpLM.Data.Html;
using SharpLM.Data.Warc;

namespace SharpLM.Bench.Extract;

/// <summary>
/// <c>extract</c>: pages per second per core (one thread) of main-content extraction for SharpLM's
/// <see cref="MathTextExtractor"/>, SmartReader 0.11.1 and Mozilla Readability 0.6.0 on jsdom (run by node in
/// the same benchmark run), on the same decoded pages: the 44 html-readability pages, the 11 html-math
/// pages, and the HTML responses of the Common Crawl WARC samples. SharpLM and SmartReader rounds are
/// interleaved so machine noise hits both alike. Time covers parsing + extraction from the decoded string
/// (decoding the bytes is not timed for anyone).
/// </summary>
public static class ExtractBenchmark
{
    public static int Run(string[] args)
    {
        int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
        var shared = SharedData();
        var sets = new List<(string Name, List<string> Pages)>
        {
            ("html-readability", Directory.GetDirectories(Path.Combine(shared, "html-readability", "pages")).Order(StringComparer.Ordinal)
                .Select(d => Decode(File.ReadAllBytes(Path.Combine(d, "source.html")), null)).ToList()),
            ("html-math", Directory.GetDirectories(Path.Combine(shared, "html-math", "pages")).Order(StringComparer.Ordinal)
                .Select(d => Decode(File.ReadAllBytes(Path.Combine(d, "source.html")), null)).ToList()),
            ("cc-warc", new[] { "warc/jwarc/cc.warc.gz", "warc/resiliparse/warcfile.warc.gz" }
                .SelectMany(f => HtmlResponses(Path.Combine(shared, f))).ToList()),
        };

        Console.WriteLine($"extract benchmark: {rounds} timed rounds after a warm-up, one thread, {Environment.ProcessorCount} cores visible");
        var node = RunReadabilityJs(sets, rounds);
        var rows = new List<string>();
        foreach (var (name, pages) in sets)
        {
            var ours = new MathTextExtractor();
            foreach (var p in pages) { ours.Run(p); SmartReaderExtract(p); } // warm-up (JIT, caches)
            double tOurs = 0, tPeer = 0;
            for (int r = 0; r < rounds; r++)
            {
                var sw = Stopwatch.StartNew();
                foreach (var p in pages) ours.Run(p);
                tOurs += sw.Elapsed.TotalSeconds;
                sw.Restart();
                foreach (var p in pages) SmartReaderExtract(p);
                tPeer += sw.Elapsed.TotalSeconds;
            }
            int n = pages.Count * rounds;
            double ourRate = n / tOurs, peerRate = n / tPeer;
            double? jsRate = node is not null && node.RootElement.TryGetProperty(name, out var js) ? js.GetProperty("pages").GetDouble() / js.GetProperty("seconds").GetDouble() : null;
            long bytes = pages.Sum(p => (long)Encoding.UTF8.GetByteCount(p));
            rows.Add(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {pages.Count} | {bytes / 1024.0 / pages.Count:F0} KiB | {ourRate:F1} | {peerRate:F1} | {(jsRate is { } j ? j.ToString("F1", CultureInfo.InvariantCulture) : "n/a")} | {ourRate / peerRate:F2}× | {(jsRate is { } j2 ? (ourRate / j2).ToString("F2", CultureInfo.InvariantCulture) + "×" : "n/a")} |"));
        }
        Console.WriteLine();
        Console.WriteLine("| pages | n | mean size | SharpLM pages/s | SmartReader 0.11.1 pages/s | Readability.js 0.6.0 + jsdom pages/s | SharpLM ÷ SmartReader | SharpLM ÷ Readability.js |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var r in rows) Console.WriteLine(r);
        return 0;
    }

    static string Decode(byte[] bytes, string? contentType) => HtmlCharset.Decode(bytes, contentType).Text;

    /// <summary>The decoded HTML bodies of a WARC's <c>response</c> records, read with the pipeline's <see cref="WarcReader"/>.</summary>
    static List<string> HtmlResponses(string path)
    {
        var pages = new List<string>();
        using var reader = new WarcReader(path);
        foreach (var r in reader.Records())
        {
            if (r.Type != "response" || !HttpResponse.TryParse(r.Block, out var http, out _)) continue;
            if (http!.MimeType is not ("text/html" or "application/xhtml+xml")) continue;
            if (HtmlCharset.TryDecode(http.Body.Span, http.ContentType, r.TargetUri, out var d, out _)) pages.Add(d!.Text);
        }
        return pages;
    }

    static int SmartReaderExtract(string html)
    {
        var article = new SmartReader.Reader("http://fakehost/test/page.html", html).GetArticle();
        return article.TextContent?.Length ?? 0;
    }

    /// <summary>Runs readability-peer/run.mjs over the same pages (written as UTF-8 files); null with a note when node or its packages are missing.</summary>
    static JsonDocument? RunReadabilityJs(List<(string Name, List<string> Pages)> sets, int rounds)
    {
        var peerDir = Path.Combine(BenchSupport.RepoRoot(), "bench", "SharpLM.Bench", "Extract", "readability-peer");
        if (!Directory.Exists(Path.Combine(peerDir, "node_modules", "jsdom")))
        {
            Console.WriteLine($"installing the Readability.js peer: npm ci in {peerDir}");
            if (RunProcess("npm", "ci --no-audit --no-fund --loglevel=error", peerDir, out _) != 0)
            {
                Console.WriteLine("Readability.js peer unavailable (npm ci failed); its column is n/a");
                return null;
            }
        }
        var tmp = Path.Combine(Path.GetTempPath(), "sharplm-extract-bench-" + Environment.ProcessId);
        Directory.CreateDirectory(tmp);
        try
        {
            var manifest = new Dictionary<string, List<string>>();
            foreach (var (name, pages) in sets)
            {
                var files = new List<string>();
                for (int i = 0; i < pages.Count; i++)
                {
                    var f = Path.Combine(tmp, $"{name}-{i:D3}.html");
                    File.WriteAllText(f, pages[i], new UTF8Encoding(false));
                    files.Add(f);
                }
                manifest[name] = files;
            }
            var manifestPath = Path.Combine(tmp, "manifest.json");
            File.WriteAllText(manifestPath, JsonSerializer.Serialize(new Dictionary<string, object> { ["sets"] = manifest, ["rounds"] = rounds }));
            if (RunProcess("node", $"run.mjs \"{manifestPath}\"", peerDir, out var stdout) != 0)
            {
                Console.WriteLine("Readability.js peer failed; its column is n/a");
                return null;
            }
            return JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
        }
        finally
        {
            Directory.Delete(tmp, recursive: true);
        }
    }

    static int RunProcess(string file, string arguments, string workingDirectory, out string stdout)
    {
        var psi = new ProcessStartInfo(file, arguments) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = false };
        using var p = Process.Start(psi)!;
        stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode;
    }

    static string SharedData()
    {
        var env = Environment.GetEnvironmentVariable("SHARPLM_SHARED_DATA");
        if (!string.IsNullOrEmpty(env)) return env;
        var root = BenchSupport.RepoRoot();
        foreach (var c in new[] { Path.Combine(root, "..", "shared", "data"), Path.Combine(root, "shared", "data") })
            if (Directory.Exists(c)) return Path.GetFullPath(c);
        throw new DirectoryNotFoundException("shared/data not found beside the checkout (set SHARPLM_SHARED_DATA)");
    }
}
