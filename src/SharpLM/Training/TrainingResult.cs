namespace SharpLM.Training;

/// <summary>What a finished (or interrupted and saved) run reports.</summary>
public sealed record TrainingResult(long Step, long TokensSeen, double? LastLoss, double? LastEvalLoss, string Checkpoint,
    double TokensPerSecond, long Parameters, bool Resumed);
