using SharpLM.Tensors;

namespace SharpLM.Formats.Gguf;

/// <summary>
/// One tensor's entry in a GGUF header. <see cref="Dimensions"/> is in GGUF/ggml order (<c>ne[0]</c>, the
/// row length, first); <see cref="Shape"/> is the same in PyTorch order (outermost first), so a linear
/// weight that GGUF tools print as <c>{H, nH·d}</c> has <see cref="Shape"/> <c>[nH·d, H]</c>.
/// </summary>
public sealed class GgufTensorInfo
{
    public required string Name { get; init; }
    public required TensorType Type { get; init; }
    /// <summary>ggml <c>ne</c>: fastest-varying dimension first.</summary>
    public required long[] Dimensions { get; init; }
    /// <summary>Offset of the data from the start of the file's tensor-data section.</summary>
    public required long Offset { get; init; }
    /// <summary>Bytes of data.</summary>
    public required long ByteLength { get; init; }

    /// <summary>Row-major shape, outermost first (the reverse of <see cref="Dimensions"/>).</summary>
    public long[] Shape
    {
        get
        {
            var s = (long[])Dimensions.Clone();
            System.Array.Reverse(s);
            return s;
        }
    }

    /// <summary>Total elements.</summary>
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (var d in Dimensions) n *= d;
            return n;
        }
    }

    public override string ToString() => $"{Name} {Type} {{{string.Join(", ", Dimensions)}}}";
}
