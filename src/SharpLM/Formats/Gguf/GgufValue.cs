using System.Globalization;

namespace SharpLM.Formats.Gguf;

/// <summary>
/// One metadata value: a scalar, a string, or an array of one element type (arrays of arrays allowed).
/// Arrays are held as typed CLR arrays (<c>string[]</c>, <c>float[]</c>, <c>int[]</c>, …; nested arrays as
/// <c>GgufValue[]</c>) so a 262,144-entry token list is one allocation, not a quarter-million boxes.
/// </summary>
public sealed class GgufValue
{
    /// <summary>The value's type; <see cref="GgufValueType.Array"/> for arrays.</summary>
    public GgufValueType Type { get; }
    /// <summary>For arrays, the element type; otherwise equal to <see cref="Type"/>.</summary>
    public GgufValueType ElementType { get; }
    /// <summary>The CLR value: a boxed scalar, a string, or a typed array.</summary>
    public object Value { get; }

    GgufValue(GgufValueType type, GgufValueType elementType, object value)
    {
        Type = type;
        ElementType = elementType;
        Value = value;
    }

    public static GgufValue UInt8(byte v) => new(GgufValueType.UInt8, GgufValueType.UInt8, v);
    public static GgufValue Int8(sbyte v) => new(GgufValueType.Int8, GgufValueType.Int8, v);
    public static GgufValue UInt16(ushort v) => new(GgufValueType.UInt16, GgufValueType.UInt16, v);
    public static GgufValue Int16(short v) => new(GgufValueType.Int16, GgufValueType.Int16, v);
    public static GgufValue UInt32(uint v) => new(GgufValueType.UInt32, GgufValueType.UInt32, v);
    public static GgufValue Int32(int v) => new(GgufValueType.Int32, GgufValueType.Int32, v);
    public static GgufValue Float32(float v) => new(GgufValueType.Float32, GgufValueType.Float32, v);
    public static GgufValue Bool(bool v) => new(GgufValueType.Bool, GgufValueType.Bool, v);
    public static GgufValue String(string v) => new(GgufValueType.String, GgufValueType.String, v);
    public static GgufValue UInt64(ulong v) => new(GgufValueType.UInt64, GgufValueType.UInt64, v);
    public static GgufValue Int64(long v) => new(GgufValueType.Int64, GgufValueType.Int64, v);
    public static GgufValue Float64(double v) => new(GgufValueType.Float64, GgufValueType.Float64, v);

    /// <summary>
    /// An array value. <paramref name="items"/> must be the typed CLR array for <paramref name="elementType"/>
    /// (e.g. <c>int[]</c> for Int32, <c>string[]</c> for String, <c>GgufValue[]</c> for nested arrays).
    /// </summary>
    public static GgufValue Array(GgufValueType elementType, System.Array items)
    {
        Type expected = ClrArrayType(elementType);
        if (items.GetType() != expected)
            throw new ArgumentException($"a GGUF {elementType} array is held as {expected.Name}, got {items.GetType().Name}", nameof(items));
        return new(GgufValueType.Array, elementType, items);
    }

    public static GgufValue Array(string[] items) => Array(GgufValueType.String, items);
    public static GgufValue Array(float[] items) => Array(GgufValueType.Float32, items);
    public static GgufValue Array(int[] items) => Array(GgufValueType.Int32, items);

    internal static Type ClrArrayType(GgufValueType t) => t switch
    {
        GgufValueType.UInt8 => typeof(byte[]),
        GgufValueType.Int8 => typeof(sbyte[]),
        GgufValueType.UInt16 => typeof(ushort[]),
        GgufValueType.Int16 => typeof(short[]),
        GgufValueType.UInt32 => typeof(uint[]),
        GgufValueType.Int32 => typeof(int[]),
        GgufValueType.Float32 => typeof(float[]),
        GgufValueType.Bool => typeof(bool[]),
        GgufValueType.String => typeof(string[]),
        GgufValueType.UInt64 => typeof(ulong[]),
        GgufValueType.Int64 => typeof(long[]),
        GgufValueType.Float64 => typeof(double[]),
        GgufValueType.Array => typeof(GgufValue[]),
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "unknown GGUF value type"),
    };

    /// <summary>Number of array elements (arrays only).</summary>
    public int Count => Value is System.Array a ? a.Length : throw new InvalidOperationException($"GGUF value is a {Type}, not an array");

    /// <summary>True for any integer type.</summary>
    public bool IsInteger => Type is GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.UInt16 or GgufValueType.Int16
        or GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.UInt64 or GgufValueType.Int64;

    /// <summary>Any integer value widened to long (UInt64 above long.MaxValue throws).</summary>
    public bool TryGetInt64(out long v)
    {
        switch (Value)
        {
            case byte b: v = b; return true;
            case sbyte sb: v = sb; return true;
            case ushort us: v = us; return true;
            case short s: v = s; return true;
            case uint ui: v = ui; return true;
            case int i: v = i; return true;
            case long l: v = l; return true;
            case ulong ul when ul <= long.MaxValue: v = (long)ul; return true;
            default: v = 0; return false;
        }
    }

    /// <summary>Any numeric value as double.</summary>
    public bool TryGetDouble(out double v)
    {
        switch (Value)
        {
            case float f: v = f; return true;
            case double d: v = d; return true;
            case ulong ul: v = ul; return true;
            default:
                if (TryGetInt64(out long l)) { v = l; return true; }
                v = 0; return false;
        }
    }

    public override string ToString() => Value switch
    {
        string s => s,
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        System.Array a => $"[{ElementType} × {a.Length}]",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => Value.ToString() ?? "",
    };
}
