namespace SharpLM.Tokenization;

/// <summary>Settings of <see cref="BpeTrainer"/>. Only <see cref="VocabSize"/> is required.</summary>
public sealed record BpeTrainerOptions
{
    /// <summary>Total ids, including Gemma's 107 special tokens and the 256 byte tokens (so at least 364 + the alphabet).</summary>
    public required int VocabSize { get; init; }

    /// <summary>Breaks ties between equally frequent pairs, and picks the sample when the input exceeds <see cref="MaxInputBytes"/>. Same input and seed → same file.</summary>
    public int Seed { get; init; }

    /// <summary>Share of the input's characters the alphabet must cover (SentencePiece's default); rarer characters are encoded as bytes.</summary>
    public double CharacterCoverage { get; init; } = 0.9995;

    /// <summary>Longest learned piece, in characters (SentencePiece's default).</summary>
    public int MaxPieceLength { get; init; } = 16;

    /// <summary>Pairs seen fewer times than this are never merged.</summary>
    public int MinPairCount { get; init; } = 2;

    /// <summary>Input beyond this many UTF-8 bytes is sampled (by document, seeded) down to it.</summary>
    public long MaxInputBytes { get; init; } = 512L << 20;

    /// <summary>Worker threads for reading and counting; 0 uses every core.</summary>
    public int Threads { get; init; }
}
