namespace SharpLM.Tokenization;

/// <summary>
/// Turns merge texts into ids (left piece, right piece, and the piece they make) while the rest of the merges are
/// still being read: a worker on another core builds the vocabulary table, then resolves blocks of merges as the
/// reader publishes them; when reading ends the reading thread takes blocks too. On the 2-core machine this hides
/// most of the table build and of the ~1.5M hash lookups behind the reading of the 25 MB merges section.
/// </summary>
/// <remarks>
/// The reader appends to <see cref="MergeTexts"/> (whose arrays it may replace as they grow) and calls
/// <see cref="Publish"/>; a block is read only after the count covering it was published under the lock, and a
/// replaced array still holds everything written before the replacement, so a worker never sees a half-written
/// piece. The first bad merge (lowest index) is what <see cref="FirstBad"/> reports, whichever thread found it.
/// </remarks>
internal sealed class MergeResolver
{
    public const int BlockMerges = 8192;

    readonly MergeTexts _texts;
    readonly Func<PieceTable> _buildTable;
    readonly int _modelVocab;
    readonly int[]?[] _blocks;          // block b: left, right, result of its merges, BlockMerges each
    readonly object _gate = new();
    readonly Task _worker;
    PieceTable? _table;
    int _published, _nextBlock, _firstBad = int.MaxValue;
    bool _finished, _cancelled;

    /// <param name="buildTable">Builds the vocabulary table (on the worker); its exception is rethrown by <see cref="Table"/>.</param>
    /// <param name="maxMerges">An upper bound on the number of merges (from the file's size).</param>
    public MergeResolver(MergeTexts texts, Func<PieceTable> buildTable, int modelVocab, long maxMerges)
    {
        _texts = texts;
        _buildTable = buildTable;
        _modelVocab = modelVocab;
        _blocks = new int[]?[(int)Math.Min(Array.MaxLength, maxMerges / BlockMerges + 2)];
        _worker = Task.Run(Work);
    }

    void Work()
    {
        Volatile.Write(ref _table, _buildTable());   // an exception ends the worker; Table() rethrows it
        while (Claim(out int b)) Resolve(b);
    }

    /// <summary>The reader has appended merges up to <paramref name="merges"/>.</summary>
    public void Publish(int merges)
    {
        lock (_gate)
        {
            _published = merges;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Reading ended with <paramref name="merges"/> merges: resolves what is left on this thread and the worker, and waits for both.</summary>
    public void Finish(int merges)
    {
        lock (_gate)
        {
            _published = merges;
            _finished = true;
            Monitor.PulseAll(_gate);
        }
        if (Volatile.Read(ref _table) is null) { WaitWorker(); return; }   // still building (the worker then resolves all) or failed
        while (Claim(out int b)) Resolve(b);
        WaitWorker();
    }

    /// <summary>Stops the worker (reading failed or the inputs changed) and waits for it; nothing it made is used.</summary>
    public void Cancel()
    {
        lock (_gate)
        {
            _cancelled = true;
            Monitor.PulseAll(_gate);
        }
        WaitWorker();
    }

    void WaitWorker()
    {
        try { _worker.Wait(); }
        catch (AggregateException) { }   // the table build's error: Table() rethrows it
    }

    /// <summary>The vocabulary table (after <see cref="Finish"/>); rethrows the error that building it gave.</summary>
    public PieceTable Table()
    {
        _worker.GetAwaiter().GetResult();
        return _table!;
    }

    /// <summary>Index of the first merge whose pieces or result are not in the model vocabulary, or −1.</summary>
    public int FirstBad => _firstBad == int.MaxValue ? -1 : _firstBad;

    /// <summary>The resolved ids of all <paramref name="merges"/> merges, in rank order (after <see cref="Finish"/>).</summary>
    public (int[] Left, int[] Right, int[] Result) Result(int merges)
    {
        var left = new int[merges];
        var right = new int[merges];
        var result = new int[merges];
        for (int b = 0; b * BlockMerges < merges; b++)
        {
            var block = _blocks[b]!;
            int n = Math.Min(BlockMerges, merges - b * BlockMerges);
            block.AsSpan(0, n).CopyTo(left.AsSpan(b * BlockMerges));
            block.AsSpan(BlockMerges, n).CopyTo(right.AsSpan(b * BlockMerges));
            block.AsSpan(2 * BlockMerges, n).CopyTo(result.AsSpan(b * BlockMerges));
        }
        return (left, right, result);
    }

    /// <summary>Takes the next block; waits until the reader has published it. False when there are no more (or reading was cancelled).</summary>
    bool Claim(out int block)
    {
        block = Interlocked.Increment(ref _nextBlock) - 1;
        long need = (long)(block + 1) * BlockMerges;
        lock (_gate)
        {
            while (!_cancelled && !_finished && _published < need) Monitor.Wait(_gate);
            if (_cancelled) return false;
            return (long)block * BlockMerges < _published;
        }
    }

    void Resolve(int b)
    {
        var table = _table!;
        int first = b * BlockMerges, count;
        lock (_gate) count = Math.Min(BlockMerges, _published - first);
        // Read the arrays after the lock: they hold at least everything published (see remarks).
        var text = _texts.Text;
        var ends = _texts.Ends;
        var block = new int[3 * BlockMerges];
        int modelVocab = _modelVocab;
        const int Ahead = 8;   // lookups of merge i + Ahead start fetching their slots while merge i is resolved
        for (int i = 0; i < count; i++)
        {
            int k = first + i;
            if (i + Ahead < count)
            {
                int p = k + Ahead;
                int ps = ends[2 * p - 1], pm = ends[2 * p], pe = ends[2 * p + 1];
                table.Prefetch(text.AsSpan(ps, pm - ps));
                table.Prefetch(text.AsSpan(pm, pe - pm));
                table.Prefetch(text.AsSpan(ps, pe - ps));
            }
            int start = k == 0 ? 0 : ends[2 * k - 1], mid = ends[2 * k], end = ends[2 * k + 1];
            int l = table.Find(text.AsSpan(start, mid - start)), r = table.Find(text.AsSpan(mid, end - mid));
            int m = table.Find(text.AsSpan(start, end - start));   // the two pieces are adjacent: their concatenation is one slice
            if (l < 0 || r < 0 || m < 0 || l >= modelVocab || r >= modelVocab || m >= modelVocab)
            {
                int seen;
                while (k < (seen = Volatile.Read(ref _firstBad)) && Interlocked.CompareExchange(ref _firstBad, k, seen) != seen) { }
                continue;
            }
            block[i] = l;
            block[BlockMerges + i] = r;
            block[2 * BlockMerges + i] = m;
        }
        _blocks[b] = block;   // published to Result() by the worker's completion / this thread
    }
}
