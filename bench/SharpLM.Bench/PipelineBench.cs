using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using SharpLM.Data;
using SharpLM.Data.Classifier;
using SharpLM.Data.Decontam;
using SharpLM.Data.Pipeline;
using SharpLM.Data.Pipeline.Executors;
using SharpLM.Data.Warc;
using static SharpLM.Bench.BenchSupport;

namespace SharpLM.Bench;

/// <summary>
/// <c>pipeline</c>: pages per second per core of the whole data pipeline (read → prefilter → extract →
/// language → quality → classifier → MinHash → dedup → decontamination → Parquet) on real Common Crawl
/// records, single-threaded in-process, CPU time measured. The WARC reading stage is compared with the
/// floor it cannot beat: .NET's GZipStream inflating the same file (the "peer" ratio).
/// </summary>
/// <remarks>
/// Inputs are the CC samples of shared/data/warc repeated to a measurable size (gzip members concatenate):
/// jwarc/cc.warc.gz (one commoncrawl.org page) and resiliparse/warcfile.warc.gz (a CC-MAIN-2020-34 slice,
/// 16 HTML responses). Each configuration runs three times; medians are reported.
/// </remarks>
public static class PipelineBench
{
    public static int Run(string[] args)
    {
        string data = Option(args, "--data") ?? Environment.GetEnvironmentVariable("SHARPLM_SHARED_DATA") ?? FindSharedData();
        int repeat = int.Parse(Option(args, "--repeat") ?? "400", CultureInfo.InvariantCulture);
        var work = Path.Combine(Path.GetTempPath(), "sharplm-bench-pipeline-" + Environment.ProcessId);
        Directory.CreateDirectory(work);
        try
        {
            var classifier = TrainClassifier(data, Path.Combine(work, "classifier"));
            var inputs = new[]
            {
                ("jwarc/cc.warc.gz", repeat),
                ("resiliparse/warcfile.warc.gz", Math.Max(1, repeat / 16)),
            };
            Console.WriteLine($"pipeline benchmark — 1 thread, in-process, medians of 3; {Environment.ProcessorCount} cores visible");
            Console.WriteLine();
            Console.WriteLine("| input | pages | prefilter | wall s | cpu s | pages/s | pages/s/core | kept |");
            Console.WriteLine("|---|---:|---|---:|---:|---:|---:|---:|");
            var warcRows = new List<string>();
            foreach (var (name, times) in inputs)
            {
                var file = Repeat(Path.Combine(data, "warc", name), times, work);
                foreach (var prefilter in new[] { "owm", "none" })
                {
                    var runs = Enumerable.Range(0, 3).Select(i => RunPipeline(file, classifier, data, prefilter, Path.Combine(work, $"out-{Path.GetFileName(file)}-{prefilter}-{i}"))).ToList();
                    var m = runs.OrderBy(r => r.Cpu).ElementAt(1);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {name} ×{times} | {m.Pages} | {prefilter} | {m.Wall:F2} | {m.Cpu:F2} | {m.Pages / m.Wall:F0} | {m.Pages / m.Cpu:F0} | {m.Kept} |"));
                }
                var (ours, inflate, mb, records) = Enumerable.Range(0, 3).Select(_ => ReadWarc(file)).OrderBy(r => r.Ours).ElementAt(1);
                warcRows.Add(string.Create(CultureInfo.InvariantCulture,
                    $"| {name} ×{times} | {mb:F1} | {records} | {mb / ours:F0} | {mb / inflate:F0} | {inflate / ours:F2} |"));
            }
            Console.WriteLine();
            Console.WriteLine("WARC reading (records + HTTP parsing) vs GZipStream inflating the same file (decompressed MB per CPU second):");
            Console.WriteLine();
            Console.WriteLine("| input | MB inflated | records | WarcReader MB/s | GZipStream MB/s | ratio |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|");
            foreach (var r in warcRows) Console.WriteLine(r);
            return 0;
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
    }

    sealed record Result(long Pages, long Kept, double Wall, double Cpu);

    static Result RunPipeline(string file, string classifier, string data, string prefilter, string output)
    {
        var config = new PipelineConfig
        {
            Inputs = [file], Output = output, Tasks = 1, Prefilter = prefilter, Classifier = classifier, Thresholds = [3, 4],
            Decontam = new DecontamOptions
            {
                Benchmarks =
                [
                    new BenchmarkSource { Name = "gsm8k", Path = Path.Combine(data, "gsm8k", "test.jsonl") },
                    new BenchmarkSource { Name = "math", Path = Path.Combine(data, "math", "test.jsonl") },
                ],
            },
        };
        var job = new PipelineJob(config);
        // Load the classifier and build the benchmark index outside the timed region (one-off per process, ~1 s).
        job.Prepare();
        job.LoadModels();
        var self = Process.GetCurrentProcess();
        var cpu0 = self.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        new LocalExecutor(job, null, null).Run();
        wall.Stop();
        self.Refresh();
        var cpu = (self.TotalProcessorTime - cpu0).TotalSeconds;
        var stats = JsonSerializer.Deserialize(File.ReadAllText(job.Layout.StatsJson), DataJsonContext.Default.ListRankStats)!;
        long pages = stats[0].Steps.First(s => s.Step == "reader").Out;
        long kept = stats.First(s => s.Stage == JobLayout.Finalize).Steps.First(s => s.Step == "decontamination").Out;
        return new Result(pages, kept, wall.Elapsed.TotalSeconds, cpu);
    }

    static (double Ours, double Inflate, double Mb, long Records) ReadWarc(string file)
    {
        var self = Process.GetCurrentProcess();
        var cpu = self.TotalProcessorTime;
        long records = 0, bytes = 0;
        using (var r = new WarcReader(file))
            foreach (var rec in r.Records())
            {
                records++;
                bytes += rec.Block.Length;
                if (rec.Type == "response" && rec.IsHttp) HttpResponse.TryParse(rec.Block, out _, out _);
            }
        self.Refresh();
        double ours = (self.TotalProcessorTime - cpu).TotalSeconds;
        cpu = self.TotalProcessorTime;
        long inflated = 0;
        using (var f = File.OpenRead(file))
        using (var z = new GZipStream(f, CompressionMode.Decompress))
        {
            var buf = new byte[1 << 16];
            int n;
            while ((n = z.Read(buf)) > 0) inflated += n;
        }
        self.Refresh();
        return (ours, (self.TotalProcessorTime - cpu).TotalSeconds, inflated / 1e6, records);
    }

    static string Repeat(string source, int times, string work)
    {
        var path = Path.Combine(work, $"{Path.GetFileNameWithoutExtension(Path.GetFileNameWithoutExtension(source))}-x{times}.warc.gz");
        var bytes = File.ReadAllBytes(source);
        using var f = File.Create(path);
        for (int i = 0; i < times; i++) f.Write(bytes);
        return path;
    }

    /// <summary>A quick classifier for the benchmark: real pages labelled by source (MATH 4.5, GSM8K 3.5, Open Logic 2.5, Shakespeare 0).</summary>
    static string TrainClassifier(string data, string dir)
    {
        var pages = new List<AnnotatedPage>();
        foreach (var l in File.ReadLines(Path.Combine(data, "math", "test.jsonl")).Take(200))
        {
            var o = JsonDocument.Parse(l).RootElement;
            pages.Add(new(o.GetProperty("problem").GetString() + "\n" + o.GetProperty("solution").GetString(), 4.5));
        }
        foreach (var l in File.ReadLines(Path.Combine(data, "gsm8k", "train.jsonl")).Take(200))
        {
            var o = JsonDocument.Parse(l).RootElement;
            pages.Add(new(o.GetProperty("question").GetString() + "\n" + o.GetProperty("answer").GetString(), 3.5));
        }
        var tex = File.ReadAllText(Path.Combine(data, "text-corpus", "openlogic.tex.txt"));
        var play = File.ReadAllText(Path.Combine(data, "text-corpus", "tinyshakespeare.txt"));
        for (int i = 0; i < 200; i++)
        {
            pages.Add(new(tex.Substring(i * 12_000, 1500), 2.5));
            pages.Add(new(play.Substring(i * 5_000, 1500), 0));
        }
        ClassifierTrainer.Train(pages, new TrainerOptions { Epochs = 4 }).Save(dir);
        return dir;
    }
}
