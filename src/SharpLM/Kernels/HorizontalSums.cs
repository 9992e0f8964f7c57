using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpLM.Kernels;

/// <summary>
/// The lane sums of four accumulators at once, for the 4-token tiles: one 512→256 fold per accumulator, then
/// three <c>vhaddps</c> that transpose-and-add the four into one vector. About 19 instructions where four
/// separate <c>Vector512.Sum</c> take ~48. Used by the float tiles only: its summation order differs from
/// <c>Vector512.Sum</c>, and the quantized kernels promise the same bits for any token count.
/// </summary>
internal static class HorizontalSums
{
    /// <summary>[Σa, Σb, Σc, Σd]. Needs AVX (the 512-bit kernels that call it run only where AVX-512 is).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sum4(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d)
    {
        var ab = Avx.HorizontalAdd(a.GetLower() + a.GetUpper(), b.GetLower() + b.GetUpper());
        var cd = Avx.HorizontalAdd(c.GetLower() + c.GetUpper(), d.GetLower() + d.GetUpper());
        var abcd = Avx.HorizontalAdd(ab, cd); // [Σa lo, Σb lo, Σc lo, Σd lo | Σa hi, Σb hi, Σc hi, Σd hi]
        return abcd.GetLower() + abcd.GetUpper();
    }
}
