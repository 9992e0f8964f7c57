namespace SharpLM.Generation;

/// <summary>
/// How the next token is drawn. Defaults are Google's recommendation for Gemma 3 (temperature 1, top-k 64,
/// top-p 0.95) with no min-p and no repeat penalty; <see cref="Temperature"/> 0 is greedy.
/// </summary>
public sealed record SamplerOptions
{
    /// <summary>Logits are divided by this before the filters; 0 picks the most likely token (greedy).</summary>
    public float Temperature { get; init; } = 1.0f;
    /// <summary>Keep only the K most likely tokens; 0 keeps all.</summary>
    public int TopK { get; init; } = 64;
    /// <summary>Keep the smallest set of most likely tokens whose probability sums to at least P; 1 keeps all.</summary>
    public float TopP { get; init; } = 0.95f;
    /// <summary>Drop tokens less likely than MinP × the most likely one; 0 keeps all.</summary>
    public float MinP { get; init; }
    /// <summary>llama.cpp's repeat penalty over the last <see cref="RepeatLastN"/> tokens: positive logits ÷ R, negative × R; 1 is off.</summary>
    public float RepeatPenalty { get; init; } = 1.0f;
    public int RepeatLastN { get; init; } = 64;
    /// <summary>Seed of the sampler's random stream: the same seed, model and prompt give the same text.</summary>
    public ulong Seed { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        if (!(Temperature >= 0) || float.IsInfinity(Temperature)) throw new ArgumentException($"temperature {Temperature} must be ≥ 0");
        if (TopK < 0) throw new ArgumentException($"top-k {TopK} must be ≥ 0");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentException($"top-p {TopP} must be in (0, 1]");
        if (!(MinP >= 0 && MinP <= 1)) throw new ArgumentException($"min-p {MinP} must be in [0, 1]");
        if (!(RepeatPenalty > 0) || float.IsInfinity(RepeatPenalty)) throw new ArgumentException($"repeat penalty {RepeatPenalty} must be > 0");
        if (RepeatLastN < 0) throw new ArgumentException($"repeat-last-n {RepeatLastN} must be ≥ 0");
    }
}
