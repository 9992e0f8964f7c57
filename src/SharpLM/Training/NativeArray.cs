using System.Runtime.InteropServices;

namespace SharpLM.Training;

/// <summary>
/// A flat, 64-byte aligned, zero-initialised block of <typeparamref name="T"/> outside the GC heap: the
/// parameter, gradient, optimizer-moment and activation arenas (llm.c style: one allocation, tensors carved
/// at named offsets).
/// </summary>
public sealed unsafe class NativeArray<T> : IDisposable where T : unmanaged
{
    T* _data;

    public long Length { get; }

    public NativeArray(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        _data = (T*)NativeMemory.AlignedAlloc((nuint)Math.Max(1, length * sizeof(T)), 64);
        NativeMemory.Clear(_data, (nuint)(length * sizeof(T)));
    }

    public T* Pointer => _data != null ? _data : throw new ObjectDisposedException(nameof(NativeArray<T>));

    /// <summary>Element <paramref name="offset"/> onwards, <paramref name="count"/> long.</summary>
    public Span<T> Slice(long offset, int count)
    {
        if (offset < 0 || count < 0 || offset + count > Length) throw new ArgumentOutOfRangeException(nameof(offset));
        return new Span<T>(Pointer + offset, count);
    }

    public T* At(long offset) => Pointer + offset;

    public void Clear() => NativeMemory.Clear(Pointer, (nuint)(Length * sizeof(T)));

    public void CopyFrom(NativeArray<T> other)
    {
        if (other.Length != Length) throw new ArgumentException("length mismatch", nameof(other));
        Buffer.MemoryCopy(other.Pointer, Pointer, Length * sizeof(T), Length * sizeof(T));
    }

    public void Dispose()
    {
        if (_data != null) NativeMemory.AlignedFree(_data);
        _data = null;
    }
}
