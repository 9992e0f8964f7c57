namespace SharpLM.Data.Pipeline;

/// <summary>
/// Where a pipeline run keeps everything under its output folder. Final data at the top; per-stage work
/// (intermediate Parquet, signatures, per-rank stats, completion markers) under <c>work/</c>; logs under
/// <c>logs/</c>.
/// </summary>
/// <remarks>
/// <code>
/// OUT/executor.json                the resolved config of this run (a rerun must match it)
/// OUT/{t}plus/{rank:00000}.parquet final rows with int_score ≥ t (or OUT/all/ without a classifier)
/// OUT/recall_domains.txt           domains to recall next run; OUT/domain_stats.json per-domain counts
/// OUT/stats.json                   merged stats of every stage and step
/// OUT/work/{stage}/completions/{rank:00000}   empty marker, written last
/// OUT/work/{stage}/stats/{rank:00000}.json
/// OUT/work/extract/docs/{rank:00000}.parquet, signatures/…bin, domains/…json
/// OUT/work/dedup/duplicates.json
/// OUT/logs/{stage}-{rank:00000}.log
/// </code>
/// </remarks>
public sealed class JobLayout(string root)
{
    public const string Extract = "extract", Dedup = "dedup", Finalize = "finalize", Merge = "merge";
    public static readonly string[] Stages = [Extract, Dedup, Finalize, Merge];

    public string Root { get; } = Path.GetFullPath(root);
    public string ExecutorJson => Path.Combine(Root, "executor.json");
    public string StatsJson => Path.Combine(Root, "stats.json");
    public string RecallDomains => Path.Combine(Root, "recall_domains.txt");
    public string DomainStats => Path.Combine(Root, "domain_stats.json");
    public string Work => Path.Combine(Root, "work");
    public string Logs => Path.Combine(Root, "logs");

    static string R(int rank) => rank.ToString("D5", System.Globalization.CultureInfo.InvariantCulture);

    public string StageDir(string stage) => Path.Combine(Work, stage);
    public string Marker(string stage, int rank) => Path.Combine(StageDir(stage), "completions", R(rank));
    public string Stats(string stage, int rank) => Path.Combine(StageDir(stage), "stats", R(rank) + ".json");
    public string Progress(string stage, int rank) => Path.Combine(StageDir(stage), "progress", R(rank) + ".json");
    public string Log(string stage, int rank) => Path.Combine(Logs, $"{stage}-{R(rank)}.log");
    public string Docs(int rank) => Path.Combine(StageDir(Extract), "docs", R(rank) + ".parquet");
    public string Signatures(int rank) => Path.Combine(StageDir(Extract), "signatures", R(rank) + ".bin");
    public string Domains(int rank) => Path.Combine(StageDir(Extract), "domains", R(rank) + ".json");
    public string Duplicates => Path.Combine(StageDir(Dedup), "duplicates.json");
    public string SubsetDir(string subset) => Path.Combine(Root, subset);
    public string Subset(string subset, int rank) => Path.Combine(SubsetDir(subset), R(rank) + ".parquet");

    public bool IsComplete(string stage, int rank) => File.Exists(Marker(stage, rank));

    /// <summary>Subset folder names for the thresholds: 3 → <c>3plus</c>; no classifier → <c>all</c>.</summary>
    public static string[] SubsetNames(PipelineConfig c) =>
        c.Classifier is null ? ["all"] : c.Thresholds.Distinct().Order().Select(t => $"{t}plus").ToArray();
}
