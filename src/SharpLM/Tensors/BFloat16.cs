using System.Runtime.CompilerServices;

namespace SharpLM.Tensors;

/// <summary>
/// bfloat16 ⇄ float32 conversions. A bf16 value is the top 16 bits of an f32, so widening is a shift;
/// narrowing rounds to nearest-even (as PyTorch and ggml do) and keeps NaN a NaN.
/// </summary>
public static class BFloat16
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort FromSingle(float value)
    {
        uint u = BitConverter.SingleToUInt32Bits(value);
        if ((u & 0x7FFF_FFFF) > 0x7F80_0000) return (ushort)((u >> 16) | 0x40); // quiet NaN
        u += 0x7FFF + ((u >> 16) & 1); // round to nearest, ties to even
        return (ushort)(u >> 16);
    }

    /// <summary>Rounds an f32 to the nearest bf16 and widens it back (e.g. Gemma's bf16 embedding scale).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Round(float value) => ToSingle(FromSingle(value));
}
