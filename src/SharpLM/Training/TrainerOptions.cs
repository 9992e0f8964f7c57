namespace SharpLM.Training;

/// <summary>
/// What <c>sharplm train</c> was asked to do. Null hyper-parameters mean "not given": a fresh run fills in
/// the defaults below, a resumed run takes the checkpoint's values (and refuses an explicit different one,
/// which would break the bit-identical continuation).
/// </summary>
public sealed record TrainerOptions
{
    /// <summary><c>--preset</c>: tiny, small, 270m, 1b.</summary>
    public string? Preset { get; init; }
    /// <summary><c>--config</c>: an HF config.json describing the model.</summary>
    public string? ConfigPath { get; init; }
    /// <summary><c>--init</c>: an HF model folder (or GGUF) to start from.</summary>
    public string? InitPath { get; init; }
    public required string DataPath { get; init; }
    public required string OutDir { get; init; }
    public long? Steps { get; init; }
    public int? Batch { get; init; }
    public int? Seq { get; init; }
    public int? GradAccum { get; init; }
    public double? Lr { get; init; }
    public string? Schedule { get; init; }
    public int? Warmup { get; init; }
    public double? MinLr { get; init; }
    public double? WeightDecay { get; init; }
    public string? Optimizer { get; init; }
    public double? Clip { get; init; }
    public ulong? Seed { get; init; }
    public string? Order { get; init; }
    public string? EvalDataPath { get; init; }
    /// <summary>Evaluate every N steps (and at the start and end); 0 = the same interval as saving.</summary>
    public int EvalEvery { get; init; }
    /// <summary>Evaluation batches of B×T tokens (at most; fewer when the eval data is short).</summary>
    public int EvalBatches { get; init; } = 16;
    /// <summary>Save every N steps (and at the end); 0 = every tenth of the run.</summary>
    public int SaveEvery { get; init; }
    public bool Resume { get; init; }
    /// <summary>Worker threads; 0 = all processors.</summary>
    public int Threads { get; init; }
    /// <summary>Complete checkpoints kept (older ones are deleted after a newer one is safely written).</summary>
    public int KeepCheckpoints { get; init; } = 2;
    /// <summary>tokenizer.json stored with checkpoints; default: the one beside the data or the init model.</summary>
    public string? TokenizerPath { get; init; }

    public const double DefaultLr = 3e-4;
    public const double DefaultWeightDecay = 0.1;
    public const double DefaultClip = 1.0;
    public const ulong DefaultSeed = 1;
}
