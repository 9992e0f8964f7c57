using System.Diagnostics;
using System.Text.Json;
using SharpLM.Data.Classifier;
using SharpLM.Data.Decontam;
using SharpLM.Data.Dedup;
using SharpLM.Data.DomainRecall;
using SharpLM.Data.Parquet;
using SharpLM.Data.Pipeline.Steps;
using SharpLM.IO;

namespace SharpLM.Data.Pipeline;

/// <summary>
/// One pipeline run: its config, its output layout and the code of every (stage, rank). Executors decide
/// where and when ranks run; they all funnel into <see cref="RunRank"/> (datatrove's <c>_run_for_rank</c>),
/// which skips a rank whose completion marker exists, redoes an unfinished one from scratch, writes its
/// outputs atomically, then its stats, then — last — its marker.
/// </summary>
/// <remarks>
/// Stages: <c>extract</c> (tasks ranks: read → prefilter → extract → LaTeX check → language → quality →
/// classifier → MinHash signatures, rows to work/extract/docs), <c>dedup</c> (1 rank: LSH over all
/// signatures, domain recall), <c>finalize</c> (tasks ranks: drop duplicates, decontaminate, write the
/// score subsets), <c>merge</c> (1 rank: stats.json).
/// </remarks>
public sealed class PipelineJob
{
    public PipelineConfig Config { get; }
    public JobLayout Layout { get; }
    public IReadOnlyList<InputFile> Files { get; }
    readonly Func<Action<string>, IPageExtractor> _extractor;
    readonly Lazy<LinearScoreModel?> _model;
    readonly Lazy<Tokenization.Gemma3Tokenizer?> _tokenizer;
    readonly Lazy<Decontaminator?> _decontaminator;

    /// <param name="config">A validated config with absolute paths.</param>
    /// <param name="extractor">Makes the HTML extractor for a rank (given the rank's log); defaults to <see cref="HtmlPageExtractor"/>.</param>
    public PipelineJob(PipelineConfig config, Func<Action<string>, IPageExtractor>? extractor = null)
    {
        config.Validate();
        Config = config;
        Layout = new JobLayout(config.Output);
        Files = InputFiles.Expand(config.Inputs);
        _extractor = extractor ?? (log => new HtmlPageExtractor(log: log));
        _model = new(() => config.Classifier is null ? null : LinearScoreModel.Load(config.Classifier));
        _tokenizer = new(() => config.Tokenizer is null ? null : Tokenization.Gemma3Tokenizer.Load(config.Tokenizer));
        _decontaminator = new(() => config.Decontam.Benchmarks.Length == 0 ? null
            : new Decontaminator(BenchmarkIndex.Build(config.Decontam.Benchmarks, config.Decontam.Ngram), config.Decontam.LcsRatio));
    }

    /// <summary>Loads the classifier and builds the benchmark n-gram index now rather than at first use (benchmarks time ranks without this one-off cost).</summary>
    public void LoadModels()
    {
        _ = _model.Value;
        _ = _tokenizer.Value;
        _ = _decontaminator.Value;
    }

    /// <summary>Ranks of a stage.</summary>
    public int RanksOf(string stage) => stage is JobLayout.Dedup or JobLayout.Merge ? 1 : Config.Tasks;

    /// <summary>
    /// Claims the output folder for this config: writes executor.json on the first run; on a rerun checks
    /// that the output-defining settings are the same (a different pipeline must not resume this one's ranks).
    /// </summary>
    public void Prepare()
    {
        Directory.CreateDirectory(Layout.Root);
        if (File.Exists(Layout.ExecutorJson))
        {
            PipelineConfig previous;
            try { previous = PipelineConfig.Load(Layout.ExecutorJson); }
            catch (SharpLMDataException e) { throw new SharpLMDataException(Layout.ExecutorJson, "cannot resume: " + e.Reason); }
            if (previous.OutputDefiningJson() != Config.OutputDefiningJson())
                throw new SharpLMDataException(Layout.Root,
                    "holds a run of a different pipeline config (only workers, executor and slurm settings may change on a rerun); use another output folder or delete this one");
        }
        AtomicFile.WriteAllText(Layout.ExecutorJson, Config.ToJson());
    }

    /// <summary>Runs one rank of one stage unless it is already complete. Returns false when it was skipped.</summary>
    public bool RunRank(string stage, int rank, RankProgress progress, CancellationToken cancel = default)
    {
        if (rank < 0 || rank >= RanksOf(stage)) throw new ArgumentOutOfRangeException(nameof(rank), $"{stage} has {RanksOf(stage)} ranks");
        if (Layout.IsComplete(stage, rank)) return false;
        var clock = Stopwatch.StartNew();
        RemoveStrayTempFiles(stage, rank);
        using var log = new RankLog(Layout.Log(stage, rank));
        var stats = new RankStats { Stage = stage, Rank = rank, Ranks = RanksOf(stage) };
        switch (stage)
        {
            case JobLayout.Extract: RunExtract(rank, stats, progress, log, cancel); break;
            case JobLayout.Dedup: RunDedup(stats); break;
            case JobLayout.Finalize: RunFinalize(rank, stats, progress, cancel); break;
            case JobLayout.Merge: RunMerge(); break;
            default: throw new ArgumentException($"unknown stage '{stage}'", nameof(stage));
        }
        stats.Seconds = Math.Round(clock.Elapsed.TotalSeconds, 3);
        if (stage != JobLayout.Merge)
            AtomicFile.WriteAllText(Layout.Stats(stage, rank), JsonSerializer.Serialize(stats, DataJsonContext.Default.RankStats));
        AtomicFile.WriteAllBytes(Layout.Marker(stage, rank), []);
        return true;
    }

    /// <summary>Outputs of one rank (what a rerun of the rank rewrites).</summary>
    IEnumerable<string> OutputsOf(string stage, int rank) => stage switch
    {
        JobLayout.Extract => [Layout.Docs(rank), Layout.Signatures(rank), Layout.Domains(rank)],
        JobLayout.Dedup => [Layout.Duplicates, Layout.DomainStats, Layout.RecallDomains],
        JobLayout.Finalize => JobLayout.SubsetNames(Config).Select(s => Layout.Subset(s, rank)),
        _ => [Layout.StatsJson],
    };

    // A rank killed mid-write leaves AtomicFile temp files (name.tmp-PID-XXXX) beside its outputs; they
    // never become outputs, but a redo of the rank removes them so the folder holds only real files.
    void RemoveStrayTempFiles(string stage, int rank)
    {
        foreach (var output in OutputsOf(stage, rank).Append(Layout.Stats(stage, rank)).Append(Layout.Marker(stage, rank)))
        {
            var dir = Path.GetDirectoryName(output)!;
            if (!Directory.Exists(dir)) continue;
            foreach (var stray in Directory.EnumerateFiles(dir, Path.GetFileName(output) + ".tmp-*"))
                try { File.Delete(stray); } catch (IOException) { }
        }
    }

    void RunExtract(int rank, RankStats stats, RankProgress progress, RankLog log, CancellationToken cancel)
    {
        var shard = InputFiles.Shard(Files, rank, Config.Tasks);
        var recall = Config.RecallDomains is null ? null : RecallList.Load(Config.RecallDomains);
        var model = _model.Value;
        var tokenizer = _tokenizer.Value;
        var domains = new DomainCounts();
        var keys = new List<ulong[]>();
        int minThreshold = model is null || Config.Thresholds.Length == 0 ? int.MinValue : Config.Thresholds.Min();

        void OnError(Document d, Exception e) => log.Write($"{d.Url} ({d.Source}@{d.Offset}): {e.GetType().Name}: {e.Message}");
        var steps = new List<PipelineStep>
        {
            new PrefilterStep(Config.Prefilter, recall),
            new ExtractionStep(_extractor(log.Write)),
            new LatexCommandStep(),
            new LanguageStep(Config.Language),
            new QualityStep(Config.Quality),
            new ScoreStep(model, domains, Config.DomainRecall, minThreshold),
        };
        if (Config.Dedup.Enabled) steps.Add(new SignatureStep(new MinHasher(Config.Dedup), keys));

        IEnumerable<Document> docs = new DocumentSource(shard, Config, progress, log.Write).Read(stats.For(DocumentSource.StepName));
        foreach (var step in steps) docs = step.Run(docs, stats.For(step.Name), OnError);

        var writerStats = stats.For("writer");
        using (var writer = new FineMathParquetWriter(Layout.Docs(rank)))
        {
            foreach (var doc in docs)
            {
                cancel.ThrowIfCancellationRequested();
                writerStats.In++;
                writer.Write(Stages.RowBuilder.ToRow(doc, tokenizer));
                writerStats.Out++;
                progress.AddKept();
            }
            writer.Commit();
        }
        SignatureFile.Write(Layout.Signatures(rank), Config.Dedup.Bands, keys);
        Directory.CreateDirectory(Path.GetDirectoryName(Layout.Domains(rank))!);
        domains.Save(Layout.Domains(rank));
    }

    void RunDedup(RankStats stats)
    {
        var lsh = stats.For("minhash_lsh");
        var perRank = new ulong[Config.Tasks][][];
        for (int r = 0; r < Config.Tasks; r++) perRank[r] = SignatureFile.Read(Layout.Signatures(r), Config.Dedup.Bands);
        lsh.In = perRank.Sum(k => (long)k.Length);
        int[][] remove;
        if (Config.Dedup.Enabled)
        {
            remove = LshClusters.Duplicates(perRank, Config.Dedup.Bands, out int clusters);
            lsh.Count("clusters", clusters);
        }
        else remove = perRank.Select(_ => Array.Empty<int>()).ToArray();
        long removed = remove.Sum(r => (long)r.Length);
        lsh.Out = lsh.In - removed;
        if (removed > 0) lsh.Drop("duplicate", removed);
        var map = new SortedDictionary<string, int[]>(StringComparer.Ordinal);
        for (int r = 0; r < remove.Length; r++) map[r.ToString("D5", System.Globalization.CultureInfo.InvariantCulture)] = remove[r];
        Directory.CreateDirectory(Path.GetDirectoryName(Layout.Duplicates)!);
        AtomicFile.WriteAllText(Layout.Duplicates, JsonSerializer.Serialize(map, DataJsonContext.Default.SortedDictionaryStringInt32Array));

        var domains = new DomainCounts();
        for (int r = 0; r < Config.Tasks; r++) domains.Merge(DomainCounts.Load(Layout.Domains(r)));
        domains.Save(Layout.DomainStats);
        var recall = stats.For("domain_recall");
        recall.In = domains.Entries.Count();
        if (Config.DomainRecall.Enabled && _model.Value is not null)
        {
            var recalled = domains.Recalled(Config.DomainRecall);
            RecallList.Save(Layout.RecallDomains, recalled);
            recall.Out = recalled.Count;
        }
    }

    void RunFinalize(int rank, RankStats stats, RankProgress progress, CancellationToken cancel)
    {
        var dups = JsonSerializer.Deserialize(File.ReadAllText(Layout.Duplicates), DataJsonContext.Default.SortedDictionaryStringInt32Array)
            ?? throw new SharpLMDataException(Layout.Duplicates, "empty");
        var remove = new HashSet<int>(dups.GetValueOrDefault(rank.ToString("D5", System.Globalization.CultureInfo.InvariantCulture)) ?? []);
        var decontaminator = _decontaminator.Value;
        var subsets = JobLayout.SubsetNames(Config);
        var dedupStats = stats.For("dedup_filter");
        var decontamStats = stats.For("decontamination");
        var writers = subsets.Select(s => new FineMathParquetWriter(Layout.Subset(s, rank))).ToArray();
        try
        {
            int index = 0;
            foreach (var row in FineMathParquetReader.Read(Layout.Docs(rank)))
            {
                cancel.ThrowIfCancellationRequested();
                int i = index++;
                progress.AddPage();
                dedupStats.In++;
                if (remove.Contains(i)) { dedupStats.Drop("duplicate"); continue; }
                dedupStats.Out++;
                decontamStats.In++;
                var start = Stopwatch.GetTimestamp();
                var hit = decontaminator?.Check(row.Text);
                decontamStats.Seconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
                if (hit is { } h) { decontamStats.Drop("contaminated:" + h.Benchmark); continue; }
                decontamStats.Out++;
                progress.AddKept();
                for (int s = 0; s < subsets.Length; s++)
                {
                    if (subsets[s] != "all" && row.IntScore < int.Parse(subsets[s][..^4], System.Globalization.CultureInfo.InvariantCulture)) continue;
                    writers[s].Write(row);
                    stats.For("subset:" + subsets[s]).Out++;
                }
            }
            foreach (var w in writers) w.Commit();
        }
        finally
        {
            foreach (var w in writers) w.Dispose();
        }
    }

    void RunMerge()
    {
        var merged = new List<RankStats>();
        foreach (var stage in JobLayout.Stages.Where(s => s != JobLayout.Merge))
        {
            var ranks = Enumerable.Range(0, RanksOf(stage)).Select(r =>
                JsonSerializer.Deserialize(File.ReadAllText(Layout.Stats(stage, r)), DataJsonContext.Default.RankStats)!);
            merged.Add(RankStats.Merge(stage, ranks));
        }
        AtomicFile.WriteAllText(Layout.StatsJson, JsonSerializer.Serialize(merged, DataJsonContext.Default.ListRankStats));
    }
}
