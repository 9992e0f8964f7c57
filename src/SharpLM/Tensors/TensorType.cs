namespace SharpLM.Tensors;

/// <summary>
/// Element types of stored weights. The numeric values are GGML's type ids (GGUF stores them as-is), so a
/// cast from a GGUF tensor-info field is a lookup, not a translation table.
/// </summary>
public enum TensorType : uint
{
    F32 = 0,
    F16 = 1,
    /// <summary>Blocks of 32: fp16 scale d + 16 bytes of 4-bit codes; x = (q − 8)·d. 18 bytes, 4.5 bits/weight.</summary>
    Q4_0 = 2,
    /// <summary>Blocks of 32: fp16 scale d + 32 int8; x = q·d. 34 bytes, 8.5 bits/weight.</summary>
    Q8_0 = 8,
    BF16 = 30,
}

/// <summary>Layout facts for each <see cref="TensorType"/>: elements per block and bytes per block.</summary>
public static class TensorTypeInfo
{
    /// <summary>True for the types SharpLM reads and computes with.</summary>
    public static bool IsSupported(uint ggmlType) => ggmlType is 0 or 1 or 2 or 8 or 30;

    /// <summary>Elements per block (1 for plain float types).</summary>
    public static int BlockSize(this TensorType t) => t switch
    {
        TensorType.F32 or TensorType.F16 or TensorType.BF16 => 1,
        TensorType.Q4_0 or TensorType.Q8_0 => 32,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "unknown tensor type"),
    };

    /// <summary>Bytes per block.</summary>
    public static int BlockBytes(this TensorType t) => t switch
    {
        TensorType.F32 => 4,
        TensorType.F16 or TensorType.BF16 => 2,
        TensorType.Q4_0 => 18,
        TensorType.Q8_0 => 34,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "unknown tensor type"),
    };

    /// <summary>
    /// Bytes for one row of <paramref name="elements"/> values, or -1 when the row length is not a whole
    /// number of blocks (quantized types need rows that are multiples of 32).
    /// </summary>
    public static long RowBytes(this TensorType t, long elements)
    {
        int bs = t.BlockSize();
        if (elements < 0 || elements % bs != 0) return -1;
        return elements / bs * t.BlockBytes();
    }

    /// <summary>Name as GGUF tools print it (<c>Q4_0</c>, <c>BF16</c>, …).</summary>
    public static string Name(this TensorType t) => t.ToString();

    /// <summary>Parses a name such as <c>q4_0</c> or <c>BF16</c> (case-insensitive).</summary>
    public static bool TryParse(string s, out TensorType t) => Enum.TryParse(s, ignoreCase: true, out t) && Enum.IsDefined(t);
}
