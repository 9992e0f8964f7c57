using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpLM.Kernels;

/// <summary>
/// Dot products of one Q8_0 weight row with 1–4 tokens of Q8 activations. A Q8_0 block is an fp16 scale
/// d_w and 32 signed bytes w; per block Σ w_i·x_i ≈ d_w·d_x·Σ w_i·q_i, an exact integer sum.
/// x86 byte multiply-adds take one unsigned operand, so the vector paths multiply |w| by q carrying w's
/// sign (|w| ≤ 128 and |q| ≤ 127 keep the 16-bit pair sums below 32767).
/// </summary>
[SkipLocalsInit]
internal static unsafe class QuantDotQ8_0
{
    public const int BlockBytes = 34;
    const int Segment = 1024;

    /// <summary>y[k] = row · token k for k &lt; <paramref name="count"/> (1 to 4 tokens).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dot(KernelIsa isa, byte* row, int nb, Q8Token* tokens, int count, float* y)
    {
        if (isa == KernelIsa.Scalar) { for (int k = 0; k < count; k++) y[k] = Scalar(row, nb, tokens[k]); return; }
        float* dw = stackalloc float[Math.Min(nb, Segment) + 16];
        Q8Token* seg = stackalloc Q8Token[4];
        for (int k = 0; k < count; k++) y[k] = 0;
        for (int b0 = 0; b0 < nb; b0 += Segment)
        {
            int n = Math.Min(Segment, nb - b0);
            byte* r = row + (long)b0 * BlockBytes;
            WeightScales.Convert(isa, r, BlockBytes, n, dw);
            for (int k = 0; k < count; k++) seg[k] = tokens[k].FromBlock(b0);
            if (isa == KernelIsa.V512) V512(r, n, seg, count, dw, y);
            else if (isa == KernelIsa.V256) V256(r, n, seg, count, dw, y);
            else for (int k = 0; k < count; k++) y[k] += V128(r, n, seg[k], dw);
        }
    }

    /// <summary>
    /// As <see cref="Dot"/> with the row's scales already converted (<paramref name="dw"/>[b] = scale of block b,
    /// f32): prefill converts a chunk's scales once and reuses them for every 4-token tile.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dot(KernelIsa isa, byte* row, int nb, float* dw, Q8Token* tokens, int count, float* y)
    {
        if (isa == KernelIsa.Scalar) { for (int k = 0; k < count; k++) y[k] = Scalar(row, nb, tokens[k]); return; }
        for (int k = 0; k < count; k++) y[k] = 0;
        if (isa == KernelIsa.V512) V512(row, nb, tokens, count, dw, y);
        else if (isa == KernelIsa.V256) V256(row, nb, tokens, count, dw, y);
        else for (int k = 0; k < count; k++) y[k] = V128(row, nb, tokens[k], dw);
    }

    /// <summary>The reference: Σ w·q per block, one float multiply-add per block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Scalar(byte* row, int nb, Q8Token t)
    {
        float sum = 0;
        for (int b = 0; b < nb; b++)
            sum += HalfBits.ToSingle(*(ushort*)(row + b * BlockBytes)) * t.Scale[b] * BlockSum(row + b * BlockBytes, t.Natural + b * 32);
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int BlockSum(byte* block, sbyte* q)
    {
        sbyte* w = (sbyte*)(block + 2);
        int s = 0;
        for (int i = 0; i < 32; i++) s += w[i] * q[i];
        return s;
    }

    // ---- 512-bit: 2 blocks per step; lanes 0–7 sum block 2p, lanes 8–15 block 2p+1 (the ScaleX8 layout).

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void V512(byte* row, int nb, Q8Token* t, int count, float* dw, float* y)
    {
        int pairs = nb >> 1;
        var idx = Vector512.Create(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
        if (count == 4)
        {
            Q8Token t0 = t[0], t1 = t[1], t2 = t[2], t3 = t[3];
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int p = 0; p < pairs; p++)
            {
                byte* b = row + p * 2 * BlockBytes;
                var w = Avx512F.InsertVector256(Vector256.Load((sbyte*)b + 2).ToVector512Unsafe(), Vector256.Load((sbyte*)b + 2 + BlockBytes), 1);
                var aw = Vector512.Abs(w).AsByte();
                var neg = Vector512.LessThan(w, Vector512<sbyte>.Zero);
                var dwe = Avx512F.PermuteVar16x32(Vector128.Load(dw + 2 * p).ToVector256Unsafe().ToVector512Unsafe(), idx);
                a0 = Pair512(aw, neg, dwe, t0, p, a0);
                a1 = Pair512(aw, neg, dwe, t1, p, a1);
                a2 = Pair512(aw, neg, dwe, t2, p, a2);
                a3 = Pair512(aw, neg, dwe, t3, p, a3);
            }
            // Vector512.Sum per token, not one combined transpose-and-add: every token count (and the decode row
            // pairs, QuantDecodeRows) must reduce in the same order, so a row's result has the same bits whether
            // its token ran alone or in a batch (Gemma3Batch relies on it).
            y[0] += Vector512.Sum(a0) + Tail(row, pairs * 2, nb, t0, dw);
            y[1] += Vector512.Sum(a1) + Tail(row, pairs * 2, nb, t1, dw);
            y[2] += Vector512.Sum(a2) + Tail(row, pairs * 2, nb, t2, dw);
            y[3] += Vector512.Sum(a3) + Tail(row, pairs * 2, nb, t3, dw);
            return;
        }
        for (int k = 0; k < count; k++)
        {
            Q8Token tk = t[k];
            Vector512<float> acc = default;
            for (int p = 0; p < pairs; p++)
            {
                byte* b = row + p * 2 * BlockBytes;
                var w = Avx512F.InsertVector256(Vector256.Load((sbyte*)b + 2).ToVector512Unsafe(), Vector256.Load((sbyte*)b + 2 + BlockBytes), 1);
                var aw = Vector512.Abs(w).AsByte();
                var neg = Vector512.LessThan(w, Vector512<sbyte>.Zero);
                var dwe = Avx512F.PermuteVar16x32(Vector128.Load(dw + 2 * p).ToVector256Unsafe().ToVector512Unsafe(), idx);
                acc = Pair512(aw, neg, dwe, tk, p, acc);
            }
            y[k] += Vector512.Sum(acc) + Tail(row, pairs * 2, nb, tk, dw);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Pair512(Vector512<byte> aw, Vector512<sbyte> neg, Vector512<float> dwe, Q8Token t, int p, Vector512<float> acc)
    {
        var a = Vector512.Load(t.Natural + p * 64);
        var sa = Vector512.ConditionalSelect(neg, Vector512<sbyte>.Zero - a, a); // q with w's sign (AVX-512 has no vpsignb)
        var s = Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(aw, sa), Vector512.Create((short)1));
        return Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(s), dwe * Vector512.Load(t.X8 + p * 16), acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static float Tail(byte* row, int from, int nb, Q8Token t, float* dw)
    {
        float sum = 0;
        for (int b = from; b < nb; b++) sum += dw[b] * t.Scale[b] * BlockSum(row + b * BlockBytes, t.Natural + b * 32);
        return sum;
    }

    // ---- 256-bit: one block per step; AVX2 vpsignb gives q the sign of w; AVX-VNNI fuses the multiply-adds.

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void V256(byte* row, int nb, Q8Token* t, int count, float* dw, float* y)
    {
        if (count == 4)
        {
            Q8Token t0 = t[0], t1 = t[1], t2 = t[2], t3 = t[3];
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int b = 0; b < nb; b++)
            {
                var w = Vector256.Load((sbyte*)(row + b * BlockBytes) + 2);
                var aw = Avx2.Abs(w);
                var d = Vector256.Create(dw[b]);
                a0 = Block256(aw, w, d, t0, b, a0);
                a1 = Block256(aw, w, d, t1, b, a1);
                a2 = Block256(aw, w, d, t2, b, a2);
                a3 = Block256(aw, w, d, t3, b, a3);
            }
            y[0] += Vector256.Sum(a0); y[1] += Vector256.Sum(a1); y[2] += Vector256.Sum(a2); y[3] += Vector256.Sum(a3);
            return;
        }
        for (int k = 0; k < count; k++)
        {
            Q8Token tk = t[k];
            Vector256<float> acc = default;
            for (int b = 0; b < nb; b++)
            {
                var w = Vector256.Load((sbyte*)(row + b * BlockBytes) + 2);
                acc = Block256(Avx2.Abs(w), w, Vector256.Create(dw[b]), tk, b, acc);
            }
            y[k] += Vector256.Sum(acc);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> Block256(Vector256<byte> aw, Vector256<sbyte> w, Vector256<float> dw, Q8Token t, int b, Vector256<float> acc)
    {
        var sa = Avx2.Sign(Vector256.Load(t.Natural + b * 32), w);
        Vector256<int> s = AvxVnni.IsSupported
            ? AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, aw, sa)
            : Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(aw, sa), Vector256.Create((short)1));
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(s), dw * Vector256.Load(t.X8 + b * 8), acc);
    }

    // ---- 128-bit, portable: one block per step in two halves, products widened to 16 bits.

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float V128(byte* row, int nb, Q8Token t, float* dw)
    {
        Vector128<float> acc = default;
        for (int b = 0; b < nb; b++)
        {
            sbyte* w = (sbyte*)(row + b * BlockBytes) + 2;
            sbyte* q = t.Natural + b * 32;
            var s = HalfProducts(Vector128.Load(w), Vector128.Load(q)) + HalfProducts(Vector128.Load(w + 16), Vector128.Load(q + 16));
            acc = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(s), Vector128.Create(dw[b]) * Vector128.Load(t.X8 + b * 8), acc);
        }
        return Vector128.Sum(acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector128<int> HalfProducts(Vector128<sbyte> w, Vector128<sbyte> q)
    {
        var (w0, w1) = Vector128.Widen(w);
        var (q0, q1) = Vector128.Widen(q);
        var m = w0 * q0 + w1 * q1; // each product ≤ 128·127, so two fit a 16-bit lane
        var (i0, i1) = Vector128.Widen(m);
        return i0 + i1;
    }
}
