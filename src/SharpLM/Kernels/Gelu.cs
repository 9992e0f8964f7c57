using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SharpLM.Kernels;

/// <summary>
/// Gemma's GeGLU activation: y = gelu_tanh(gate) ⊙ up with
/// gelu_tanh(z) = 0.5·z·(1 + tanh(√(2/π)·(z + 0.044715·z³))). Since 0.5·(1 + tanh u) = 1/(1 + e^(−2u)),
/// the vector path computes z / (1 + exp(−2u)) — same function, one exp instead of a tanh.
/// </summary>
public static class Gelu
{
    const float Sqrt2OverPi = 0.7978845608028654f;
    const float Cubic = 0.044715f;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GeGlu(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> y)
    {
        if (gate.Length != up.Length || y.Length != gate.Length) throw new ArgumentException("GeGlu: lengths differ");
        int i = 0;
        if (Vector256.IsHardwareAccelerated) i = V256(gate, up, y);
        for (; i < gate.Length; i++) y[i] = Scalar(gate[i]) * up[i];
    }

    /// <summary>The reference: the tanh formula evaluated in double.</summary>
    internal static float Scalar(float z)
    {
        double u = 0.7978845608028654 * (z + 0.044715 * (double)z * z * z);
        return (float)(0.5 * z * (1 + Math.Tanh(u)));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int V256(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> y)
    {
        ref float pg = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(gate);
        ref float pu = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(up);
        ref float py = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(y);
        var k = Vector256.Create(-2 * Sqrt2OverPi);
        var c = Vector256.Create(Cubic);
        var one = Vector256<float>.One;
        int i = 0;
        for (; i <= gate.Length - 8; i += 8)
        {
            var z = Vector256.LoadUnsafe(ref pg, (nuint)i);
            var inner = Vector256.FusedMultiplyAdd(c * z * z, z, z);   // z + 0.044715 z³
            var e = Vector256.Exp(k * inner);                             // e^(−2u)
            var g = z / (one + e);
            (g * Vector256.LoadUnsafe(ref pu, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
        }
        return i;
    }
}
