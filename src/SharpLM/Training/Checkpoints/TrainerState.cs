using System.Text.Json.Serialization;

namespace SharpLM.Training.Checkpoints;

/// <summary>
/// Everything besides tensors that a resumed run needs to continue bit-identically, saved as
/// <c>trainer/state.json</c> in each checkpoint. The data order is a pure function of (seed, step), so the
/// step is the whole data-loader state.
/// </summary>
public sealed record TrainerState
{
    public const int CurrentFormat = 1;

    [JsonPropertyName("format")] public int Format { get; init; } = CurrentFormat;
    /// <summary>Optimizer steps completed.</summary>
    [JsonPropertyName("step")] public long Step { get; init; }
    [JsonPropertyName("tokens_seen")] public long TokensSeen { get; init; }
    [JsonPropertyName("hyperparameters")] public required TrainingHyperparameters Hyperparameters { get; init; }
    [JsonPropertyName("data")] public required DataIdentity Data { get; init; }
    [JsonPropertyName("last_loss")] public double? LastLoss { get; init; }
    [JsonPropertyName("last_eval_loss")] public double? LastEvalLoss { get; init; }
    [JsonPropertyName("parameters")] public long Parameters { get; init; }
    [JsonPropertyName("sharplm")] public string? Version { get; init; }
}

/// <summary>The options that define the run's trajectory; a resume with different ones would not reproduce it.</summary>
public sealed record TrainingHyperparameters
{
    [JsonPropertyName("steps")] public long Steps { get; init; }
    [JsonPropertyName("batch")] public int Batch { get; init; }
    [JsonPropertyName("seq")] public int Seq { get; init; }
    [JsonPropertyName("grad_accum")] public int GradAccum { get; init; } = 1;
    [JsonPropertyName("lr")] public double Lr { get; init; }
    [JsonPropertyName("schedule")] public string Schedule { get; init; } = "cosine";
    [JsonPropertyName("warmup")] public int Warmup { get; init; }
    [JsonPropertyName("min_lr")] public double MinLr { get; init; }
    [JsonPropertyName("weight_decay")] public double WeightDecay { get; init; }
    [JsonPropertyName("optimizer")] public string Optimizer { get; init; } = "adamw";
    [JsonPropertyName("beta1")] public double Beta1 { get; init; } = 0.9;
    [JsonPropertyName("beta2")] public double Beta2 { get; init; } = 0.95;
    [JsonPropertyName("eps")] public double Epsilon { get; init; } = 1e-8;
    [JsonPropertyName("clip")] public double Clip { get; init; }
    [JsonPropertyName("seed")] public ulong Seed { get; init; }
    [JsonPropertyName("order")] public string Order { get; init; } = "shuffled";
}

/// <summary>What the run trained on, checked on resume so a changed dataset is caught.</summary>
public sealed record DataIdentity
{
    [JsonPropertyName("source")] public string Source { get; init; } = "";
    [JsonPropertyName("tokens")] public long Tokens { get; init; }
    [JsonPropertyName("vocab_size")] public int? VocabSize { get; init; }
}

[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TrainerState))]
internal sealed partial class TrainingJsonContext : JsonSerializerContext;

/// <summary>One JSON object per line (metrics.jsonl).</summary>
[JsonSourceGenerationOptions(WriteIndented = false, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(MetricsRecord))]
internal sealed partial class TrainingJsonLineContext : JsonSerializerContext;
