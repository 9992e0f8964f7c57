using System.Text.Json.Serialization;

namespace SharpLM.Training.Checkpoints;

/// <summary>One line of <c>metrics.jsonl</c>: a training step (loss, lr, …) or an evaluation (eval_loss).</summary>
public sealed record MetricsRecord
{
    [JsonPropertyName("step")] public long Step { get; init; }
    [JsonPropertyName("loss")] public double? Loss { get; init; }
    [JsonPropertyName("eval_loss")] public double? EvalLoss { get; init; }
    [JsonPropertyName("lr")] public double? Lr { get; init; }
    [JsonPropertyName("grad_norm")] public double? GradNorm { get; init; }
    [JsonPropertyName("tokens")] public long Tokens { get; init; }
    [JsonPropertyName("tokens_per_s")] public double? TokensPerSecond { get; init; }
    [JsonPropertyName("elapsed_s")] public double? ElapsedSeconds { get; init; }
}
