namespace SharpLM.Formats.Safetensors;

/// <summary>One tensor's header entry: dtype, row-major shape, and its byte range within the data section.</summary>
public sealed class SafetensorsTensor
{
    public required string Name { get; init; }
    public required SafetensorsDType DType { get; init; }
    public required long[] Shape { get; init; }
    /// <summary>Start of the data relative to the data section (after the 8-byte length and the JSON header).</summary>
    public required long Begin { get; init; }
    public required long End { get; init; }
    public long ByteLength => End - Begin;

    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (var d in Shape) n *= d;
            return n;
        }
    }

    public override string ToString() => $"{Name} {DType} [{string.Join(", ", Shape)}]";
}
