using System.Numerics;
using System.Runtime.InteropServices;

namespace SharpLM.Training.Ops;

/// <summary>
/// Growable aligned scratch owned by a <see cref="Kernels.Training.Workers"/> pool (one per element type):
/// an op borrows it for the duration of one call, e.g. for per-chunk partial sums. Grows on the first step,
/// then never allocates again.
/// </summary>
public sealed unsafe class Scratch<T> : IDisposable where T : unmanaged
{
    T* _data;
    long _length;

    /// <summary>At least <paramref name="count"/> elements, contents undefined.</summary>
    public T* Get(long count)
    {
        if (count > _length)
        {
            if (_data != null) NativeMemory.AlignedFree(_data);
            _data = (T*)NativeMemory.AlignedAlloc((nuint)(count * sizeof(T)), 64);
            _length = count;
        }
        return _data;
    }

    public void Dispose()
    {
        if (_data != null) NativeMemory.AlignedFree(_data);
        _data = null;
        _length = 0;
    }
}
