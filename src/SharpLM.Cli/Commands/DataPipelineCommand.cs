using System.Globalization;
using System.Text.Json;
using SharpLM.Cli.CommandLine;
using SharpLM.Data;
using SharpLM.Data.Decontam;
using SharpLM.Data.Pipeline;
using SharpLM.Data.Pipeline.Executors;
using SharpLM.Diagnostics;
using SharpLM.IO;

namespace SharpLM.Cli.Commands;

/// <summary>
/// <c>sharplm data pipeline --config pipeline.json</c> (or flags): the FineMath-style pipeline from WARC files
/// to score-subset Parquet files, locally or on Slurm, resumable. Also the worker entry point
/// (<c>--run-rank STAGE:RANK</c>) that executors start.
/// </summary>
public static class DataPipelineCommand
{
    public const string Usage = """
        usage: sharplm data pipeline --config pipeline.json [options]
               sharplm data pipeline --input PATH... --output DIR [options]

        WARC/ARC (or JSONL text) → math prefilter → extraction → language → quality → classifier score
        → MinHash dedup → decontamination → Parquet subsets (3plus/, 4plus/) with FineMath's schema.
        Rerun the same command to resume: completed ranks are skipped. Options override the config file:
          --input PATH...         files, folders or globs (.warc .warc.gz .arc .arc.gz .jsonl)
          --output DIR            output folder
          --tasks N               ranks per stage (files[rank::N]); fixed for the life of an output folder
          --workers N             ranks run at once (local: worker processes; 1 = this process)
          --executor local|slurm  --wait  (slurm: wait for the jobs and print the summary)
          --limit N               stop each rank after N pages (quick tries)
          --classifier DIR        trained by 'sharplm data train-classifier'; without it: one subset 'all'
          --thresholds 3,4        int_score subsets
          --tokenizer SOURCE      fills token_count (tokenizer.json, tokenizer.model, model folder or GGUF); default null
          --recall-domains FILE   pages of these domains skip the prefilter (recall_domains.txt of a previous run)
          --prefilter owm|none    --language en[,fr…]  --min-language-score X  --max-record-bytes N
          --no-dedup  --bands N  --rows N  --shingle N     MinHash-LSH (default 1 band × 10 rows, word 5-grams)
          --decontam NAME=PATH    benchmark test file (JSONL/Parquet; gsm8k → question, math → problem); repeatable
        """;

    public static int Run(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h")) { Console.WriteLine(Usage); return 0; }
        var a = CommandArgs.Parse(args,
            valued: ["--config", "--output", "--tasks", "--workers", "--executor", "--limit", "--classifier", "--tokenizer", "--thresholds",
                "--recall-domains", "--prefilter", "--language", "--min-language-score", "--max-record-bytes", "--bands", "--rows",
                "--shingle", "--decontam", "--run-rank"],
            flags: ["--no-dedup", "--wait"], multi: ["--input"]);
        a.NoMorePositionalThan(0);

        if (a.String("--run-rank") is { } runRank) return RunWorker(a.RequiredString("--config"), runRank);

        var config = BuildConfig(a);
        var job = new PipelineJob(config);
        var worker = WorkerCommand.ForCurrentProcess(typeof(DataPipelineCommand).Assembly.Location);
        Console.Error.WriteLine($"pipeline: {job.Files.Count} input files, {config.Tasks} tasks, {config.Workers} workers, output {job.Layout.Root}");
        if (config.Classifier is null)
            Console.Error.WriteLine("pipeline: no classifier given: pages are not scored and every kept page goes to 'all/' (no 3plus/4plus)");
        if (config.Executor == "slurm")
        {
            var slurm = new SlurmExecutor(job, worker, s => Console.Error.WriteLine("pipeline: " + s));
            var ids = slurm.Submit();
            if (!(config.Slurm.Wait || a.Flag("--wait")))
            {
                Console.Error.WriteLine(ids.Count == 0 ? "pipeline: nothing to do (every rank is complete)"
                    : $"pipeline: submitted; logs in {job.Layout.Logs}; run the same command with --wait to wait, or again later to resume");
                return 0;
            }
            slurm.Wait(ids, Program.Cancellation);
        }
        else
        {
            new LocalExecutor(job, worker, stage => new ProgressReporter("pipeline " + stage, 0, stage == JobLayout.Extract ? "pages" : "rows"))
                .Run(Program.Cancellation);
        }
        var stats = JsonSerializer.Deserialize(File.ReadAllText(job.Layout.StatsJson), DataJsonContext.Default.ListRankStats)!;
        Console.Write(PipelineSummary.Format(stats, job.Layout, JobLayout.SubsetNames(config)));
        return 0;
    }

    static int RunWorker(string executorJson, string spec)
    {
        var parts = spec.Split(':');
        if (parts.Length != 2 || !JobLayout.Stages.Contains(parts[0]) || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int rank))
            throw new UsageException($"--run-rank '{spec}' is not STAGE:RANK (stages: {string.Join(", ", JobLayout.Stages)})");
        var job = new PipelineJob(PipelineConfig.Load(executorJson));
        var progress = new RankProgress();
        var path = job.Layout.Progress(parts[0], rank);
        void Save() => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(progress, DataJsonContext.Default.RankProgress));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using (new Timer(_ => { try { Save(); } catch (IOException) { } }, null, 1000, 1000))
            job.RunRank(parts[0], rank, progress, Program.Cancellation);
        Save();
        return 0;
    }

    static PipelineConfig BuildConfig(CommandArgs a)
    {
        var cwd = Directory.GetCurrentDirectory();
        var c = a.String("--config") is { } file ? PipelineConfig.Load(file) : new PipelineConfig();
        string Abs(string p) => Path.GetFullPath(p, cwd);
        if (a.Strings("--input") is { Count: > 0 } inputs) c = c with { Inputs = inputs.Select(Abs).ToArray() };
        if (a.String("--output") is { } o) c = c with { Output = Abs(o) };
        c = c with
        {
            Tasks = a.Int("--tasks", c.Tasks),
            Workers = a.Int("--workers", c.Workers),
            Executor = a.String("--executor") ?? c.Executor,
            Limit = a.Long("--limit", c.Limit),
            MaxRecordBytes = a.Int("--max-record-bytes", c.MaxRecordBytes),
            Prefilter = a.String("--prefilter") ?? c.Prefilter,
        };
        if (a.String("--classifier") is { } cl) c = c with { Classifier = Abs(cl) };
        if (a.String("--tokenizer") is { } tk) c = c with { Tokenizer = Abs(tk) };
        if (a.String("--recall-domains") is { } rd) c = c with { RecallDomains = Abs(rd) };
        if (a.String("--thresholds") is { } th)
            c = c with { Thresholds = th.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(t => int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : throw new UsageException($"--thresholds: '{t}' is not an integer")).ToArray() };
        if (a.String("--language") is { } lang) c = c with { Language = c.Language with { Keep = lang.Split(',', StringSplitOptions.RemoveEmptyEntries) } };
        if (a.OptionalDouble("--min-language-score") is { } ms) c = c with { Language = c.Language with { MinScore = ms } };
        if (a.Flag("--no-dedup")) c = c with { Dedup = c.Dedup with { Enabled = false } };
        c = c with { Dedup = c.Dedup with { Bands = a.Int("--bands", c.Dedup.Bands), Rows = a.Int("--rows", c.Dedup.Rows), ShingleWords = a.Int("--shingle", c.Dedup.ShingleWords) } };
        if (a.Strings("--decontam") is { Count: > 0 } decontam)
            c = c with
            {
                Decontam = c.Decontam with
                {
                    Benchmarks = decontam.Select(d => d.Split('=', 2) is [var name, var path] && name.Length > 0
                        ? new BenchmarkSource { Name = name, Path = Abs(path) }
                        : throw new UsageException($"--decontam '{d}' is not NAME=PATH")).ToArray(),
                },
            };
        c.Validate(a.String("--config") ?? "options");
        return c;
    }
}
