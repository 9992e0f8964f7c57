using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpLM.Kernels;

/// <summary>
/// Dot products of one Q4_0 weight row with 1–4 tokens of Q8 activations (<see cref="QuantizedActivations"/>).
/// A Q4_0 block is an fp16 scale d_w and 16 bytes; byte i holds element i in its low nibble and element
/// i+16 in its high nibble, each an unsigned n with weight (n − 8)·d_w. Per block
/// <code>  Σ_i w_i·x_i ≈ d_w · d_x · Σ_i (n_i − 8)·q_i  </code>
/// is an exact integer sum times one float product; the vector paths compute Σ n·q with unsigned×signed
/// byte multiply-adds and subtract 8·Σq (precomputed per activation block) in the integer domain.
/// Several tokens share each unpacked weight load (prefill), so the matrix–matrix kernel is compute-bound
/// on the multiply-adds, not on unpacking.
/// </summary>
[SkipLocalsInit]
internal static unsafe class QuantDotQ4_0
{
    public const int BlockBytes = 18;
    /// <summary>Blocks converted per scale batch (the stack scratch); a multiple of 4 so Q4 groups stay aligned.</summary>
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

    /// <summary>The reference: element order, (n − 8)·q summed per block, one float multiply-add per block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Scalar(byte* row, int nb, Q8Token t)
    {
        float sum = 0;
        for (int b = 0; b < nb; b++)
            sum += HalfBits.ToSingle(*(ushort*)(row + b * BlockBytes)) * t.Scale[b] * BlockSum(row + b * BlockBytes, t.Natural + b * 32);
        return sum;
    }

    /// <summary>Σ (n_i − 8)·q_i over one block, q in element order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int BlockSum(byte* block, sbyte* q)
    {
        byte* qs = block + 2;
        int s = 0;
        for (int i = 0; i < 16; i++)
            s += ((qs[i] & 0x0F) - 8) * q[i] + ((qs[i] >> 4) - 8) * q[i + 16];
        return s;
    }

    /// <summary>Blocks after the last whole group of 4 (element-order activations).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static float Tail(byte* row, int from, int nb, Q8Token t, float* dw)
    {
        float sum = 0;
        for (int b = from; b < nb; b++) sum += dw[b] * t.Scale[b] * BlockSum(row + b * BlockBytes, t.Natural + b * 32);
        return sum;
    }

    // ---- 512-bit: a group of 4 blocks per step. The 4×16 nibble bytes are loaded side by side, so the low
    // nibbles are the first halves of the 4 blocks and the high nibbles the second halves: the NibbleOrder
    // activation layout. vpmaddubsw + vpmaddwd leave 4 int32 per block per 128-bit lane.

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void V512(byte* row, int nb, Q8Token* t, int count, float* dw, float* y)
    {
        int groups = nb >> 2;
        var mask = Vector512.Create((byte)0x0F);
        var idx = Vector512.Create(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
        if (count == 4)
        {
            Q8Token t0 = t[0], t1 = t[1], t2 = t[2], t3 = t[3];
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int g = 0; g < groups; g++)
            {
                byte* b = row + g * 4 * BlockBytes;
                var v = Load4(b);
                var lo = v & mask;
                var hi = (v.AsUInt16() >>> 4).AsByte() & mask;
                var dwe = Avx512F.PermuteVar16x32(Vector128.Load(dw + 4 * g).ToVector256Unsafe().ToVector512Unsafe(), idx);
                a0 = Group512(lo, hi, dwe, t0, g, a0);
                a1 = Group512(lo, hi, dwe, t1, g, a1);
                a2 = Group512(lo, hi, dwe, t2, g, a2);
                a3 = Group512(lo, hi, dwe, t3, g, a3);
            }
            // Vector512.Sum per token, not one combined transpose-and-add: every token count (and the decode row
            // pairs, QuantDecodeRows) must reduce in the same order, so a row's result has the same bits whether
            // its token ran alone or in a batch (Gemma3Batch relies on it).
            y[0] += Vector512.Sum(a0) + Tail(row, groups * 4, nb, t0, dw);
            y[1] += Vector512.Sum(a1) + Tail(row, groups * 4, nb, t1, dw);
            y[2] += Vector512.Sum(a2) + Tail(row, groups * 4, nb, t2, dw);
            y[3] += Vector512.Sum(a3) + Tail(row, groups * 4, nb, t3, dw);
            return;
        }
        for (int k = 0; k < count; k++)
        {
            Q8Token tk = t[k];
            Vector512<float> acc = default;
            for (int g = 0; g < groups; g++)
            {
                byte* b = row + g * 4 * BlockBytes;
                var v = Load4(b);
                var lo = v & mask;
                var hi = (v.AsUInt16() >>> 4).AsByte() & mask;
                var dwe = Avx512F.PermuteVar16x32(Vector128.Load(dw + 4 * g).ToVector256Unsafe().ToVector512Unsafe(), idx);
                acc = Group512(lo, hi, dwe, tk, g, acc);
            }
            y[k] += Vector512.Sum(acc) + Tail(row, groups * 4, nb, tk, dw);
        }
    }

    /// <summary>The 4×16 nibble bytes of the 4 blocks at <paramref name="b"/>, side by side. Built up from a fresh
    /// register (not <c>Vector512.Create</c>, whose insert into the previous value chains iterations together).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<byte> Load4(byte* b)
    {
        var lo = Avx2.InsertVector128(Vector128.Load(b + 2).ToVector256Unsafe(), Vector128.Load(b + 20), 1);
        var hi = Avx2.InsertVector128(Vector128.Load(b + 38).ToVector256Unsafe(), Vector128.Load(b + 56), 1);
        return Avx512F.InsertVector256(lo.ToVector512Unsafe(), hi, 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Group512(Vector512<byte> lo, Vector512<byte> hi, Vector512<float> dwe, Q8Token t, int g, Vector512<float> acc)
    {
        sbyte* a = t.Nibble + g * 128;
        var p = Avx512BW.MultiplyAddAdjacent(lo, Vector512.Load(a)) + Avx512BW.MultiplyAddAdjacent(hi, Vector512.Load(a + 64));
        var s = Avx512BW.MultiplyAddAdjacent(p, Vector512.Create((short)1)) - Vector512.Load(t.Off4 + g * 16);
        return Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(s), dwe * Vector512.Load(t.X4 + g * 16), acc);
    }

    // ---- 256-bit: 2 blocks per step (half a group). AVX-VNNI's vpdpbusd replaces the two multiply-add steps.

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void V256(byte* row, int nb, Q8Token* t, int count, float* dw, float* y)
    {
        int pairs = (nb >> 2) * 2;
        var mask = Vector256.Create((byte)0x0F);
        var idx = Vector256.Create(0, 0, 0, 0, 1, 1, 1, 1);
        if (count == 4)
        {
            Q8Token t0 = t[0], t1 = t[1], t2 = t[2], t3 = t[3];
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int p = 0; p < pairs; p++)
            {
                byte* b = row + p * 2 * BlockBytes;
                var v = Vector256.Create(Vector128.Load(b + 2), Vector128.Load(b + 20));
                var lo = v & mask;
                var hi = (v.AsUInt16() >>> 4).AsByte() & mask;
                var dwe = Avx2.PermuteVar8x32(Vector128.Load(dw + 2 * p).ToVector256Unsafe(), idx);
                a0 = Pair256(lo, hi, dwe, t0, p, a0);
                a1 = Pair256(lo, hi, dwe, t1, p, a1);
                a2 = Pair256(lo, hi, dwe, t2, p, a2);
                a3 = Pair256(lo, hi, dwe, t3, p, a3);
            }
            y[0] += Vector256.Sum(a0) + Tail(row, pairs * 2, nb, t0, dw);
            y[1] += Vector256.Sum(a1) + Tail(row, pairs * 2, nb, t1, dw);
            y[2] += Vector256.Sum(a2) + Tail(row, pairs * 2, nb, t2, dw);
            y[3] += Vector256.Sum(a3) + Tail(row, pairs * 2, nb, t3, dw);
            return;
        }
        for (int k = 0; k < count; k++)
        {
            Q8Token tk = t[k];
            Vector256<float> acc = default;
            for (int p = 0; p < pairs; p++)
            {
                byte* b = row + p * 2 * BlockBytes;
                var v = Vector256.Create(Vector128.Load(b + 2), Vector128.Load(b + 20));
                var lo = v & mask;
                var hi = (v.AsUInt16() >>> 4).AsByte() & mask;
                var dwe = Avx2.PermuteVar8x32(Vector128.Load(dw + 2 * p).ToVector256Unsafe(), idx);
                acc = Pair256(lo, hi, dwe, tk, p, acc);
            }
            y[k] += Vector256.Sum(acc) + Tail(row, pairs * 2, nb, tk, dw);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> Pair256(Vector256<byte> lo, Vector256<byte> hi, Vector256<float> dwe, Q8Token t, int p, Vector256<float> acc)
    {
        // Pair p is blocks 2p, 2p+1: group p/2, half p%2 of that group's low and high runs.
        sbyte* a = t.Nibble + (p >> 1) * 128 + (p & 1) * 32;
        Vector256<int> s;
        if (AvxVnni.IsSupported)
            s = AvxVnni.MultiplyWideningAndAdd(AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, lo, Vector256.Load(a)), hi, Vector256.Load(a + 64));
        else
            s = Avx2.MultiplyAddAdjacent(
                Avx2.MultiplyAddAdjacent(lo, Vector256.Load(a)) + Avx2.MultiplyAddAdjacent(hi, Vector256.Load(a + 64)),
                Vector256.Create((short)1));
        s -= Vector256.Load(t.Off4 + p * 8);
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(s), dwe * Vector256.Load(t.X4 + p * 8), acc);
    }

    // ---- 128-bit, portable (SSE, NEON): one block per step, products widened to 16 bits.

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float V128(byte* row, int nb, Q8Token t, float* dw)
    {
        int full = nb & ~3;
        var mask = Vector128.Create((byte)0x0F);
        Vector128<float> acc = default;
        for (int b = 0; b < full; b++)
        {
            var w = Vector128.Load(row + b * BlockBytes + 2);
            var lo = w & mask;
            var hi = (w.AsUInt16() >>> 4).AsByte() & mask;
            sbyte* a = t.Nibble + (b >> 2) * 128 + (b & 3) * 16;
            var (l0, l1) = Vector128.Widen(lo);
            var (h0, h1) = Vector128.Widen(hi);
            var (x0, x1) = Vector128.Widen(Vector128.Load(a));
            var (z0, z1) = Vector128.Widen(Vector128.Load(a + 64));
            // |n·q| ≤ 15·127, so four such products fit a 16-bit lane.
            var m = l0.AsInt16() * x0 + l1.AsInt16() * x1 + h0.AsInt16() * z0 + h1.AsInt16() * z1;
            var (i0, i1) = Vector128.Widen(m);
            var s = i0 + i1 - Vector128.Load(t.Off4 + b * 4);
            acc = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(s), Vector128.Create(dw[b]) * Vector128.Load(t.X4 + b * 4), acc);
        }
        return Vector128.Sum(acc) + Tail(row, full, nb, t, dw);
    }
}
