namespace SharpLM.Formats.Gguf;

/// <summary>Metadata value types, numbered as the GGUF specification numbers them (v2/v3).</summary>
public enum GgufValueType : uint
{
    UInt8 = 0,
    Int8 = 1,
    UInt16 = 2,
    Int16 = 3,
    UInt32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    UInt64 = 10,
    Int64 = 11,
    Float64 = 12,
}

/// <summary>Sizes of the fixed-width value types.</summary>
public static class GgufValueTypeInfo
{
    /// <summary>Bytes of one value on disk, or 0 for String/Array (variable length).</summary>
    public static int FixedSize(this GgufValueType t) => t switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => 8,
        _ => 0,
    };

    /// <summary>The fewest bytes one value can take on disk (a string is at least its 8-byte length).</summary>
    public static int MinSize(this GgufValueType t) => t switch
    {
        GgufValueType.String => 8,
        GgufValueType.Array => 12,
        _ => t.FixedSize(),
    };

    public static bool IsDefined(uint t) => t <= 12;
}
