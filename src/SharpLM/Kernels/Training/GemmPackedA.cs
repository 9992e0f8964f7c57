using System.Numerics;
using System.Runtime.CompilerServices;

namespace SharpLM.Kernels.Training;

/// <summary>
/// A of one <see cref="Gemm"/> product packed once for all of its column blocks: MR-row micro-panels over the whole
/// of K, micro-panel p's slice starting at k0 holding element (r, k) at p·MR·K + k0·MR + (k − k0)·MR + r, the same
/// bytes <see cref="Gemm"/>'s per-tile packing writes into scratch (so results cannot change).
/// </summary>
/// <remarks>
/// Why: a sweep packs its rows of A once per K slice and column block, so a product with several column blocks
/// packed all of A once per block: 22 times for the head's logits (N = 16,384), 4 times for gate|up, twice for
/// the down projection's input and weight gradients (a fifth of all the A packing of a small step). Here every
/// (micro-panel, K slice) piece is packed exactly once, by the first worker whose tile needs it (claimed with a
/// compare-exchange, like <see cref="GemmPackedB{T}"/>); the other blocks read the packed piece. Owns its memory;
/// grows, never shrinks (a few MB: M × K of the largest product that uses it).
/// </remarks>
sealed unsafe class GemmPackedA<T> : GemmPackedPieces<T> where T : unmanaged, INumber<T>
{
    T* _source;
    int _lda, _kSlice, _mr, _m, _k;
    bool _transposed;

    /// <summary>
    /// Takes A [M,K] (row stride <paramref name="lda"/>), or A stored transposed as [K,M], to be packed piece by piece
    /// in K slices of <paramref name="kSlice"/> (the slices B was packed in). A must not change until the product ends.
    /// </summary>
    public void Describe(int m, int k, T* a, int lda, bool transposed, int kSlice, int mr)
    {
        _m = m; _k = k; _source = a; _lda = lda; _transposed = transposed; _kSlice = kSlice; _mr = mr;
        int panels = (m + mr - 1) / mr;
        Reset((long)panels * mr * k, panels, (k + kSlice - 1) / kSlice);
    }

    /// <summary>The packed micro-panel holding row <paramref name="row"/> (a multiple of MR), from K offset <paramref name="pc"/> (a slice start).</summary>
    public T* Panel(int row, int pc) => Data + (long)row * _k + (long)pc * _mr;

    /// <summary>
    /// Makes micro-panels [<paramref name="p0"/>, <paramref name="p1"/>) of K slice <paramref name="slice"/> ready: packs every
    /// run of pieces nobody has claimed yet in one go (the transposed packing reads each source row once per run),
    /// then waits for those another worker is packing.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // once per tile and slice; inlined, it crowds Gemm.Tile's registers
    public void EnsurePacked(int p0, int p1, int slice)
    {
        bool waiting = false;
        int pc = slice * _kSlice, kc = Math.Min(_kSlice, _k - pc);
        for (int p = p0; p < p1;)
        {
            int run = p;
            while (run < p1 && TryClaim(run, slice)) run++;
            if (run > p)
            {
                try
                {
                    int i0 = p * _mr;
                    Gemm.PackA(Data + (long)i0 * _k + (long)pc * _mr, (long)_mr * _k, _source, _lda, _transposed, i0, Math.Min(run * _mr, _m) - i0, pc, kc, _mr);
                }
                finally { for (int q = p; q < run; q++) Publish(q, slice); }
                p = run;
            }
            else
            {
                if (!IsPacked(p, slice)) waiting = true;
                p++;
            }
        }
        if (waiting) WaitPacked(p0, p1, slice);
    }
}
