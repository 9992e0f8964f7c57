using SharpLM.Tensors;

namespace SharpLM.Formats.Safetensors;

/// <summary>Element types a safetensors header may name (the spelling is the format's).</summary>
public enum SafetensorsDType
{
    BOOL, U8, I8, U16, I16, F16, BF16, U32, I32, F32, U64, I64, F64,
}

public static class SafetensorsDTypeInfo
{
    public static int Size(this SafetensorsDType t) => t switch
    {
        SafetensorsDType.BOOL or SafetensorsDType.U8 or SafetensorsDType.I8 => 1,
        SafetensorsDType.U16 or SafetensorsDType.I16 or SafetensorsDType.F16 or SafetensorsDType.BF16 => 2,
        SafetensorsDType.U32 or SafetensorsDType.I32 or SafetensorsDType.F32 => 4,
        _ => 8,
    };

    public static bool TryParse(string s, out SafetensorsDType t) =>
        Enum.TryParse(s, ignoreCase: false, out t) && Enum.IsDefined(t) && !int.TryParse(s, out _);

    /// <summary>The model tensor type for the float dtypes (F32, F16, BF16); null for the others.</summary>
    public static TensorType? ToTensorType(this SafetensorsDType t) => t switch
    {
        SafetensorsDType.F32 => TensorType.F32,
        SafetensorsDType.F16 => TensorType.F16,
        SafetensorsDType.BF16 => TensorType.BF16,
        _ => null,
    };

    public static SafetensorsDType FromTensorType(TensorType t) => t switch
    {
        TensorType.F32 => SafetensorsDType.F32,
        TensorType.F16 => SafetensorsDType.F16,
        TensorType.BF16 => SafetensorsDType.BF16,
        _ => throw new ArgumentException($"safetensors cannot hold {t} (quantized types are GGUF-only)"),
    };
}
