using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SharpLM.Kernels;

/// <summary>
/// IEEE half (F16) bits → f32, exactly, at every vector width. .NET exposes no <c>vcvtph2ps</c>, so the
/// conversion is integer arithmetic:
/// <code>
///   f32 bits of |h| = (h &amp; 0x7FFF) &lt;&lt; 13      the exponent is now biased by 15 instead of 127
///   normal:    |x| = asfloat(that + 112·2^23)      rebias the exponent field by 127 − 15 (exact, no rounding)
///   subnormal: |x| = asfloat(that + 113·2^23) − 2^−14   m·2^−24 as (2^−14 + m·2^−24) − 2^−14 (exact: Sterbenz)
///   inf/NaN (exponent 31): set the f32 exponent to 255 instead
///   x    = |x| with the sign bit (h &amp; 0x8000) &lt;&lt; 16
/// </code>
/// Why not asfloat(that) · 2^112 (one multiply for normals and subnormals alike, as before session 5): for a
/// subnormal half that multiplies an f32 denormal, and on this CPU an operation with a denormal input takes a
/// microcode assist (.NET cannot set DAZ); Gemma-like N(0, 0.02) weights are ~0.24 % f16 subnormals, so ~4 % of
/// 16-lane vectors paid one. Here every float operation has normal (or zero) inputs.
/// The inputs are 16-bit values held in the low half of 32-bit lanes (as widened from a row of halves).
/// </summary>
internal static class HalfBits
{
    const uint Magnitude = 0x7FFF, HalfInf = 0x7C00, HalfMinNormal = 0x0400, F32Exp = 0x7F80_0000;
    const uint NormalRebias = 112u << 23, SubnormalRebias = 113u << 23;
    const float SubnormalOffset = 6.10351562e-5f; // 2^-14

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(ushort h)
    {
        uint em = h & Magnitude;
        float mag = em >= HalfInf ? BitConverter.UInt32BitsToSingle((em << 13) | F32Exp)
            : em >= HalfMinNormal ? BitConverter.UInt32BitsToSingle((em << 13) + NormalRebias)
            : BitConverter.UInt32BitsToSingle((em << 13) + SubnormalRebias) - SubnormalOffset;
        return BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(mag) | ((uint)(h & 0x8000) << 16));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ToSingle(Vector512<uint> h)
    {
        var em = h & Vector512.Create(Magnitude);
        var shifted = em << 13;
        var normal = shifted + Vector512.Create(NormalRebias);
        var subnormal = ((shifted + Vector512.Create(SubnormalRebias)).AsSingle() - Vector512.Create(SubnormalOffset)).AsUInt32();
        var finite = Vector512.ConditionalSelect(Vector512.LessThan(em, Vector512.Create(HalfMinNormal)), subnormal, normal);
        var special = shifted | Vector512.Create(F32Exp);
        var mag = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(em, Vector512.Create(HalfInf)), special, finite);
        return (mag | ((h & Vector512.Create(0x8000u)) << 16)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ToSingle(Vector256<uint> h)
    {
        var em = h & Vector256.Create(Magnitude);
        var shifted = em << 13;
        var normal = shifted + Vector256.Create(NormalRebias);
        var subnormal = ((shifted + Vector256.Create(SubnormalRebias)).AsSingle() - Vector256.Create(SubnormalOffset)).AsUInt32();
        var finite = Vector256.ConditionalSelect(Vector256.LessThan(em, Vector256.Create(HalfMinNormal)), subnormal, normal);
        var special = shifted | Vector256.Create(F32Exp);
        var mag = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(em, Vector256.Create(HalfInf)), special, finite);
        return (mag | ((h & Vector256.Create(0x8000u)) << 16)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ToSingle(Vector128<uint> h)
    {
        var em = h & Vector128.Create(Magnitude);
        var shifted = em << 13;
        var normal = shifted + Vector128.Create(NormalRebias);
        var subnormal = ((shifted + Vector128.Create(SubnormalRebias)).AsSingle() - Vector128.Create(SubnormalOffset)).AsUInt32();
        var finite = Vector128.ConditionalSelect(Vector128.LessThan(em, Vector128.Create(HalfMinNormal)), subnormal, normal);
        var special = shifted | Vector128.Create(F32Exp);
        var mag = Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(em, Vector128.Create(HalfInf)), special, finite);
        return (mag | ((h & Vector128.Create(0x8000u)) << 16)).AsSingle();
    }
}
