using System.Runtime.CompilerServices;
using System.Text;

namespace SharpLM.Tokenization;

/// <summary>
/// BPE over one pre-tokenized word, id-for-id as Hugging Face's <c>BPE</c> model: each character becomes its
/// vocabulary id (or its <c>&lt;0xNN&gt;</c> byte tokens, or the unknown token), then the adjacent pair with the
/// lowest merge rank is joined, leftmost first on ties, until no pair has a rule.
/// </summary>
/// <remarks>
/// <para>Speed without changing the result:</para>
/// <list type="bullet">
/// <item>Gemma's pre-tokenizer leaves the whole text as one "word" (spaces were already turned into ▁), so a
/// 4 KB chunk would be one 4,000-symbol BPE. We cut the word before every ▁ that follows a character X when no
/// merge rule joins a piece ending in X to a piece starting with ▁ (checked from the merge table at load). No
/// symbol can then ever span the cut, merges on either side never interact, and the result is identical; the
/// pieces are short words like "▁token", which are cached in tables all threads share (<see cref="SharedWordCache"/>,
/// <see cref="LongWordCache"/> for the few that do not fit its records).</item>
/// <item>Short words run a linear scan over a compact array (cheaper than a heap below ~48 symbols); long
/// words use a binary heap of (rank, position) with a doubly linked symbol list, as Hugging Face does. Both
/// pick the same (rank, position) minimum at every step.</item>
/// </list>
/// </remarks>
internal sealed class BpeEncoder
{
    const char MetaSpace = '\u2581';
    const int LinearScanLimit = 48;

    readonly MergeTable _merges;
    readonly int[] _bmpIds;                        // UTF-16 unit → vocabulary id of that one-character piece, or −1
    readonly Dictionary<int, int> _astralIds;      // code point above U+FFFF → id
    readonly int[] _byteIds;                       // byte → id of <0xNN>, or −1
    readonly int _unk;
    readonly bool _byteFallback, _fuseUnk, _ignoreMerges;
    readonly PieceTable _pieces;
    readonly int _modelVocabSize;
    SharedWordCache? _records;     // encoded pieces, shared by all threads (made on first encode)
    LongWordCache? _longWords;     // those too big for a record
    ShortWordCache? _shortWords;   // a dense front table for the commonest short pieces (also in _records)
    readonly bool _hugePages;

    // Cutting before ▁ (see remarks).
    readonly bool _cutAtMetaSpace;
    readonly bool[] _mergesAcrossAfter;            // BMP char X: some merge joins "…X" + "▁…"
    readonly HashSet<int> _mergesAcrossAfterAstral;
    readonly bool _mergesAcrossAfterFallback;      // the same for byte-fallback / unknown symbols

    /// <param name="hugePages">Whether the shared word cache asks for huge pages (see <see cref="LookupTableMemory"/>).</param>
    public BpeEncoder(TokenizerDefinition def, MergeTable merges, bool hugePages)
    {
        _merges = merges;
        _hugePages = hugePages;
        _pieces = def.Pieces;
        _modelVocabSize = def.ModelVocabSize;
        _unk = def.UnknownId;
        _byteFallback = def.ByteFallback;
        _fuseUnk = def.FuseUnknown;
        _ignoreMerges = def.IgnoreMerges;

        _bmpIds = new int[65536];
        Array.Fill(_bmpIds, -1);
        _astralIds = [];
        for (int id = 0; id < _modelVocabSize; id++)
        {
            var text = _pieces.Utf8(id);
            if (text.Length is 0 or > 4) continue;
            if (Rune.DecodeFromUtf8(text, out var r, out int used) != System.Buffers.OperationStatus.Done || used != text.Length) continue;
            if (r.IsBmp) _bmpIds[r.Value] = id;
            else _astralIds[r.Value] = id;
        }

        _byteIds = new int[256];
        Span<byte> name = stackalloc byte[6];
        for (int b = 0; b < 256; b++)
        {
            // Hugging Face looks up format!("<{:#04X}>", b), i.e. "<0x0A>".
            Encoding.ASCII.GetBytes($"<0x{b:X2}>", name);
            int id = _pieces.Find(name);
            _byteIds[b] = id >= 0 && id < _modelVocabSize ? id : -1;
        }

        // Where may a word be cut before ▁?
        _mergesAcrossAfter = new bool[65536];
        _mergesAcrossAfterAstral = [];
        int meta = _bmpIds[MetaSpace];
        _cutAtMetaSpace = meta >= 0 && !_ignoreMerges;
        if (_cutAtMetaSpace)
        {
            ReadOnlySpan<byte> metaUtf8 = "\u2581"u8;
            string unkText = _unk >= 0 ? _pieces.Text(_unk) : "";
            for (int r = 0; r < def.MergeLeft.Length; r++)
            {
                var right = _pieces.Utf8(def.MergeRight[r]);
                if (!right.StartsWith(metaUtf8)) continue;
                var left = _pieces.Utf8(def.MergeLeft[r]);
                if (left.EndsWith(metaUtf8)) continue;   // a cut is never made after ▁
                if (Rune.DecodeLastFromUtf8(left, out var last, out _) != System.Buffers.OperationStatus.Done) continue;
                if (last.IsBmp) _mergesAcrossAfter[last.Value] = true;
                else _mergesAcrossAfterAstral.Add(last.Value);
                // Byte-fallback symbols (and pieces built from them) end in '>'; unknown symbols end like the unk text.
                if (last.Value == '>' || (unkText.Length > 0 && last.Value == unkText[^1]))
                    _mergesAcrossAfterFallback = true;
            }
        }
    }

    /// <summary>Appends the ids of <paramref name="word"/> (normalized text, non-empty) to <paramref name="output"/>.</summary>
    public void EncodeWord(ReadOnlySpan<char> word, EncoderScratch s, IdList output)
    {
        EncodeWordInTables(word, s, output);
        // The merge table and the word caches are native memory freed by their finalizers, read through raw pointers:
        // this keeps the encoder, and so the tables, reachable until the last read, even when the caller drops the
        // tokenizer while it encodes (the JIT may otherwise end 'this' at its last field load).
        GC.KeepAlive(this);
    }

    void EncodeWordInTables(ReadOnlySpan<char> word, EncoderScratch s, IdList output)
    {
        if (word.IsEmpty) return;
        if (_ignoreMerges)
        {
            int whole = _pieces.Find(word);
            if (whole >= 0 && whole < _modelVocabSize)
            {
                output.Add(whole);
                return;
            }
        }
        if (!_cutAtMetaSpace)
        {
            EncodePiece(word, s, output);
            return;
        }
        // The pieces are looked up in blocks, in two passes: the first finds each piece's end and hash and starts
        // fetching its set's tags (in the shared records, or in the long-word cache for a piece too long for a record); the second looks the pieces up in order, each time starting to fetch the record of
        // the piece RecordsAhead further on. The cache misses of many pieces then overlap, instead of every piece
        // waiting for its tag line and then for its record line (two dependent trips to L3 or memory per piece).
        if (!PipelinedLookups)
        {
            EncodePiecesOneByOne(word, s, output);
            return;
        }
        var records = _records ?? CreateRecords();
        var longWords = _longWords ?? Create(ref _longWords);
        var shortWords = ShortWords ? _shortWords ?? CreateShortWords() : null;
        var ends = s.PieceEnds;
        var hashes = s.PieceHashes;
        var keys = s.PieceKeys;
        int start = 0, scan = 1;
        while (start < word.Length)
        {
            int n = 0, from = start;
            while (n < EncoderScratch.PieceBlock)
            {
                // A plain scan: pieces are short, so a vectorized search per piece would cost more in setup than it saves.
                int cut = word.Length;
                for (; scan < word.Length; scan++)
                {
                    if (word[scan] != MetaSpace || word[scan - 1] == MetaSpace || !MayCutBefore(word, scan)) continue;
                    cut = scan++;
                    break;
                }
                var piece = word[start..cut];
                // A piece with a short-word key is looked up there first (its hash is only needed if it is not there).
                ulong key = shortWords is null ? 0 : ShortWordCache.Key(piece);
                uint hash = 0;
                if (key != 0) shortWords!.Prefetch(key);
                else
                {
                    hash = PieceHash(piece);
                    if (piece.Length <= SharedWordCache.MaxWordLength) records.PrefetchTags(hash);
                    else if (piece.Length <= LongWordCache.MaxWordLength) longWords.PrefetchTags(hash);
                }
                ends[n] = cut;
                keys[n] = key;
                hashes[n++] = hash;
                start = cut;
                if (cut == word.Length) break;
            }
            for (int k = 0; k < Math.Min(RecordsAhead, n); k++) PrefetchRecord(records, longWords, s, k, from);
            for (int k = 0; k < n; k++)
            {
                if (k + RecordsAhead < n) PrefetchRecord(records, longWords, s, k + RecordsAhead, from);
                EncodePiece(word[from..ends[k]], hashes[k], keys[k], s, output);
                from = ends[k];
            }
        }
    }

    /// <summary>
    /// Whether <see cref="EncodeWord"/> looks pieces up in blocks with prefetching (the default) or one by one as they
    /// are cut (the plain path, kept so that tests and benchmarks can compare the two; same ids either way).
    /// </summary>
    internal bool PipelinedLookups { get; set; } = true;

    /// <summary>
    /// Whether pieces with a <see cref="ShortWordCache.Key"/> are looked up in the dense short-word table first, or only
    /// in the shared records (same ids either way). Default from <c>SHARPLM_TOKENIZER_SHORT_WORDS</c> (see
    /// <see cref="ShortWordCache.EnabledByDefault"/>); tests and benchmarks set it per tokenizer to compare the two.
    /// </summary>
    internal bool ShortWords { get; set; } = ShortWordCache.EnabledByDefault;

    /// <summary>Whether the shared records get 16-bit tags, read when they are made (default from <c>SHARPLM_TOKENIZER_NARROW_TAGS</c>; benchmarks compare).</summary>
    internal bool NarrowTags { get; set; } = SharedWordCache.NarrowTagsByDefault;

    /// <summary>log2 of the short-word table's lines, read when the table is made (benchmarks compare sizes).</summary>
    internal int ShortWordLineBits { get; set; } = ShortWordCache.DefaultLineBits;

    /// <summary>The plain path: each piece is cut, hashed and looked up before the next one is found.</summary>
    void EncodePiecesOneByOne(ReadOnlySpan<char> word, EncoderScratch s, IdList output)
    {
        int start = 0;
        for (int i = 1; i < word.Length; i++)
        {
            if (word[i] != MetaSpace || word[i - 1] == MetaSpace || !MayCutBefore(word, i)) continue;
            EncodePiece(word[start..i], s, output);
            start = i;
        }
        EncodePiece(word[start..], s, output);
    }

    /// <summary>How many pieces ahead of its lookup a piece's record is fetched (~ a memory latency of work).</summary>
    const int RecordsAhead = 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void PrefetchRecord(SharedWordCache records, LongWordCache longWords, EncoderScratch s, int k, int blockStart)
    {
        if (s.PieceKeys[k] != 0) return;   // expected in the short-word table (its line is already coming)
        int length = s.PieceEnds[k] - (k > 0 ? s.PieceEnds[k - 1] : blockStart);
        if (length <= SharedWordCache.MaxWordLength) records.PrefetchRecord(s.PieceHashes[k]);
        else if (length <= LongWordCache.MaxWordLength) longWords.PrefetchEntry(s.PieceHashes[k]);
    }

    /// <summary>One cut piece, its key and hash computed here (the paths without blocks).</summary>
    void EncodePiece(ReadOnlySpan<char> piece, EncoderScratch s, IdList output)
    {
        ulong key = ShortWords ? ShortWordCache.Key(piece) : 0;
        EncodePiece(piece, key != 0 ? 0 : PieceHash(piece), key, s, output);
    }

    /// <summary>The word-cache hash of <paramref name="piece"/>, or 0 for a piece too long for any cache (never looked up).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static uint PieceHash(ReadOnlySpan<char> piece) => piece.Length <= LongWordCache.MaxWordLength ? SharedWordCache.Hash(piece) : 0;

    bool MayCutBefore(ReadOnlySpan<char> word, int i)
    {
        char p = word[i - 1];
        if (char.IsLowSurrogate(p) && i >= 2 && char.IsHighSurrogate(word[i - 2]))
        {
            int cp = char.ConvertToUtf32(word[i - 2], p);
            return _astralIds.ContainsKey(cp) ? !_mergesAcrossAfterAstral.Contains(cp) : !_mergesAcrossAfterFallback;
        }
        return _bmpIds[p] >= 0 ? !_mergesAcrossAfter[p] : !_mergesAcrossAfterFallback;
    }

    /// <summary>
    /// One cut piece: from the shared caches, or BPE then cache. <paramref name="key"/> is its <see cref="ShortWordCache.Key"/>
    /// when the short-word table is in use (else 0), and <paramref name="hash"/> its <see cref="PieceHash"/> (0, computed
    /// here, when it has a key).
    /// </summary>
    void EncodePiece(ReadOnlySpan<char> piece, uint hash, ulong key, EncoderScratch s, IdList output)
    {
        var counts = s.Counts;
        ShortWordCache? shortWords = null;
        if (key != 0)
        {
            shortWords = _shortWords ?? CreateShortWords();
            if (shortWords.TryGet(key, output))
            {
                counts.Hits++;
                counts.ShortHits++;
                return;
            }
            hash = SharedWordCache.Hash(piece);
        }
        if (piece.Length > LongWordCache.MaxWordLength)
        {
            counts.Misses++;
            counts.LongPieces++;
            Bpe(piece, s, output);
            return;
        }
        var records = _records ?? CreateRecords();
        var longWords = _longWords ?? Create(ref _longWords);
        int before = output.Count;
        if ((piece.Length <= SharedWordCache.MaxWordLength && records.TryGet(piece, hash, output))
            || longWords.TryGet(piece, hash, output))
        {
            counts.Hits++;
            if (shortWords is not null) CountRefill(counts, shortWords.Set(key, output.Span[before..], s.Victim++));   // evicted from the front table (or new there): back in
            return;
        }
        counts.Misses++;
        Bpe(piece, s, output);
        var ids = output.Span[before..];
        if (shortWords is not null) CountRefill(counts, shortWords.Set(key, ids, s.Victim++));
        if (SharedWordCache.Fits(piece.Length, ids.Length)) records.Set(piece, hash, ids, s.Victim++);
        else
        {
            counts.OverflowMisses++;
            longWords.Set(piece, hash, ids, s.Victim++);
        }
    }

    static void CountRefill(EncoderCounters counts, ShortWordCache.SetOutcome outcome)
    {
        if (outcome == ShortWordCache.SetOutcome.Written) counts.ShortRefills++;
        else if (outcome == ShortWordCache.SetOutcome.AlreadyThere) counts.ShortRefillsSkipped++;
    }

    ShortWordCache CreateShortWords()
    {
        Interlocked.CompareExchange(ref _shortWords, new ShortWordCache(_hugePages, ShortWordLineBits), null);
        return _shortWords;
    }

    SharedWordCache CreateRecords()
    {
        Interlocked.CompareExchange(ref _records, new SharedWordCache(_hugePages, NarrowTags), null);
        return _records;
    }

    /// <summary>The page modes of the merge table and of the shared word cache (null until the first encode makes it).</summary>
    internal (LookupTableMemory.PageMode Merges, LookupTableMemory.PageMode? WordCache) LookupTableModes =>
        (_merges.Memory.Mode, Volatile.Read(ref _records)?.Memory.Mode);

    internal MergeTable Merges => _merges;
    internal SharedWordCache? WordCache => Volatile.Read(ref _records);

    // The caches are made on first encode, not at load: a tokenizer that is only loaded (or only decodes) does not pay ~9 MB.
    static T Create<T>(ref T? cache) where T : class, new()
    {
        Interlocked.CompareExchange(ref cache, new T(), null);
        return cache!;
    }

    /// <summary>BPE on one piece, uncached.</summary>
    internal void Bpe(ReadOnlySpan<char> piece, EncoderScratch s, IdList output)
    {
        int n = InitialSymbols(piece, s);
        if (n == 0) return;
        if (n == 1) { output.Add(s.Ids[0]); return; }
        if (n <= LinearScanLimit) MergeLinear(s.Ids, s.Ranks, n, output);
        else MergeHeap(s, n, output);
    }

    /// <summary>Characters → initial symbols in <c>s.Ids</c>; returns the count.</summary>
    int InitialSymbols(ReadOnlySpan<char> piece, EncoderScratch s)
    {
        s.EnsureSymbols(piece.Length * 3 + 1);   // a UTF-16 unit is at most 3 UTF-8 bytes
        var ids = s.Ids;
        int n = 0;
        bool pendingUnk = false;                 // a (possibly fused) unknown symbol waiting to be appended
        for (int i = 0; i < piece.Length; i++)
        {
            char c = piece[i];
            int id, cp = c;
            if (char.IsHighSurrogate(c) && i + 1 < piece.Length && char.IsLowSurrogate(piece[i + 1]))
            {
                cp = char.ConvertToUtf32(c, piece[i + 1]);
                i++;
                id = _astralIds.TryGetValue(cp, out int a) ? a : -1;
            }
            else id = _bmpIds[c];

            if (id >= 0)
            {
                if (pendingUnk) { ids[n++] = _unk; pendingUnk = false; }
                ids[n++] = id;
                continue;
            }
            if (_byteFallback && TryAddBytes(cp, ids, ref n)) continue;   // (HF leaves a pending unknown pending here)
            if (_unk >= 0)
            {
                if (pendingUnk && !_fuseUnk) ids[n++] = _unk;
                pendingUnk = true;
            }
            // No unknown token and no byte pieces: Hugging Face drops the character.
        }
        if (pendingUnk) ids[n++] = _unk;
        return n;
    }

    bool TryAddBytes(int cp, int[] ids, ref int n)
    {
        Span<byte> utf8 = stackalloc byte[4];
        int len = new Rune(cp).EncodeToUtf8(utf8);
        for (int k = 0; k < len; k++) if (_byteIds[utf8[k]] < 0) return false;
        for (int k = 0; k < len; k++) ids[n++] = _byteIds[utf8[k]];
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    int RankOf(int left, int right) => _merges.TryGet(left, right, out int rank, out _) ? rank : int.MaxValue;

    /// <summary>Short words: repeatedly join the leftmost lowest-ranked pair in a compact array.</summary>
    void MergeLinear(int[] ids, int[] ranks, int n, IdList output)
    {
        for (int i = 0; i < n - 1; i++) ranks[i] = RankOf(ids[i], ids[i + 1]);
        while (n > 1)
        {
            int best = int.MaxValue, at = -1;
            for (int i = 0; i < n - 1; i++)
                if (ranks[i] < best) { best = ranks[i]; at = i; }
            if (at < 0) break;
            _merges.TryGet(ids[at], ids[at + 1], out _, out int merged);
            ids[at] = merged;
            // Remove symbol at+1 (and the pair rank that started there).
            int tail = n - at - 2;
            if (tail > 0)
            {
                Array.Copy(ids, at + 2, ids, at + 1, tail);
                Array.Copy(ranks, at + 2, ranks, at + 1, tail);
            }
            n--;
            if (at > 0) ranks[at - 1] = RankOf(ids[at - 1], ids[at]);
            ranks[at] = at < n - 1 ? RankOf(ids[at], ids[at + 1]) : int.MaxValue;
        }
        output.AddRange(ids.AsSpan(0, n));
    }

    /// <summary>Long words: Hugging Face's algorithm, a min-heap of (rank, position) over a linked symbol list.</summary>
    void MergeHeap(EncoderScratch s, int n, IdList output)
    {
        var ids = s.Ids;
        var prev = s.Prev;
        var next = s.Next;
        var heap = s.Heap;
        int size = 0;
        for (int i = 0; i < n; i++)
        {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        for (int i = 0; i < n - 1; i++)
            if (_merges.TryGet(ids[i], ids[i + 1], out int rank, out _))
                Push(ref heap, ref size, ((long)rank << 32) | (uint)i);

        while (size > 0)
        {
            long top = Pop(heap, ref size);
            int pos = (int)(uint)top, rank = (int)(top >> 32);
            if (ids[pos] < 0) continue;                      // merged into its left neighbour
            int right = next[pos];
            if (right < 0) continue;
            if (!_merges.TryGet(ids[pos], ids[right], out int r, out int merged) || r != rank) continue;   // stale
            ids[pos] = merged;
            ids[right] = -1;
            int after = next[right];
            next[pos] = after;
            if (after >= 0) prev[after] = pos;
            int before = prev[pos];
            if (before >= 0 && _merges.TryGet(ids[before], merged, out int rb, out _))
                Push(ref heap, ref size, ((long)rb << 32) | (uint)before);
            if (after >= 0 && _merges.TryGet(merged, ids[after], out int ra, out _))
                Push(ref heap, ref size, ((long)ra << 32) | (uint)pos);
        }
        s.Heap = heap;
        for (int i = 0; i >= 0; i = next[i]) output.Add(ids[i]);
    }

    static void Push(ref long[] heap, ref int size, long item)
    {
        if (size == heap.Length) Array.Resize(ref heap, heap.Length * 2);
        int i = size++;
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (heap[parent] <= item) break;
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = item;
    }

    static long Pop(long[] heap, ref int size)
    {
        long top = heap[0];
        long last = heap[--size];
        int i = 0;
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= size) break;
            if (child + 1 < size && heap[child + 1] < heap[child]) child++;
            if (heap[child] >= last) break;
            heap[i] = heap[child];
            i = child;
        }
        if (size > 0) heap[i] = last;
        return top;
    }
}
