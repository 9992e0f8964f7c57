namespace SharpLM.Tensors;

/// <summary>
/// A stored weight matrix [Rows, Cols] in any <see cref="TensorType"/>, row-major, one output row per
/// <see cref="Cols"/> inputs (PyTorch Linear layout: y = W·x has <see cref="Rows"/> outputs). The bytes are
/// usually a view into a memory-mapped checkpoint and are used in place; whoever owns the mapping keeps it
/// alive for as long as any view is in use.
/// </summary>
/// <remarks>
/// This is the narrow interface between model code and the matrix kernels in <c>Kernels/</c>: model code
/// passes a <see cref="WeightMatrix"/> and float activations, kernels dispatch on <see cref="Type"/> once.
/// </remarks>
public readonly unsafe struct WeightMatrix
{
    /// <summary>Start of row 0.</summary>
    public readonly byte* Data;
    public readonly TensorType Type;
    public readonly int Rows;
    public readonly int Cols;
    /// <summary>Bytes per row (rows are contiguous; quantized rows are whole blocks).</summary>
    public readonly long RowBytes;

    public WeightMatrix(byte* data, TensorType type, int rows, int cols)
    {
        if (rows < 0 || cols < 0) throw new ArgumentOutOfRangeException(nameof(rows), "negative matrix dimension");
        long rb = type.RowBytes(cols);
        if (rb < 0) throw new ArgumentException($"{type} rows need a multiple of {type.BlockSize()} columns, got {cols}", nameof(cols));
        Data = data;
        Type = type;
        Rows = rows;
        Cols = cols;
        RowBytes = rb;
    }

    /// <summary>Total bytes of the matrix.</summary>
    public long ByteLength => RowBytes * Rows;

    /// <summary>The bytes of row <paramref name="r"/>.</summary>
    public ReadOnlySpan<byte> Row(int r)
    {
        if ((uint)r >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(r));
        return new ReadOnlySpan<byte>(Data + r * RowBytes, checked((int)RowBytes));
    }

    /// <summary>Rows [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>) as a matrix of their own.</summary>
    public WeightMatrix Slice(int start, int count)
    {
        if (start < 0 || count < 0 || start + count > Rows) throw new ArgumentOutOfRangeException(nameof(start));
        return new WeightMatrix(Data + start * RowBytes, Type, count, Cols);
    }
}
