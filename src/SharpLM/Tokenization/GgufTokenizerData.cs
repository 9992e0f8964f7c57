namespace SharpLM.Tokenization;

/// <summary>
/// The tokenizer as GGUF stores it under <c>tokenizer.ggml.*</c> and <c>tokenizer.chat_template</c>: the
/// hand-off between the GGUF reader/writer (<c>Formats/</c>) and the tokenizer. Gemma 3 files use the
/// SentencePiece (<c>llama</c>) model: pieces with scores and types, no merge list.
/// </summary>
public sealed record GgufTokenizerData
{
    /// <summary><c>tokenizer.ggml.model</c>: <c>llama</c> (SentencePiece) for Gemma 3; <c>gpt2</c> for byte-level BPE.</summary>
    public string Model { get; init; } = "llama";
    /// <summary><c>tokenizer.ggml.pre</c>: pre-tokenizer name; <c>default</c> for Gemma 3.</summary>
    public string Pre { get; init; } = "default";
    /// <summary><c>tokenizer.ggml.tokens</c>: the piece text of each id (spaces as U+2581).</summary>
    public required IReadOnlyList<string> Tokens { get; init; }
    /// <summary><c>tokenizer.ggml.scores</c>: SentencePiece scores (merge priority), one per token.</summary>
    public required IReadOnlyList<float> Scores { get; init; }
    /// <summary><c>tokenizer.ggml.token_type</c>: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte.</summary>
    public required IReadOnlyList<int> TokenTypes { get; init; }
    /// <summary><c>tokenizer.ggml.merges</c> (BPE models only), "left right" per line.</summary>
    public IReadOnlyList<string>? Merges { get; init; }
    public int BosId { get; init; } = 2;
    public int EosId { get; init; } = 1;
    public int UnknownId { get; init; } = 3;
    public int PaddingId { get; init; } = 0;
    public bool AddBos { get; init; } = true;
    public bool AddEos { get; init; }
    public bool AddSpacePrefix { get; init; }
    /// <summary><c>tokenizer.chat_template</c> (Jinja text), when present.</summary>
    public string? ChatTemplate { get; init; }

    /// <summary>GGUF token-type codes (llama.cpp <c>llama_token_type</c>).</summary>
    public static class TokenType
    {
        public const int Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6;
    }
}
