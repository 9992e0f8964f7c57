namespace SharpLM.Tokenization;

/// <summary>
/// The ids of a batch of texts: text i's ids are <c>this[i]</c>, and <c>Ids[Offsets[i]..Offsets[i + 1]]</c> in one
/// contiguous buffer. Filled by <see cref="Gemma3Tokenizer.EncodeBatch(IReadOnlyList{string}, TokenBatch, bool, bool, int)"/>;
/// reuse one instance across batches and encoding allocates nothing once its buffers have grown to the batch size.
/// </summary>
/// <remarks>
/// <para>A batch encoded on several threads keeps each thread's ids where that thread appended them (one part per
/// worker): <c>this[i]</c> reads text i's ids straight from its part, and the contiguous <see cref="Ids"/> buffer is
/// only built (one serial copy of every id) the first time a caller asks for it after a batch. Before session 10 every
/// multi-thread batch built it at once, in a second parallel pass that rewrote every id (the placing pass); the
/// switch <c>SHARPLM_TOKENIZER_PLACE_IDS=1</c> restores that (see <see cref="PlaceIdsByDefault"/>). A one-thread
/// batch appends every text in order, so its part's array becomes the batch's buffer (swapped, never copied) either way.</para>
/// <para>Reading a batch from several threads at once is safe, as before: the first <see cref="Ids"/> builds the
/// buffer under a lock and publishes it only when complete, and <c>this[i]</c> reads the parts until then. Encoding
/// into a batch while others read it is not.</para>
/// </remarks>
public sealed class TokenBatch
{
    int[] _ids = [];
    int[] _offsets = [0];
    bool _idsInPlace = true;   // false: the ids are still in the parts, _ids not yet built for this batch
    readonly object _buildLock = new();

    /// <summary>Where a worker appended one text (written once per text by the worker that encoded it).</summary>
    internal struct TextSlot
    {
        public int Part, Start, Length;
    }

    // Filled by the workers: text i was appended to Parts[Slots[i].Part] at Slots[i].Start, Slots[i].Length ids (one
    // 12-byte record per text, so a text's bookkeeping is one store burst into one cache line, not three arrays' lines).
    internal IdList[] Parts = [];
    internal TextSlot[] Slots = [];

    /// <summary>
    /// Whether multi-thread batches copy every id into <see cref="Ids"/> before <c>EncodeBatch</c> returns (session 9's
    /// placing pass), instead of on the first <see cref="Ids"/> access: <c>SHARPLM_TOKENIZER_PLACE_IDS=1</c>. Ids are the
    /// same either way; the tokenizer's <c>PlaceIds</c> overrides it per tokenizer (tests, benchmarks).
    /// </summary>
    public static bool PlaceIdsByDefault { get; } = Environment.GetEnvironmentVariable("SHARPLM_TOKENIZER_PLACE_IDS") == "1";

    /// <summary>Number of texts.</summary>
    public int Count { get; private set; }

    /// <summary>Total number of ids.</summary>
    public int TokenCount => _offsets[Count];

    /// <summary>All ids, text after text (built from the workers' parts on the first call after a multi-thread batch).</summary>
    public ReadOnlySpan<int> Ids
    {
        get
        {
            if (!Volatile.Read(ref _idsInPlace)) BuildIds();
            return _ids.AsSpan(0, TokenCount);
        }
    }

    /// <summary>Count + 1 offsets into <see cref="Ids"/>: text i spans <c>Offsets[i]</c> to <c>Offsets[i + 1]</c>.</summary>
    public ReadOnlySpan<int> Offsets => _offsets.AsSpan(0, Count + 1);

    /// <summary>The ids of text <paramref name="index"/> (no copy: read from wherever the batch holds them).</summary>
    public ReadOnlySpan<int> this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), $"text {index} is outside the batch (0…{Count - 1})");
            if (Volatile.Read(ref _idsInPlace)) return _ids.AsSpan(_offsets[index], _offsets[index + 1] - _offsets[index]);
            ref readonly var slot = ref Slots[index];
            return Parts[slot.Part].Items.AsSpan(slot.Start, slot.Length);
        }
    }

    /// <summary>Empties the batch and sizes the per-text and per-worker arrays for <paramref name="count"/> texts and <paramref name="workers"/> workers.</summary>
    internal void Reset(int count, int workers)
    {
        Count = 0;
        _idsInPlace = true;
        if (Slots.Length < count) Slots = new TextSlot[Math.Max(count, Slots.Length * 2)];
        if (_offsets.Length < count + 1) _offsets = new int[Math.Max(count + 1, _offsets.Length * 2)];
        if (Parts.Length < workers)
        {
            var parts = new IdList[workers];
            Parts.CopyTo(parts, 0);
            for (int w = Parts.Length; w < workers; w++) parts[w] = new IdList();
            Parts = parts;
        }
        for (int w = 0; w < workers; w++) Parts[w].Clear();
    }

    /// <summary>
    /// After the workers: the offsets of the texts laid out in order. A single worker appended every text in order, so
    /// its part's array becomes the batch's (swapped, not copied; the part gets the old array to fill next time).
    /// Several workers: the ids stay in their parts until <see cref="Ids"/> is read, unless <paramref name="place"/>;
    /// then this sizes the buffer and returns true, and the caller runs <see cref="Place"/> for every text (in parallel).
    /// </summary>
    internal bool Layout(int count, int workers, bool place)
    {
        long total = 0;
        var slots = Slots;
        for (int i = 0; i < count; i++)
        {
            _offsets[i] = (int)total;
            total += slots[i].Length;
        }
        if (total > Array.MaxLength) throw new InvalidOperationException($"a batch of {total:N0} ids is more than one array holds: encode fewer texts at a time");
        _offsets[count] = (int)total;
        Count = count;
        if (workers == 1)
        {
            var part = Parts[0];
            (_ids, part.Items) = (part.Items, _ids.Length >= 1024 ? _ids : new int[1024]);
            return false;
        }
        _idsInPlace = place;
        if (place) EnsureIdsCapacity(total);
        return place;
    }

    void EnsureIdsCapacity(long total)
    {
        if (_ids.Length < total) _ids = GC.AllocateUninitializedArray<int>((int)Math.Min(Array.MaxLength, Math.Max(total, _ids.Length * 2L)));
    }

    /// <summary>Copies text <paramref name="index"/>'s ids from its worker's part to their place (texts in parallel).</summary>
    internal void Place(int index)
    {
        ref readonly var slot = ref Slots[index];
        Parts[slot.Part].Items.AsSpan(slot.Start, slot.Length).CopyTo(_ids.AsSpan(_offsets[index]));
    }

    /// <summary>The contiguous buffer of a multi-thread batch, on first demand: every text copied from its part, in order.</summary>
    void BuildIds()
    {
        lock (_buildLock)
        {
            if (_idsInPlace) return;   // another reader built it while this one waited
            EnsureIdsCapacity(TokenCount);
            for (int i = 0; i < Count; i++) Place(i);
            Volatile.Write(ref _idsInPlace, true);   // after every id: a reader that sees true reads a whole buffer
        }
    }
}
