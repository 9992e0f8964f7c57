using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SharpLM.Kernels;

/// <summary>
/// IEEE half (F16) bits → f32, exactly, at every vector width. .NET exposes no <c>vcvtph2ps</c>, so the
/// conversion is integer arithmetic:
/// <code>
///   f32 bits of |h| = (h &amp; 0x7FFF) &lt;&lt; 13      the exponent is now biased by 15 instead of 127
///   |x|  = asfloat(that) · 2^112                  2^(127−15) rebiases; exact for normals and subnormals
///   inf/NaN (exponent 31): set the f32 exponent to 255 instead (the multiply would make them finite)
///   x    = |x| with the sign bit (h &amp; 0x8000) &lt;&lt; 16
/// </code>
/// The inputs are 16-bit values held in the low half of 32-bit lanes (as widened from a row of halves).
/// </summary>
internal static class HalfBits
{
    const float Rebias = 5.192297e33f; // 2^112
    const uint Magnitude = 0x7FFF, HalfInf = 0x7C00, F32Exp = 0x7F80_0000;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(ushort h)
    {
        uint em = h & Magnitude;
        float mag = em >= HalfInf
            ? BitConverter.UInt32BitsToSingle((em << 13) | F32Exp)
            : BitConverter.UInt32BitsToSingle(em << 13) * Rebias;
        return BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(mag) | ((uint)(h & 0x8000) << 16));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ToSingle(Vector512<uint> h)
    {
        var em = h & Vector512.Create(Magnitude);
        var shifted = em << 13;
        var finite = (shifted.AsSingle() * Vector512.Create(Rebias)).AsUInt32();
        var special = shifted | Vector512.Create(F32Exp);
        var mag = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(em, Vector512.Create(HalfInf)), special, finite);
        return (mag | ((h & Vector512.Create(0x8000u)) << 16)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ToSingle(Vector256<uint> h)
    {
        var em = h & Vector256.Create(Magnitude);
        var shifted = em << 13;
        var finite = (shifted.AsSingle() * Vector256.Create(Rebias)).AsUInt32();
        var special = shifted | Vector256.Create(F32Exp);
        var mag = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(em, Vector256.Create(HalfInf)), special, finite);
        return (mag | ((h & Vector256.Create(0x8000u)) << 16)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ToSingle(Vector128<uint> h)
    {
        var em = h & Vector128.Create(Magnitude);
        var shifted = em << 13;
        var finite = (shifted.AsSingle() * Vector128.Create(Rebias)).AsUInt32();
        var special = shifted | Vector128.Create(F32Exp);
        var mag = Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(em, Vector128.Create(HalfInf)), special, finite);
        return (mag | ((h & Vector128.Create(0x8000u)) << 16)).AsSingle();
    }
}
