using System.Runtime.InteropServices;

namespace SharpLM.Kernels.Training;

/// <summary>
/// The memory and the claim protocol shared by <see cref="GemmPackedA{T}"/> and <see cref="GemmPackedB{T}"/>: a packed
/// operand cut into pieces of one panel × one K slice, each packed exactly once, by the first worker whose tile needs it.
/// </summary>
/// <remarks>
/// A piece's state goes 0 (not packed) → 1 (claimed by a compare-exchange: that worker packs it) → 2 (packed, published
/// with a volatile write). Workers that need a piece another one is packing spin until it is published (a few
/// microseconds). What a piece holds never depends on who packed it. The memory grows, never shrinks.
/// </remarks>
public abstract unsafe class GemmPackedPieces<T> : IDisposable where T : unmanaged
{
    private protected T* Data;
    long _capacity;
    int _slices;
    int[] _state = [];

    /// <summary>Makes room for <paramref name="elements"/> packed values and marks all <paramref name="panels"/> × <paramref name="slices"/> pieces unpacked.</summary>
    private protected void Reset(long elements, int panels, int slices)
    {
        if (elements > _capacity)
        {
            if (Data != null) NativeMemory.AlignedFree(Data);
            Data = (T*)NativeMemory.AlignedAlloc((nuint)(elements * sizeof(T)), 64);
            _capacity = elements;
        }
        _slices = slices;
        int pieces = panels * slices;
        if (_state.Length < pieces) _state = new int[pieces];
        else Array.Clear(_state, 0, pieces);
    }

    /// <summary>K slices per panel (as last <see cref="Reset"/>).</summary>
    private protected int Slices => _slices;

    private protected bool IsPacked(int panel, int slice) => Volatile.Read(ref _state[panel * _slices + slice]) == 2;

    /// <summary>True when the caller has claimed the piece and must pack it, then <see cref="Publish"/> it (in a finally).</summary>
    private protected bool TryClaim(int panel, int slice)
    {
        ref int st = ref _state[panel * _slices + slice];
        return Volatile.Read(ref st) != 2 && Interlocked.CompareExchange(ref st, 1, 0) == 0;
    }

    private protected void Publish(int panel, int slice) => Volatile.Write(ref _state[panel * _slices + slice], 2);

    /// <summary>Waits until pieces [<paramref name="p0"/>, <paramref name="p1"/>) of <paramref name="slice"/> are packed (by other workers).</summary>
    private protected void WaitPacked(int p0, int p1, int slice)
    {
        for (int p = p0; p < p1; p++)
        {
            var spin = new SpinWait();
            while (!IsPacked(p, slice)) spin.SpinOnce(-1);
        }
    }

    public void Dispose()
    {
        if (Data != null) NativeMemory.AlignedFree(Data);
        Data = null;
        _capacity = 0;
        GC.SuppressFinalize(this);
    }
}
