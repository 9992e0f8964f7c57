namespace SharpLM.Tokenization;

/// <summary>
/// Per-thread working memory of the encoder: symbol arrays for BPE, the normalized-text buffer, the output
/// buffer. Reused across calls so encoding allocates only its result.
/// </summary>
internal sealed class EncoderScratch
{
    public int[] Ids = new int[256];
    public int[] Ranks = new int[256];
    public int[] Prev = new int[256];
    public int[] Next = new int[256];
    public long[] Heap = new long[256];
    public char[] Text = new char[1024];
    public char[] Text2 = new char[64];
    public char[] Clean = new char[256];
    public IdList Output = new();
    public readonly List<AddedTokenMatcher.Split> RawSplits = [];
    public readonly List<AddedTokenMatcher.Split> NormalizedSplits = [];
    public readonly List<(int Start, int End)> Words = [];
    public readonly List<(int Start, int End)> Words2 = [];
    /// <summary>Picks the way a full set of the shared word caches gives up (round-robin per thread).</summary>
    public int Victim;
    /// <summary>Pieces the encoder cuts and looks up at a time (see <see cref="BpeEncoder.EncodeWord"/>).</summary>
    public const int PieceBlock = 64;
    /// <summary>The end (in the word) and word-cache hash of each piece of the current block.</summary>
    public readonly int[] PieceEnds = new int[PieceBlock];
    public readonly uint[] PieceHashes = new uint[PieceBlock];
    /// <summary>The <see cref="ShortWordCache.Key"/> of each piece of the current block (0: none; its hash is then in <see cref="PieceHashes"/>).</summary>
    public readonly ulong[] PieceKeys = new ulong[PieceBlock];
    /// <summary>Word-cache counters (diagnostics).</summary>
    public readonly EncoderCounters Counts = new();

    /// <summary>Makes the symbol arrays hold at least <paramref name="n"/> entries.</summary>
    public void EnsureSymbols(int n)
    {
        if (Ids.Length >= n) return;
        int size = Math.Max(n, Ids.Length * 2);
        Ids = new int[size];
        Ranks = new int[size];
        Prev = new int[size];
        Next = new int[size];
        Heap = new long[size];
    }

    public char[] TextBuffer(int n)
    {
        if (Text.Length < n) Text = new char[Math.Max(n, Text.Length * 2)];
        return Text;
    }
}

/// <summary>A growable list of ids without bounds checks on append (the encoder's output).</summary>
/// <remarks>
/// Padded so that <see cref="Count"/> and <see cref="Items"/>, written and read on every append, share no cache
/// line with any other object: each encoding thread appends to its own list, and two lists of 32 bytes end up side
/// by side once a GC has compacted them (seen for a <see cref="TokenBatch"/>'s per-worker parts: 32 bytes apart,
/// one cache line, after the first batch that grew them), which made the line bounce between the cores on every id.
/// </remarks>
[System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Explicit)]
internal sealed class IdList
{
    [System.Runtime.InteropServices.FieldOffset(64)] public int[] Items = new int[1024];
    [System.Runtime.InteropServices.FieldOffset(72)] public int Count;
    [System.Runtime.InteropServices.FieldOffset(136)] readonly long _padEnd;   // ≥ 64 bytes after Count

    public void Clear() => Count = 0;

    public void Add(int id)
    {
        if (Count == Items.Length) Array.Resize(ref Items, Items.Length * 2);
        Items[Count++] = id;
    }

    public void AddRange(ReadOnlySpan<int> ids)
    {
        if (Count + ids.Length > Items.Length) Array.Resize(ref Items, Math.Max(Items.Length * 2, Count + ids.Length));
        if (ids.Length <= 4)
        {
            // Most cached words are 1–3 tokens: a loop beats a memmove call.
            var items = Items;
            for (int i = 0; i < ids.Length; i++) items[Count + i] = ids[i];
        }
        else ids.CopyTo(Items.AsSpan(Count));
        Count += ids.Length;
    }

    public ReadOnlySpan<int> Span => Items.AsSpan(0, Count);
}
