using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SharpLM.Kernels;

/// <summary>
/// Attention for the query heads that share one KV head (grouped-query attention), over a run of keys or values
/// stored <c>stride</c> floats apart: the scores q_h·k_j of up to <see cref="Heads"/> heads, and the weighted sum
/// Σ_j s_hj·v_j. Prefill's attention (Models/Gemma3/Attention) calls these per (token, KV head).
/// </summary>
/// <remarks>
/// <para>Why: one dot product per (head, key) reads the key once per head, ends every 256-term dot with a horizontal
/// sum, and adds each value row to one head's output at a time: ~4 GMAC/s on two cores, an eighth of the matrix
/// products, so attention was ~15 % of a 1B pp512 (bench: prefill-profile). Here a 4 heads × 4 keys tile keeps 16
/// accumulators, so each key load serves four heads and 8 loads feed 16 FMAs; the weighted sum keeps 4 heads × 64
/// output columns in registers while the value rows stream past, so each value load serves four heads.</para>
/// <para>Vector path at <see cref="KernelIsa.V512"/> for head sizes that are a multiple of 16 (Gemma 3: 256); other
/// levels and sizes run <see cref="ScoresScalar"/> / <see cref="WeightedSumScalar"/> (element order, the reference the
/// tests compare the vector path with).</para>
/// </remarks>
[SkipLocalsInit]
internal static unsafe class AttentionTile
{
    /// <summary>Most query heads per call (the tile's height).</summary>
    public const int Heads = 4;

    /// <summary>Whether <paramref name="isa"/> and head size <paramref name="d"/> take the vector path.</summary>
    public static bool Vectorized(KernelIsa isa, int d) => isa == KernelIsa.V512 && d % 16 == 0 && d > 0;

    /// <summary>
    /// s[h·<paramref name="sStride"/> + j] = <paramref name="scale"/> · q_h · k_j for h &lt; <paramref name="heads"/> (1–4) and
    /// j &lt; <paramref name="count"/>, where q_h is <paramref name="q"/> + h·d and k_j is <paramref name="k"/> + j·<paramref name="kStride"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scores(KernelIsa isa, float* q, int heads, int d, float* k, long kStride, int count, float scale, float* s, int sStride)
    {
        if (heads < 1 || heads > Heads) throw new ArgumentOutOfRangeException(nameof(heads), heads, "1 to 4 heads per call");
        if (!Vectorized(isa, d)) { ScoresScalar(q, heads, d, k, kStride, count, scale, s, sStride); return; }
        // Heads past the last repeat it (its loads are in cache anyway) and are never stored.
        float* q0 = q, q1 = q + Math.Min(1, heads - 1) * d, q2 = q + Math.Min(2, heads - 1) * d, q3 = q + Math.Min(3, heads - 1) * d;
        int j = 0;
        for (; j + 4 <= count; j += 4)
        {
            float* k0 = k + j * kStride, k1 = k0 + kStride, k2 = k1 + kStride, k3 = k2 + kStride;
            Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
            Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
            Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
            Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
            for (int i = 0; i < d; i += 16)
            {
                var v0 = Vector512.Load(k0 + i); var v1 = Vector512.Load(k1 + i); var v2 = Vector512.Load(k2 + i); var v3 = Vector512.Load(k3 + i);
                var u = Vector512.Load(q0 + i);
                a00 = Vector512.FusedMultiplyAdd(u, v0, a00); a01 = Vector512.FusedMultiplyAdd(u, v1, a01);
                a02 = Vector512.FusedMultiplyAdd(u, v2, a02); a03 = Vector512.FusedMultiplyAdd(u, v3, a03);
                u = Vector512.Load(q1 + i);
                a10 = Vector512.FusedMultiplyAdd(u, v0, a10); a11 = Vector512.FusedMultiplyAdd(u, v1, a11);
                a12 = Vector512.FusedMultiplyAdd(u, v2, a12); a13 = Vector512.FusedMultiplyAdd(u, v3, a13);
                u = Vector512.Load(q2 + i);
                a20 = Vector512.FusedMultiplyAdd(u, v0, a20); a21 = Vector512.FusedMultiplyAdd(u, v1, a21);
                a22 = Vector512.FusedMultiplyAdd(u, v2, a22); a23 = Vector512.FusedMultiplyAdd(u, v3, a23);
                u = Vector512.Load(q3 + i);
                a30 = Vector512.FusedMultiplyAdd(u, v0, a30); a31 = Vector512.FusedMultiplyAdd(u, v1, a31);
                a32 = Vector512.FusedMultiplyAdd(u, v2, a32); a33 = Vector512.FusedMultiplyAdd(u, v3, a33);
            }
            var sc = Vector128.Create(scale);
            (HorizontalSums.Sum4(a00, a01, a02, a03) * sc).Store(s + j);
            if (heads > 1) (HorizontalSums.Sum4(a10, a11, a12, a13) * sc).Store(s + sStride + j);
            if (heads > 2) (HorizontalSums.Sum4(a20, a21, a22, a23) * sc).Store(s + 2 * sStride + j);
            if (heads > 3) (HorizontalSums.Sum4(a30, a31, a32, a33) * sc).Store(s + 3 * sStride + j);
        }
        for (; j < count; j++)
        {
            float* kj = k + j * kStride;
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int i = 0; i < d; i += 16)
            {
                var v = Vector512.Load(kj + i);
                a0 = Vector512.FusedMultiplyAdd(Vector512.Load(q0 + i), v, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Load(q1 + i), v, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.Load(q2 + i), v, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.Load(q3 + i), v, a3);
            }
            var h4 = HorizontalSums.Sum4(a0, a1, a2, a3) * Vector128.Create(scale);
            for (int h = 0; h < heads; h++) s[h * sStride + j] = h4[h];
        }
    }

    /// <summary>
    /// o_h[0..d) += Σ_j s[h·<paramref name="sStride"/> + j] · v_j for h &lt; <paramref name="heads"/> (1–4), j &lt;
    /// <paramref name="count"/>; o_h is <paramref name="o"/> + h·d, v_j is <paramref name="v"/> + j·<paramref name="vStride"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void WeightedSum(KernelIsa isa, float* s, int sStride, int heads, int d, float* v, long vStride, int count, float* o)
    {
        if (heads < 1 || heads > Heads) throw new ArgumentOutOfRangeException(nameof(heads), heads, "1 to 4 heads per call");
        if (!Vectorized(isa, d)) { WeightedSumScalar(s, sStride, heads, d, v, vStride, count, o); return; }
        // Heads past the last read the last head's weights into accumulators that are never stored.
        float* s0 = s, s1 = s + Math.Min(1, heads - 1) * sStride, s2 = s + Math.Min(2, heads - 1) * sStride, s3 = s + Math.Min(3, heads - 1) * sStride;
        int i = 0;
        for (; i + 64 <= d; i += 64)
        {
            // 4 heads × 64 columns in 16 registers.
            float* o0 = o + i, o1 = o0 + d, o2 = o1 + d, o3 = o2 + d;
            var c00 = Vector512.Load(o0); var c01 = Vector512.Load(o0 + 16); var c02 = Vector512.Load(o0 + 32); var c03 = Vector512.Load(o0 + 48);
            Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
            Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
            Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
            if (heads > 1) { c10 = Vector512.Load(o1); c11 = Vector512.Load(o1 + 16); c12 = Vector512.Load(o1 + 32); c13 = Vector512.Load(o1 + 48); }
            if (heads > 2) { c20 = Vector512.Load(o2); c21 = Vector512.Load(o2 + 16); c22 = Vector512.Load(o2 + 32); c23 = Vector512.Load(o2 + 48); }
            if (heads > 3) { c30 = Vector512.Load(o3); c31 = Vector512.Load(o3 + 16); c32 = Vector512.Load(o3 + 32); c33 = Vector512.Load(o3 + 48); }
            for (int j = 0; j < count; j++)
            {
                float* vj = v + j * vStride + i;
                var v0 = Vector512.Load(vj); var v1 = Vector512.Load(vj + 16); var v2 = Vector512.Load(vj + 32); var v3 = Vector512.Load(vj + 48);
                var w = Vector512.Create(s0[j]);
                c00 = Vector512.FusedMultiplyAdd(w, v0, c00); c01 = Vector512.FusedMultiplyAdd(w, v1, c01);
                c02 = Vector512.FusedMultiplyAdd(w, v2, c02); c03 = Vector512.FusedMultiplyAdd(w, v3, c03);
                w = Vector512.Create(s1[j]);
                c10 = Vector512.FusedMultiplyAdd(w, v0, c10); c11 = Vector512.FusedMultiplyAdd(w, v1, c11);
                c12 = Vector512.FusedMultiplyAdd(w, v2, c12); c13 = Vector512.FusedMultiplyAdd(w, v3, c13);
                w = Vector512.Create(s2[j]);
                c20 = Vector512.FusedMultiplyAdd(w, v0, c20); c21 = Vector512.FusedMultiplyAdd(w, v1, c21);
                c22 = Vector512.FusedMultiplyAdd(w, v2, c22); c23 = Vector512.FusedMultiplyAdd(w, v3, c23);
                w = Vector512.Create(s3[j]);
                c30 = Vector512.FusedMultiplyAdd(w, v0, c30); c31 = Vector512.FusedMultiplyAdd(w, v1, c31);
                c32 = Vector512.FusedMultiplyAdd(w, v2, c32); c33 = Vector512.FusedMultiplyAdd(w, v3, c33);
            }
            c00.Store(o0); c01.Store(o0 + 16); c02.Store(o0 + 32); c03.Store(o0 + 48);
            if (heads > 1) { c10.Store(o1); c11.Store(o1 + 16); c12.Store(o1 + 32); c13.Store(o1 + 48); }
            if (heads > 2) { c20.Store(o2); c21.Store(o2 + 16); c22.Store(o2 + 32); c23.Store(o2 + 48); }
            if (heads > 3) { c30.Store(o3); c31.Store(o3 + 16); c32.Store(o3 + 32); c33.Store(o3 + 48); }
        }
        for (; i < d; i += 16)
        {
            // Head sizes that are not a multiple of 64: 16 columns at a time.
            float* o0 = o + i;
            var c0 = Vector512.Load(o0);
            Vector512<float> c1 = heads > 1 ? Vector512.Load(o0 + d) : default;
            Vector512<float> c2 = heads > 2 ? Vector512.Load(o0 + 2 * d) : default;
            Vector512<float> c3 = heads > 3 ? Vector512.Load(o0 + 3 * d) : default;
            for (int j = 0; j < count; j++)
            {
                var vj = Vector512.Load(v + j * vStride + i);
                c0 = Vector512.FusedMultiplyAdd(Vector512.Create(s0[j]), vj, c0);
                c1 = Vector512.FusedMultiplyAdd(Vector512.Create(s1[j]), vj, c1);
                c2 = Vector512.FusedMultiplyAdd(Vector512.Create(s2[j]), vj, c2);
                c3 = Vector512.FusedMultiplyAdd(Vector512.Create(s3[j]), vj, c3);
            }
            c0.Store(o0);
            if (heads > 1) c1.Store(o0 + d);
            if (heads > 2) c2.Store(o0 + 2 * d);
            if (heads > 3) c3.Store(o0 + 3 * d);
        }
    }

    /// <summary>The reference for <see cref="Scores"/>: one f32 multiply-add per element, in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ScoresScalar(float* q, int heads, int d, float* k, long kStride, int count, float scale, float* s, int sStride)
    {
        for (int h = 0; h < heads; h++)
            for (int j = 0; j < count; j++)
            {
                float acc = 0;
                float* qh = q + h * d, kj = k + j * kStride;
                for (int i = 0; i < d; i++) acc += qh[i] * kj[i];
                s[h * sStride + j] = acc * scale;
            }
    }

    /// <summary>The reference for <see cref="WeightedSum"/>: keys in order, one f32 multiply-add each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void WeightedSumScalar(float* s, int sStride, int heads, int d, float* v, long vStride, int count, float* o)
    {
        for (int h = 0; h < heads; h++)
            for (int j = 0; j < count; j++)
            {
                float w = s[h * sStride + j];
                float* vj = v + j * vStride, oh = o + h * d;
                for (int i = 0; i < d; i++) oh[i] += w * vj[i];
            }
    }
}
