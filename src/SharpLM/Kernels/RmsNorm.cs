using System.Runtime.CompilerServices;
namespace SharpLM.Kernels;

/// <summary>
/// Gemma's RMSNorm: y = x / sqrt(mean(x²) + eps) · scale, where <c>scale</c> is the stored (1 + w) — the
/// model converts HF's zero-centred w to 1 + w at load so every norm here is one multiply (spec §1.2).
/// </summary>
public static class RmsNorm
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Apply(ReadOnlySpan<float> x, ReadOnlySpan<float> scale, float eps, Span<float> y)
    {
        if (x.Length != scale.Length || y.Length != x.Length) throw new ArgumentException("RmsNorm: x, scale and y must have the same length");
        float ss = Dot.Compute(x, x);
        float inv = 1f / MathF.Sqrt(ss / x.Length + eps);
        for (int i = 0; i < x.Length; i++) y[i] = x[i] * inv * scale[i];
    }

    /// <summary>Normalises each of the <c>x.Length / scale.Length</c> consecutive vectors in place (QK-norm over heads).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ApplyEach(Span<float> x, ReadOnlySpan<float> scale, float eps)
    {
        int d = scale.Length;
        if (d == 0 || x.Length % d != 0) throw new ArgumentException("RmsNorm: length is not a multiple of the norm width");
        for (int o = 0; o < x.Length; o += d)
        {
            var v = x.Slice(o, d);
            Apply(v, scale, eps, v);
        }
    }
}
