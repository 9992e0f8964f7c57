using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SharpLM.Kernels;

/// <summary>Numerically stable softmax in place: subtract the max, exponentiate, divide by the sum.</summary>
public static class Softmax
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Apply(Span<float> x)
    {
        if (x.IsEmpty) return;
        float max = float.NegativeInfinity;
        foreach (var v in x) max = MathF.Max(max, v);
        float sum = 0;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vm = Vector256.Create(max);
            var acc = Vector256<float>.Zero;
            ref float p = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
            for (; i <= x.Length - 8; i += 8)
            {
                var e = Vector256.Exp(Vector256.LoadUnsafe(ref p, (nuint)i) - vm);
                e.StoreUnsafe(ref p, (nuint)i);
                acc += e;
            }
            sum = Vector256.Sum(acc);
        }
        for (; i < x.Length; i++)
        {
            x[i] = MathF.Exp(x[i] - max);
            sum += x[i];
        }
        Dot.Scale(x, 1f / sum, x);
    }
}
