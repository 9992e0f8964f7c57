namespace SharpLM.Tokenization;

/// <summary>
/// The ids of a batch of texts in one buffer: text i's ids are <c>Ids[Offsets[i]..Offsets[i + 1]]</c>. Filled by
/// <see cref="Gemma3Tokenizer.EncodeBatch(IReadOnlyList{string}, TokenBatch, bool, bool, int)"/>; reuse one
/// instance across batches and encoding allocates nothing once its buffers have grown to the batch size.
/// </summary>
public sealed class TokenBatch
{
    int[] _ids = [];
    int[] _offsets = [0];

    // Filled by the workers: text i was appended to _parts[_part[i]] at _start[i], _length[i] ids.
    internal IdList[] Parts = [];
    internal int[] Part = [];
    internal int[] Start = [];
    internal int[] Length = [];

    /// <summary>Number of texts.</summary>
    public int Count { get; private set; }

    /// <summary>Total number of ids.</summary>
    public int TokenCount => _offsets[Count];

    /// <summary>All ids, text after text.</summary>
    public ReadOnlySpan<int> Ids => _ids.AsSpan(0, TokenCount);

    /// <summary>Count + 1 offsets into <see cref="Ids"/>: text i spans <c>Offsets[i]</c> to <c>Offsets[i + 1]</c>.</summary>
    public ReadOnlySpan<int> Offsets => _offsets.AsSpan(0, Count + 1);

    /// <summary>The ids of text <paramref name="index"/>.</summary>
    public ReadOnlySpan<int> this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), $"text {index} is outside the batch (0…{Count - 1})");
            return _ids.AsSpan(_offsets[index], _offsets[index + 1] - _offsets[index]);
        }
    }

    /// <summary>Empties the batch and sizes the per-text and per-worker arrays for <paramref name="count"/> texts and <paramref name="workers"/> workers.</summary>
    internal void Reset(int count, int workers)
    {
        Count = 0;
        if (Part.Length < count)
        {
            int n = Math.Max(count, Part.Length * 2);
            Part = new int[n];
            Start = new int[n];
            Length = new int[n];
        }
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
    /// After the workers: the offsets of the texts laid out in order, and room for all their ids. Returns false when
    /// the ids are already in place: a single worker appended every text in order, so its part's array becomes the
    /// batch's (swapped, not copied; the part gets the old array to fill next time).
    /// </summary>
    internal bool Layout(int count, int workers)
    {
        long total = 0;
        for (int i = 0; i < count; i++)
        {
            _offsets[i] = (int)total;
            total += Length[i];
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
        if (_ids.Length < total) _ids = GC.AllocateUninitializedArray<int>((int)Math.Min(Array.MaxLength, Math.Max(total, _ids.Length * 2L)));
        return true;
    }

    /// <summary>Copies text <paramref name="index"/>'s ids from its worker's part to their place (texts in parallel).</summary>
    internal void Place(int index) =>
        Parts[Part[index]].Items.AsSpan(Start[index], Length[index]).CopyTo(_ids.AsSpan(_offsets[index]));
}
