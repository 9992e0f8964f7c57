namespace SharpLM.Tokenization;

/// <summary>
/// A tokenizer as data, whatever it was read from (tokenizer.json, tokenizer.model, GGUF metadata) or trained:
/// the pieces, the BPE merges in rank order, the added tokens and the text transforms around BPE. Readers
/// validate while building it; <see cref="Gemma3Tokenizer"/> compiles it into lookup tables.
/// </summary>
internal sealed class TokenizerDefinition
{
    /// <summary>Text of every id: the BPE vocabulary (ids below <see cref="ModelVocabSize"/>) then added-only tokens.</summary>
    public required PieceTable Pieces { get; init; }

    /// <summary>Ids below this are the BPE model's vocabulary; ids at or above it exist only as added tokens.</summary>
    public required int ModelVocabSize { get; init; }

    /// <summary>Merge rules in rank order: rank r joins <c>MergeLeft[r]</c> and <c>MergeRight[r]</c> into <c>MergeResult[r]</c>.</summary>
    public required int[] MergeLeft { get; init; }
    public required int[] MergeRight { get; init; }
    public required int[] MergeResult { get; init; }

    public required IReadOnlyList<AddedToken> AddedTokens { get; init; }

    /// <summary>Id of the unknown token, or −1 when the model has none.</summary>
    public int UnknownId { get; init; } = -1;
    public bool ByteFallback { get; init; }
    public bool FuseUnknown { get; init; }
    public bool IgnoreMerges { get; init; }

    public IReadOnlyList<NormalizerStep> Normalizer { get; init; } = [];
    public IReadOnlyList<SplitRule> PreTokenizer { get; init; } = [];
    /// <summary>Decoder steps; null means no decoder (token texts are joined with spaces, as Hugging Face does).</summary>
    public IReadOnlyList<DecoderStep>? Decoder { get; init; }

    /// <summary>Ids the post-processor puts before and after the encoded text when special tokens are added.</summary>
    public int[] TemplatePrefix { get; init; } = [];
    public int[] TemplateSuffix { get; init; } = [];

    /// <summary>Whether a plain encode adds the template (tokenizer_config <c>add_bos_token</c>, GGUF <c>add_bos_token</c>).</summary>
    public bool AddBosByDefault { get; init; } = true;

    /// <summary>Special-token names from the configuration, when given (else the Gemma names are looked up).</summary>
    public string? BosToken { get; init; }
    public string? EosToken { get; init; }
    public string? PadToken { get; init; }

    /// <summary>The Jinja chat template text shipped with the tokenizer, when present (kept for GGUF export).</summary>
    public string? ChatTemplate { get; init; }

    /// <summary>Where it came from, for error messages.</summary>
    public string Source { get; init; } = "tokenizer";
}
