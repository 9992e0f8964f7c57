namespace SharpLM.Models.Gemma3;

/// <summary>
/// Up to <see cref="Slots"/> independent sequences decoding together: each slot has its own KV cache and
/// position, and <see cref="Decode"/> advances any set of slots by one token with ONE matrix product per
/// weight matrix over all their rows. Decode is bound by reading the weights, so N sequences cost about the
/// time of one. Slots start, finish and restart independently (continuous batching): <see cref="Reset"/> a
/// slot, optionally <see cref="CopyFrom"/> a shared prefix, <see cref="Prefill"/> its prompt through the
/// chunked path, then include it in the next <see cref="Decode"/> calls. Results per slot are the same as a
/// <see cref="Gemma3Session"/> fed the same tokens. Not thread-safe; nothing is allocated per call.
/// </summary>
public sealed class Gemma3Batch : IDisposable
{
    readonly Gemma3Model _model;
    readonly KvCache[] _caches;
    readonly int[] _positions;
    readonly Gemma3Forward _forward;
    readonly SequenceRows[] _segments;
    readonly EmbedScaleMode _embedScale;

    public int Slots => _caches.Length;
    public int ContextLength { get; }
    /// <summary>Prompt tokens run per matrix product in <see cref="Prefill"/>.</summary>
    public int ChunkSize { get; }
    public Gemma3Model Model => _model;

    internal Gemma3Batch(Gemma3Model model, int slots, int contextLength, EmbedScaleMode embedScale, int chunkSize = Gemma3Session.DefaultChunkSize)
    {
        if (slots < 1) throw new ArgumentOutOfRangeException(nameof(slots), slots, "a batch needs at least one slot");
        _model = model;
        _embedScale = embedScale;
        ContextLength = contextLength;
        ChunkSize = Math.Max(1, Math.Min(chunkSize, contextLength));
        _caches = new KvCache[slots];
        for (int s = 0; s < slots; s++) _caches[s] = new KvCache(model.Config, contextLength);
        _positions = new int[slots];
        _segments = new SequenceRows[slots];
        _forward = new Gemma3Forward(model, embedScale, Math.Max(ChunkSize, slots));
    }

    /// <summary>Tokens slot <paramref name="slot"/> has processed (its next token's position).</summary>
    public int Position(int slot) => _positions[slot];

    /// <summary>The KV cache of <paramref name="slot"/>.</summary>
    public KvCache Cache(int slot) => _caches[slot];

    /// <summary>Forgets slot <paramref name="slot"/>'s sequence (a new one starts at position 0).</summary>
    public void Reset(int slot) => _positions[slot] = 0;

    /// <summary>Starts slot <paramref name="slot"/> from <paramref name="source"/>'s state (a shared prefix run once), as <see cref="Gemma3Session.CopyFrom"/>.</summary>
    public void CopyFrom(int slot, Gemma3Session source)
    {
        Gemma3Session.CheckSameModel(_model, _embedScale, source);
        _caches[slot].CopyFrom(source.Cache, source.Position);
        _positions[slot] = source.Position;
    }

    /// <summary>
    /// Runs <paramref name="tokens"/> on slot <paramref name="slot"/> in chunks of <see cref="ChunkSize"/> and writes
    /// the last token's logits [V] (an empty <paramref name="logits"/> skips the head).
    /// </summary>
    public void Prefill(int slot, ReadOnlySpan<int> tokens, Span<float> logits)
    {
        int V = _model.Config.VocabSize;
        if (tokens.Length == 0) throw new ArgumentException("no tokens to run", nameof(tokens));
        CheckRoom(slot, tokens.Length);
        if (!logits.IsEmpty && logits.Length != V) throw new ArgumentException($"logits must hold {V} values", nameof(logits));
        Gemma3Session.CheckIds(tokens, V);
        for (int start = 0; start < tokens.Length; start += ChunkSize)
        {
            int n = Math.Min(ChunkSize, tokens.Length - start);
            _segments[0] = new SequenceRows(_caches[slot], _positions[slot], 0, n);
            _forward.Run(tokens.Slice(start, n), _segments.AsSpan(0, 1), start + n == tokens.Length ? logits : default, allRows: false);
            _positions[slot] += n;
        }
    }

    /// <summary>
    /// One decode step: feeds <paramref name="tokens"/>[i] to slot <paramref name="slots"/>[i] (distinct slots) and
    /// writes each one's next-token logits to row i of <paramref name="logits"/> [n, V].
    /// </summary>
    public void Decode(ReadOnlySpan<int> slots, ReadOnlySpan<int> tokens, Span<float> logits)
    {
        int n = slots.Length, V = _model.Config.VocabSize;
        if (n == 0) throw new ArgumentException("no slots to run", nameof(slots));
        if (tokens.Length != n) throw new ArgumentException($"{n} slots but {tokens.Length} tokens", nameof(tokens));
        if (logits.Length != (long)n * V) throw new ArgumentException($"logits must hold {n} × {V} values", nameof(logits));
        Gemma3Session.CheckIds(tokens, V);
        for (int i = 0; i < n; i++)
        {
            int slot = slots[i];
            if ((uint)slot >= (uint)Slots) throw new ArgumentOutOfRangeException(nameof(slots), slot, $"the batch has {Slots} slots");
            for (int j = 0; j < i; j++)
                if (slots[j] == slot) throw new ArgumentException($"slot {slot} appears twice in one step", nameof(slots));
            CheckRoom(slot, 1);
            _segments[i] = new SequenceRows(_caches[slot], _positions[slot], i, 1);
        }
        _forward.Run(tokens, _segments.AsSpan(0, n), logits, allRows: false);
        foreach (int slot in slots) _positions[slot]++;
    }

    void CheckRoom(int slot, int tokens)
    {
        if ((uint)slot >= (uint)Slots) throw new ArgumentOutOfRangeException(nameof(slot), slot, $"the batch has {Slots} slots");
        if (_positions[slot] + tokens > ContextLength)
            throw new InvalidOperationException($"context full: slot {slot} at {_positions[slot]} + {tokens} tokens exceeds the {ContextLength} positions");
    }

    public void Dispose() { }
}
