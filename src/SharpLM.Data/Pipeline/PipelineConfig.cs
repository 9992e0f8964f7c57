using System.Text.Json;
using System.Text.Json.Serialization;
using SharpLM.Data.Decontam;
using SharpLM.Data.Dedup;
using SharpLM.Data.DomainRecall;
using SharpLM.Data.Filters;

namespace SharpLM.Data.Pipeline;

/// <summary>Language filter settings.</summary>
public sealed record LanguageOptions
{
    /// <summary>Languages kept (ISO 639-1). FineMath: English only.</summary>
    [JsonPropertyName("keep")] public string[] Keep { get; set; } = ["en"];
    /// <summary>Minimum confidence of <see cref="Language.LanguageIdentifier"/> (OpenWebMath used 0.5 with fastText).</summary>
    [JsonPropertyName("min_score")] public double MinScore { get; set; } = 0.5;
}

/// <summary>Slurm settings for <c>"executor": "slurm"</c>.</summary>
public sealed record SlurmOptions
{
    [JsonPropertyName("partition")] public string? Partition { get; set; }
    [JsonPropertyName("time")] public string? Time { get; set; } = "24:00:00";
    [JsonPropertyName("cpus_per_task")] public int CpusPerTask { get; set; } = 1;
    [JsonPropertyName("mem_per_cpu")] public string? MemPerCpu { get; set; } = "2G";
    /// <summary>Extra <c>#SBATCH</c> arguments, e.g. <c>["--account=x", "--qos=y"]</c>.</summary>
    [JsonPropertyName("sbatch_args")] public string[] SbatchArgs { get; set; } = [];
    /// <summary>Wait for the jobs to finish (polling completion markers) instead of returning after submission.</summary>
    [JsonPropertyName("wait")] public bool Wait { get; set; }
    /// <summary>Shell lines run before the worker (module loads, environment).</summary>
    [JsonPropertyName("setup")] public string[] Setup { get; set; } = [];
}

/// <summary>
/// (Settable properties: System.Text.Json's source generator would reset init-only properties missing from the JSON to null.)
/// Everything a <c>sharplm data pipeline</c> run needs, as read from <c>--config pipeline.json</c> (keys in
/// snake_case; unknown keys are an error) and overridden by command-line flags. Paths are resolved against
/// the config file's folder.
/// </summary>
public sealed record PipelineConfig
{
    /// <summary>Input files, folders (searched recursively for .warc, .warc.gz, .arc, .arc.gz, .jsonl) or globs.</summary>
    [JsonPropertyName("inputs")] public string[] Inputs { get; set; } = [];
    [JsonPropertyName("output")] public string Output { get; set; } = "";
    /// <summary>Ranks of the per-file stages; each rank reads files[rank::tasks] of the sorted input list.</summary>
    [JsonPropertyName("tasks")] public int Tasks { get; set; } = 1;
    /// <summary>Ranks run at the same time (local: worker processes; slurm: the array's % limit). 1 runs in this process.</summary>
    [JsonPropertyName("workers")] public int Workers { get; set; } = 1;
    /// <summary><c>local</c> or <c>slurm</c>.</summary>
    [JsonPropertyName("executor")] public string Executor { get; set; } = "local";
    /// <summary>Stop each rank after this many pages (0: no limit).</summary>
    [JsonPropertyName("limit")] public long Limit { get; set; }
    /// <summary>Largest WARC record kept in memory; larger pages are dropped as too_large.</summary>
    [JsonPropertyName("max_record_bytes")] public int MaxRecordBytes { get; set; } = 8 << 20;
    /// <summary>OpenWebMath's math prefilter on raw HTML (<c>owm</c>) or none.</summary>
    [JsonPropertyName("prefilter")] public string Prefilter { get; set; } = "owm";
    /// <summary>A recall list from a previous run: pages of these domains pass the prefilter.</summary>
    [JsonPropertyName("recall_domains")] public string? RecallDomains { get; set; }
    [JsonPropertyName("language")] public LanguageOptions Language { get; set; } = new();
    [JsonPropertyName("quality")] public QualityOptions Quality { get; set; } = new();
    /// <summary>Folder of a classifier trained by <c>data train-classifier</c>. Without one, pages get no score and one subset <c>all</c> is written.</summary>
    [JsonPropertyName("classifier")] public string? Classifier { get; set; }
    /// <summary>
    /// A tokenizer (tokenizer.json, tokenizer.model, model folder or GGUF) to fill each row's <c>token_count</c>.
    /// FineMath counts Llama tokens; any tokenizer works, the count is of the one given. Without it: null.
    /// </summary>
    [JsonPropertyName("tokenizer")] public string? Tokenizer { get; set; }
    /// <summary>Score subsets: each t writes <c>{t}plus/</c> with int_score ≥ t. FineMath: 3 and 4.</summary>
    [JsonPropertyName("thresholds")] public int[] Thresholds { get; set; } = [3, 4];
    [JsonPropertyName("dedup")] public MinHashOptions Dedup { get; set; } = new();
    [JsonPropertyName("decontam")] public DecontamOptions Decontam { get; set; } = new();
    [JsonPropertyName("domain_recall")] public DomainRecallOptions DomainRecall { get; set; } = new();
    [JsonPropertyName("slurm")] public SlurmOptions Slurm { get; set; } = new();

    static readonly JsonSerializerOptions s_strict = new(DataJsonContext.Default.Options) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    public static PipelineConfig Load(string path)
    {
        if (!File.Exists(path)) throw new SharpLMDataException(path, "config file not found");
        PipelineConfig? c;
        try
        {
            c = JsonSerializer.Deserialize(File.ReadAllText(path), (System.Text.Json.Serialization.Metadata.JsonTypeInfo<PipelineConfig>)s_strict.GetTypeInfo(typeof(PipelineConfig)));
        }
        catch (JsonException e)
        {
            throw new SharpLMDataException(path, "invalid config: " + e.Message);
        }
        if (c is null) throw new SharpLMDataException(path, "empty config");
        return c.ResolvePaths(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>Makes every path absolute, relative to <paramref name="baseDir"/>.</summary>
    public PipelineConfig ResolvePaths(string baseDir)
    {
        string Abs(string p) => Path.GetFullPath(p, baseDir);
        return this with
        {
            Inputs = Inputs.Select(i => i.Contains('*') || i.Contains('?') ? Path.Combine(baseDir, i) : Abs(i)).ToArray(),
            Output = Output.Length == 0 ? "" : Abs(Output),
            RecallDomains = RecallDomains is null ? null : Abs(RecallDomains),
            Classifier = Classifier is null ? null : Abs(Classifier),
            Tokenizer = Tokenizer is null ? null : Abs(Tokenizer),
            Decontam = Decontam with { Benchmarks = Decontam.Benchmarks.Select(b => b with { Path = Abs(b.Path) }).ToArray() },
        };
    }

    public void Validate(string where = "--config")
    {
        if (Inputs.Length == 0) throw new SharpLMDataException(where, "no inputs (set \"inputs\" or pass --input)");
        if (Output.Length == 0) throw new SharpLMDataException(where, "no output folder (set \"output\" or pass --output)");
        if (Tasks is < 1 or > 100_000) throw new SharpLMDataException(where, $"tasks {Tasks} outside 1..100000");
        if (Workers < 1) throw new SharpLMDataException(where, $"workers {Workers} must be at least 1");
        if (Executor is not ("local" or "slurm")) throw new SharpLMDataException(where, $"executor '{Executor}' is not 'local' or 'slurm'");
        if (Prefilter is not ("owm" or "none")) throw new SharpLMDataException(where, $"prefilter '{Prefilter}' is not 'owm' or 'none'");
        if (Limit < 0) throw new SharpLMDataException(where, "limit must be ≥ 0");
        if (MaxRecordBytes < 1024) throw new SharpLMDataException(where, "max_record_bytes must be at least 1024");
        if (Thresholds.Any(t => t is < 0 or > 100)) throw new SharpLMDataException(where, "thresholds must be in 0..100");
        if (Decontam.Ngram is < 1 or > 100 || Decontam.LcsRatio is <= 0 or > 1) throw new SharpLMDataException(where, "decontam ngram/lcs_ratio out of range");
        Dedup.Validate(where);
        DomainRecall.Validate(where);
    }

    /// <summary>The config as canonical JSON (what <c>executor.json</c> holds).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, DataJsonContext.Default.PipelineConfig);

    /// <summary>
    /// The settings that decide the output. A rerun must match them to resume; workers, the executor and
    /// Slurm settings may change between runs (like datatrove, the task count may not: shards would shift).
    /// </summary>
    public string OutputDefiningJson() => (this with { Workers = 1, Executor = "local", Slurm = new() }).ToJson();
}
