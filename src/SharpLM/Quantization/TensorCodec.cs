using System.Buffers.Binary;
using System.Runtime.InteropServices;
using SharpLM.Tensors;

namespace SharpLM.Quantization;

/// <summary>
/// f32 ⇄ stored bytes for every <see cref="TensorType"/>, row by row, with the reference (scalar) rules:
/// round-to-nearest-even for F16/BF16, ggml's reference quantizers for Q8_0/Q4_0. Used by writers
/// (export, checkpoints, test and benchmark models) and loaders of small tensors; hot paths decode inside
/// the kernels instead.
/// </summary>
public static class TensorCodec
{
    /// <summary>Encodes <paramref name="src"/> (whole rows of the type's block size) into <paramref name="dst"/>.</summary>
    public static void Encode(TensorType type, ReadOnlySpan<float> src, Span<byte> dst)
    {
        long need = type.RowBytes(src.Length);
        if (need < 0 || dst.Length != need) throw new ArgumentException($"{type}: {src.Length} values need {need} bytes, got {dst.Length}");
        switch (type)
        {
            case TensorType.F32:
                MemoryMarshal.AsBytes(src).CopyTo(dst);
                break;
            case TensorType.F16:
                for (int i = 0; i < src.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(dst[(2 * i)..], (Half)src[i]);
                break;
            case TensorType.BF16:
                for (int i = 0; i < src.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(dst[(2 * i)..], BFloat16.FromSingle(src[i]));
                break;
            case TensorType.Q8_0:
                Q8_0.QuantizeRow(src, MemoryMarshal.Cast<byte, BlockQ8_0>(dst));
                break;
            case TensorType.Q4_0:
                Q4_0.QuantizeRow(src, MemoryMarshal.Cast<byte, BlockQ4_0>(dst));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, null);
        }
    }

    /// <summary>Decodes <paramref name="src"/> into <paramref name="dst"/> floats.</summary>
    public static void Decode(TensorType type, ReadOnlySpan<byte> src, Span<float> dst)
    {
        long need = type.RowBytes(dst.Length);
        if (need < 0 || src.Length != need) throw new ArgumentException($"{type}: {dst.Length} values need {need} bytes, got {src.Length}");
        switch (type)
        {
            case TensorType.F32:
                src.CopyTo(MemoryMarshal.AsBytes(dst));
                break;
            case TensorType.F16:
                for (int i = 0; i < dst.Length; i++) dst[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(src[(2 * i)..]);
                break;
            case TensorType.BF16:
                for (int i = 0; i < dst.Length; i++) dst[i] = BFloat16.ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(src[(2 * i)..]));
                break;
            case TensorType.Q8_0:
                Q8_0.DequantizeRow(MemoryMarshal.Cast<byte, BlockQ8_0>(src), dst);
                break;
            case TensorType.Q4_0:
                Q4_0.DequantizeRow(MemoryMarshal.Cast<byte, BlockQ4_0>(src), dst);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, null);
        }
    }

    /// <summary>Encodes a whole tensor to a new array.</summary>
    public static byte[] Encode(TensorType type, ReadOnlySpan<float> src)
    {
        var b = new byte[type.RowBytes(src.Length) is var n and >= 0 ? n : throw new ArgumentException($"{type}: length {src.Length} is not a multiple of {type.BlockSize()}")];
        Encode(type, src, b);
        return b;
    }
}
