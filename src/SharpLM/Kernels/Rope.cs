using System.Runtime.CompilerServices;
namespace SharpLM.Kernels;

/// <summary>
/// Rotary position embedding with rotate-half (NeoX) pairing over the full head (spec §1.5): pairs are
/// (x[i], x[i + d/2]); y[i] = x[i]·cos θ_i − x[i+d/2]·sin θ_i, y[i+d/2] = x[i+d/2]·cos θ_i + x[i]·sin θ_i,
/// θ_i = p · inv_freq[i], inv_freq[i] = base^(−2i/d) / factor.
/// </summary>
public static class Rope
{
    /// <summary>inv_freq for head size <paramref name="d"/>: computed in double, rounded to f32 (the spec's canonical profile).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float[] InverseFrequencies(int d, double ropeBase, double factor)
    {
        var f = new float[d / 2];
        for (int i = 0; i < f.Length; i++) f[i] = (float)(Math.Pow(ropeBase, -2.0 * i / d) / factor);
        return f;
    }

    /// <summary>cos/sin of θ = (float)p · inv_freq[i] (the angle in f32, its cos/sin in double rounded to f32).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Angles(int position, ReadOnlySpan<float> invFreq, Span<float> cos, Span<float> sin)
    {
        float p = position;
        for (int i = 0; i < invFreq.Length; i++)
        {
            float theta = p * invFreq[i];
            cos[i] = (float)Math.Cos(theta);
            sin[i] = (float)Math.Sin(theta);
        }
    }

    /// <summary>Rotates each head (consecutive runs of 2·cos.Length values) of <paramref name="x"/> in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Apply(Span<float> x, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        int half = cos.Length, d = 2 * half;
        if (sin.Length != half || d == 0 || x.Length % d != 0) throw new ArgumentException("Rope: length is not a multiple of the head size");
        for (int o = 0; o < x.Length; o += d)
        {
            var a = x.Slice(o, half);
            var b = x.Slice(o + half, half);
            for (int i = 0; i < half; i++)
            {
                float x0 = a[i], x1 = b[i];
                a[i] = x0 * cos[i] - x1 * sin[i];
                b[i] = x1 * cos[i] + x0 * sin[i];
            }
        }
    }
}
