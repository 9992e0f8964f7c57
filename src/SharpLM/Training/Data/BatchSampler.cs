namespace SharpLM.Training.Data;

/// <summary>How training windows are ordered (<c>--order</c>).</summary>
public enum DataOrder { Shuffled, Sequential }

/// <summary>
/// Where each training row comes from. The data is cut into W = ⌊(count − 1)/T⌋ windows of T+1 tokens,
/// window j starting at token j·T (inputs its first T tokens, targets its last T). Sample g of the run —
/// g = (s·K + k)·B + b for row b of micro-batch k of step s — takes window g mod W in <c>sequential</c>
/// order (so without grad-accum, row b of step s starts at token (s·B + b)·T, wrapping after a full pass),
/// or window π_e(g mod W) in <c>shuffled</c> order, π_e a seeded permutation drawn afresh for each pass e = g / W.
/// A pure function of (seed, step): resuming needs no sampler state.
/// </summary>
public sealed class BatchSampler
{
    readonly int _batch, _gradAccum, _seqLen;
    readonly DataOrder _order;
    readonly ulong _seed;
    long _permEpoch = -1;
    int[] _perm = [];

    public long Windows { get; }

    public BatchSampler(string source, long tokenCount, int batch, int seqLen, int gradAccum, DataOrder order, ulong seed)
    {
        if (tokenCount < seqLen + 1)
            throw new SharpLMDataException(source, $"has {tokenCount} tokens; a window of --seq {seqLen} needs at least {seqLen + 1}");
        Windows = (tokenCount - 1) / seqLen;
        if (order == DataOrder.Shuffled && Windows > int.MaxValue)
            throw new SharpLMDataException(source, $"too many windows ({Windows}) to shuffle; use --order sequential or a longer --seq");
        _batch = batch;
        _gradAccum = gradAccum;
        _seqLen = seqLen;
        _order = order;
        _seed = seed;
    }

    /// <summary>First token of the window for row <paramref name="row"/> of micro-batch <paramref name="micro"/> of step <paramref name="step"/>.</summary>
    public long WindowStart(long step, int micro, int row)
    {
        long g = (step * _gradAccum + micro) * _batch + row;
        long epoch = g / Windows, index = g % Windows;
        if (_order == DataOrder.Sequential) return index * _seqLen;
        if (epoch != _permEpoch)
        {
            _perm = Permutation((int)Windows, DeterministicRandom.For(_seed, 0x5EED0000UL + (ulong)epoch));
            _permEpoch = epoch;
        }
        return (long)_perm[index] * _seqLen;
    }

    static int[] Permutation(int n, DeterministicRandom rng)
    {
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--)
        {
            int j = (int)rng.NextInt64(i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }

    /// <summary>Fills inputs and targets [B·T] for one micro-batch from <paramref name="data"/>.</summary>
    public void Fill(TokenDataset data, long step, int micro, Span<int> inputs, Span<int> targets, Span<int> window)
    {
        for (int b = 0; b < _batch; b++)
        {
            data.Read(WindowStart(step, micro, b), window[..(_seqLen + 1)]);
            window[.._seqLen].CopyTo(inputs.Slice(b * _seqLen, _seqLen));
            window.Slice(1, _seqLen).CopyTo(targets.Slice(b * _seqLen, _seqLen));
        }
    }
}
