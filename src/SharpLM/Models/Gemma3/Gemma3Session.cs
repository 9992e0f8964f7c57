using SharpLM.Kernels;

namespace SharpLM.Models.Gemma3;

/// <summary>
/// One running sequence: a KV cache and its position; the forward pass (spec §1) is <see cref="Gemma3Forward"/>.
/// Tokens are fed with <see cref="Forward"/> in any number of calls; each call continues at <see cref="Position"/>.
/// Prompts are processed in chunks of <see cref="ChunkSize"/> tokens with matrix-matrix products.
/// Several sequences decoding together use <see cref="Gemma3Batch"/> instead.
/// Not thread-safe; the kernels inside use <see cref="KernelThreads.Count"/> threads.
/// </summary>
public sealed class Gemma3Session : IDisposable
{
    public const int DefaultChunkSize = 64;

    readonly Gemma3Model _model;
    readonly KvCache _cache;
    readonly Gemma3Forward _forward;
    readonly SequenceRows[] _segment = new SequenceRows[1];

    /// <summary>Tokens already processed (the next token's position).</summary>
    public int Position { get; private set; }
    public int ContextLength => _cache.ContextLength;
    public int ChunkSize { get; }
    public KvCache Cache => _cache;
    public Gemma3Model Model => _model;

    internal Gemma3Session(Gemma3Model model, int contextLength, EmbedScaleMode embedScale, int chunkSize = DefaultChunkSize)
    {
        _model = model;
        _cache = new KvCache(model.Config, contextLength);
        ChunkSize = Math.Max(1, Math.Min(chunkSize, contextLength));
        _forward = new Gemma3Forward(model, embedScale, ChunkSize);
        EmbedScale = embedScale;
    }

    internal EmbedScaleMode EmbedScale { get; }

    /// <summary>Forgets every position (the cache is overwritten from position 0 on).</summary>
    public void Reset() => Position = 0;

    /// <summary>
    /// Continues from <paramref name="source"/>'s state: its position and the cached keys and values a later
    /// token can still attend to. A few-shot prefix shared by many prompts is run once in one session and
    /// copied into each; the logits that follow are the same as running the whole prompt here.
    /// </summary>
    public void CopyFrom(Gemma3Session source)
    {
        CheckSameModel(_model, EmbedScale, source);
        _cache.CopyFrom(source.Cache, source.Position);
        Position = source.Position;
    }

    internal static void CheckSameModel(Gemma3Model model, EmbedScaleMode embedScale, Gemma3Session source)
    {
        if (!ReferenceEquals(source.Model, model)) throw new ArgumentException("the source session runs another model", nameof(source));
        if (source.EmbedScale != embedScale) throw new ArgumentException("the source session uses another embedding scale", nameof(source));
    }

    /// <summary>
    /// Runs <paramref name="tokens"/> at positions <see cref="Position"/>… and writes logits: for every
    /// token ([T, V], <paramref name="allPositions"/>) or for the last one only ([V]). An empty
    /// <paramref name="logits"/> skips the head (prefill whose logits are not needed).
    /// </summary>
    public void Forward(ReadOnlySpan<int> tokens, Span<float> logits, bool allPositions = false)
    {
        int V = _model.Config.VocabSize;
        if (tokens.Length == 0) throw new ArgumentException("no tokens to run", nameof(tokens));
        if (Position + tokens.Length > ContextLength)
            throw new InvalidOperationException($"context full: {Position} + {tokens.Length} tokens exceed the session's {ContextLength} positions");
        if (!logits.IsEmpty && logits.Length != (allPositions ? (long)tokens.Length * V : V))
            throw new ArgumentException($"logits must hold {(allPositions ? $"{tokens.Length} × {V}" : $"{V}")} values", nameof(logits));
        CheckIds(tokens, V);

        for (int start = 0; start < tokens.Length; start += ChunkSize)
        {
            int n = Math.Min(ChunkSize, tokens.Length - start);
            bool last = start + n == tokens.Length;
            Span<float> chunkLogits = logits.IsEmpty ? default
                : allPositions ? logits.Slice(start * V, n * V)
                : last ? logits : default;
            _segment[0] = new SequenceRows(_cache, Position, 0, n);
            _forward.Run(tokens.Slice(start, n), _segment, chunkLogits, allPositions);
            Position += n;
        }
    }

    internal static void CheckIds(ReadOnlySpan<int> tokens, int vocab)
    {
        foreach (int t in tokens)
            if ((uint)t >= (uint)vocab) throw new ArgumentOutOfRangeException(nameof(tokens), t, $"token id outside the model's {vocab} embedding rows");
    }

    public void Dispose() { }
}
