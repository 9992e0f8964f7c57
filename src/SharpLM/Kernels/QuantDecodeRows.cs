using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpLM.Kernels;

/// <summary>
/// Decode (one token) over a run of Q4_0 or Q8_0 weight rows at 512 or 256 bits, two rows per pass: y[r] = row r · x.
/// </summary>
/// <remarks>
/// <para>Why a separate kernel from <see cref="QuantDotQ4_0"/>/<see cref="QuantDotQ8_0"/>: at one token the work
/// per row is small (Gemma 1B's rows are 36 blocks), so what a per-row call costs around its loop — converting
/// the row's fp16 scales in a separate gather pass, the call itself, one horizontal sum — outweighed the loop
/// (kernels suite, in-L2 column: ~10 cycles per block). Here the loop does everything in registers:</para>
/// <list type="bullet">
/// <item>the activation vectors (nibble-ordered q, the 8·Σq offsets, d_x) are loaded once per group and serve
///   both rows;</item>
/// <item>the weight scales are taken from the block bytes already being read: one 64-byte load of the group
///   and a byte or word permute put each block's fp16 scale in the high half of the four (Q4_0) or eight (Q8_0)
///   32-bit lanes that hold its partial sums (Q4_0: a <c>vpshufb</c>, since each 16-byte lane of the group's
///   first 64 bytes holds its own block's scale); an arithmetic shift and a mask turn h·2¹⁶ into the f32 bit
///   pattern sign | (exponent, mantissa)·2¹³, which times 2¹¹² is the exact value; the 2¹¹² is folded into a
///   per-call (per work item) stack copy of d_x (<see cref="ScaleUp"/>, session 5: one multiply per row and step fewer, Q8_0 in L2
///   ~+5 %), except when some d_x ≥ 2¹⁶ (|x| ≳ 8·10⁶), where it would overflow and each weight scale is multiplied
///   instead (<see cref="IScaleRebias"/>: the same bits either way);</item>
/// <item>fp16 inf/NaN scales, which that shortcut turns into finite values of 2¹⁶ or more, are caught by a
///   running max of |scale| (one <c>vrangeps</c> per row and group); such a row pair is recomputed by the
///   scalar reference.</item>
/// </list>
/// <para>Every float operation matches the 4-token tile kernels lane for lane (same scale values, products,
/// FMA order and <c>Vector512.Sum</c>/<c>Vector256.Sum</c>), so a row's decode result has the same bits as the
/// same token in a prefill or batched tile; only rows with an inf/NaN scale differ (they are non-finite
/// either way). Tests: MatrixKernelsTests.QuantizedResultsDoNotDependOnTheTokenCount.</para>
/// <para>Software prefetch (why: measured). From DRAM one core got ~5 GB/s through this loop while the same
/// loop in L2 runs at ~10: the hardware streamers stop at every 4 KiB page and restart only after misses, and
/// at one token there is too little work per line to hide that. Each pass therefore prefetches
/// <see cref="PrefetchAheadQ4_0"/>/<see cref="PrefetchAheadQ8_0"/> bytes ahead in both rows (one line per row and step, ~64–72 bytes consumed per
/// row and step), never past the end of the rows this call owns (the next chunk may belong to another thread).
/// Per-core DRAM decode, <c>kernels --per-core</c>, loaded machine: Q8_0 5.4 → 7.0 GB/s, Q4_0 4.8 → 6.7 GB/s
/// (distances 3–12 KiB all gained; 6 KiB was best; prefetchnta lost). Round 2 (session 5): each work item also
/// prefetches its first lines before the loop (<see cref="PrefetchStart"/>) and items grew from 32 to 512 KiB
/// (<see cref="MatrixKernels.DecodeItemBytes"/>), after which Q8_0 gained from 12 KiB; prefetcht1 did not help.</para>
/// <para>The integer parts are those of the single-row kernels: unsigned nibbles × q with the −8 folded in as
/// 8·Σq per block (Q4_0); |w| × (q with w's sign) (Q8_0). Blocks after the last whole group go through the
/// scalar block sums.</para>
/// </remarks>
[SkipLocalsInit]
internal static unsafe class QuantDecodeRows
{
    /// <summary>
    /// How far ahead of the bytes being read the one-token loops prefetch (into L1), per weight type. Session 5 round 2
    /// sweep (<c>kernels --per-core</c>-style DRAM run, one thread, CPU time, 512 KiB items): Q8_0 6 → 12 KiB
    /// 9.0 → 9.7 GB/s; Q4_0 best at 6 KiB (8 KiB 3 % lower); F16/BF16 flat over 6–12 KiB.
    /// </summary>
    internal const int PrefetchAheadQ4_0 = 6144, PrefetchAheadQ8_0 = 12288, PrefetchAheadFloat = 6144;

    /// <summary>
    /// Prefetches the first <paramref name="ahead"/> bytes of a work item's rows (up to <paramref name="end"/>) before its
    /// loop, whose in-loop prefetch then continues <paramref name="ahead"/> bytes past the line being read. Without it an
    /// item's first <paramref name="ahead"/> bytes arrive by demand misses and the hardware streamer only.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void PrefetchStart(byte* from, byte* end, int ahead)
    {
        if (!Sse.IsSupported) return; // a hint only (the float path also runs this on non-x86 machines)
        byte* stop = from + ahead < end ? from + ahead : end;
        for (byte* p = from; p < stop; p += 64) Sse.Prefetch0(p);
    }

    const float Rebias = 5.192297e33f; // 2^112: f16 exponent bias 15 → f32 bias 127
    const uint HalfToF32Mask = 0x8FFF_E000; // sign | 15 magnitude bits at 13..27
    /// <summary>
    /// |scale| at or above this came from an f16 inf/NaN: the largest finite f16 is 65504, while exponent 31
    /// through the shortcut gives 2¹⁶·(1 + mantissa).
    /// </summary>
    const float SpecialMagnitude = 65536f;
    /// <summary><c>vrangeps</c> control: the larger magnitude, sign cleared.</summary>
    const byte MaxAbs = 0b1011;

    /// <summary>
    /// Q4_0: y[r] = row r · <paramref name="t"/> for <paramref name="rows"/> rows of <paramref name="nb"/> blocks,
    /// at <see cref="KernelIsa.V512"/> or <see cref="KernelIsa.V256"/> (AVX2).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q4_0(KernelIsa isa, byte* w, long rowBytes, int rows, int nb, Q8Token t, float* y, byte* prefetchEnd)
    {
        PrefetchStart(w, prefetchEnd, PrefetchAheadQ4_0);
        if (isa == KernelIsa.V512 && nb <= MaxFoldBlocks)
        {
            float* d = stackalloc float[nb * 4 + 16];
            if (ScaleUp(t.X4, nb * 4, d)) { Q4_0Rows<FoldedScales>(w, rowBytes, rows, nb, t, d, y, prefetchEnd); return; }
        }
        if (isa == KernelIsa.V512) { Q4_0Rows<RebiasScales>(w, rowBytes, rows, nb, t, t.X4, y, prefetchEnd); return; }
        byte* end = prefetchEnd;
        int r = 0;
        for (; r + 2 <= rows; r += 2) Q4_0Pair256(w + r * rowBytes, w + (r + 1) * rowBytes, nb, t, y + r, end);
        if (r < rows)
        {
            float* two = stackalloc float[2];
            Q4_0Pair256(w + r * rowBytes, w + r * rowBytes, nb, t, two, end);
            y[r] = two[0];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Q4_0Rows<R>(byte* w, long rowBytes, int rows, int nb, Q8Token t, float* dx, float* y, byte* end) where R : struct, IScaleRebias
    {
        int r = 0;
        for (; r + 2 <= rows; r += 2) Q4_0Pair<R>(w + r * rowBytes, w + (r + 1) * rowBytes, nb, t, dx, y + r, end);
        if (r < rows)
        {
            float* two = stackalloc float[2];
            Q4_0Pair<R>(w + r * rowBytes, w + r * rowBytes, nb, t, dx, two, end);
            y[r] = two[0];
        }
    }

    /// <summary>Q8_0: as <see cref="Q4_0"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q8_0(KernelIsa isa, byte* w, long rowBytes, int rows, int nb, Q8Token t, float* y, byte* prefetchEnd)
    {
        PrefetchStart(w, prefetchEnd, PrefetchAheadQ8_0);
        if (isa == KernelIsa.V512 && nb <= MaxFoldBlocks)
        {
            float* d = stackalloc float[nb * 8 + 16];
            if (ScaleUp(t.X8, nb * 8, d)) { Q8_0Rows<FoldedScales>(w, rowBytes, rows, nb, t, d, y, prefetchEnd); return; }
        }
        if (isa == KernelIsa.V512) { Q8_0Rows<RebiasScales>(w, rowBytes, rows, nb, t, t.X8, y, prefetchEnd); return; }
        byte* end = prefetchEnd;
        int r = 0;
        for (; r + 2 <= rows; r += 2) Q8_0Pair256(w + r * rowBytes, w + (r + 1) * rowBytes, nb, t, y + r, end);
        if (r < rows)
        {
            float* two = stackalloc float[2];
            Q8_0Pair256(w + r * rowBytes, w + r * rowBytes, nb, t, two, end);
            y[r] = two[0];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Q8_0Rows<R>(byte* w, long rowBytes, int rows, int nb, Q8Token t, float* dx, float* y, byte* end) where R : struct, IScaleRebias
    {
        int r = 0;
        for (; r + 2 <= rows; r += 2) Q8_0Pair<R>(w + r * rowBytes, w + (r + 1) * rowBytes, nb, t, dx, y + r, end);
        if (r < rows)
        {
            float* two = stackalloc float[2];
            Q8_0Pair<R>(w + r * rowBytes, w + r * rowBytes, nb, t, dx, two, end);
            y[r] = two[0];
        }
    }

    /// <summary>
    /// Largest row (in blocks) whose activation scales <see cref="Q4_0"/>/<see cref="Q8_0"/> copy ·2¹¹² onto the stack
    /// (16 KiB for Q8_0); longer rows keep the per-scale multiply.
    /// </summary>
    const int MaxFoldBlocks = 512;

    /// <summary>
    /// dst = src·2¹¹² for the n activation-scale lanes d_x; false (dst unusable) when some d_x ≥ 2¹⁶ or is NaN, where
    /// the product could overflow. Exact otherwise (a power-of-two scaling of a value below 2¹⁶).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static bool ScaleUp(float* src, int n, float* dst)
    {
        var ok = Vector512<float>.AllBitsSet;
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            var v = Vector512.Load(src + i);
            ok &= Vector512.LessThan(Vector512.Abs(v), Vector512.Create(SpecialMagnitude)); // false for NaN
            (v * Vector512.Create(Rebias)).Store(dst + i);
        }
        bool fits = ok.AsUInt32() == Vector512<uint>.AllBitsSet;
        for (; i < n; i++)
        {
            fits &= Math.Abs(src[i]) < SpecialMagnitude;
            dst[i] = src[i] * Rebias;
        }
        return fits;
    }

    /// <summary>
    /// Where the 2¹¹² that turns a scale's f32 pattern (<see cref="HighHalfBits"/>) into its value goes: onto each
    /// weight scale (<see cref="RebiasScales"/>: one multiply per row and step), or already into the
    /// activation scales d_x·2¹¹² (<see cref="FoldedScales"/>: none). s'·(d·2¹¹²) and (s'·2¹¹²)·d are the same real
    /// number, so the product rounds the same: the same bits either way.
    /// </summary>
    interface IScaleRebias
    {
        static abstract Vector512<float> Apply(Vector512<float> pattern);
        /// <summary>|scale| from an f16 inf/NaN is at or above this, in the units <see cref="Apply"/> returns.</summary>
        static abstract float Special { get; }
    }

    readonly struct RebiasScales : IScaleRebias
    {
        public static Vector512<float> Apply(Vector512<float> pattern) => pattern * Vector512.Create(QuantDecodeRows.Rebias);
        public static float Special => SpecialMagnitude;
    }

    readonly struct FoldedScales : IScaleRebias
    {
        public static Vector512<float> Apply(Vector512<float> pattern) => pattern;
        public static float Special => SpecialMagnitude * 1.92592994e-34f; // 2^16 · 2^-112 = 2^-96
    }

    /// <summary>Prefetches the line <paramref name="ahead"/> bytes after <paramref name="b0"/> and <paramref name="b1"/>, if before <paramref name="end"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Prefetch(byte* b0, byte* b1, byte* end, int ahead)
    {
        if (b0 + ahead < end) Sse.Prefetch0(b0 + ahead);
        if (b1 + ahead < end) Sse.Prefetch0(b1 + ahead);
    }

    /// <summary>h·2¹⁶ (an f16 scale in a lane's high half) → the f32 pattern sign | magnitude·2¹³, i.e. the scale ·2⁻¹¹².</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> HighHalfBits(Vector512<int> h16) =>
        (Avx512F.ShiftRightArithmetic(h16, 3).AsUInt32() & Vector512.Create(HalfToF32Mask)).AsSingle();

    /// <summary>Q4_0 group scales (·2⁻¹¹²): block b's fp16 scale (byte 18·b = byte 2·b of 16-byte lane b) into lanes 4b..4b+3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Q4_0Scales(byte* group, Vector512<sbyte> shuffle) =>
        HighHalfBits(Avx512BW.Shuffle(Vector512.Load((sbyte*)group), shuffle).AsInt32());

    /// <summary>Q8_0 pair scales (·2⁻¹¹²): block 2p's (word 0) into lanes 0–7, block 2p+1's (word 17) into lanes 8–15.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Q8_0Scales(byte* pair, Vector512<short> index) =>
        HighHalfBits(Avx512BW.PermuteVar32x16(Vector512.Load((short*)pair), index).AsInt32());

    // ---- Q4_0: groups of 4 blocks (72 bytes), lanes 4b..4b+3 hold block b's partial sums.

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Q4_0Pair<R>(byte* row0, byte* row1, int nb, Q8Token t, float* dx, float* y, byte* end) where R : struct, IScaleRebias
    {
        const int B = QuantDotQ4_0.BlockBytes;
        int groups = nb >> 2;
        var nibble = Vector512.Create((byte)0x0F);
        var ones = Vector512.Create((short)1);
        // Per 16-byte lane b: bytes 2b, 2b+1 (the scale) into bytes 2, 3 of each dword; bytes 0, 1 zero (−1 = 0x80).
        var scaleShuffle = Vector512.Create(
            -1, -1, 0, 1, -1, -1, 0, 1, -1, -1, 0, 1, -1, -1, 0, 1,
            -1, -1, 2, 3, -1, -1, 2, 3, -1, -1, 2, 3, -1, -1, 2, 3,
            -1, -1, 4, 5, -1, -1, 4, 5, -1, -1, 4, 5, -1, -1, 4, 5,
            -1, -1, 6, 7, -1, -1, 6, 7, -1, -1, 6, 7, -1, -1, 6, (sbyte)7);
        Vector512<float> acc0 = default, acc1 = default, max0 = default, max1 = default;
        sbyte* a = t.Nibble;
        int* off = t.Off4;
        for (int g = 0; g < groups; g++, a += 128, off += 16, dx += 16)
        {
            var aLo = Vector512.Load(a);
            var aHi = Vector512.Load(a + 64);
            var o = Vector512.Load(off);
            var d = Vector512.Load(dx);
            byte* b0 = row0 + g * 4 * B, b1 = row1 + g * 4 * B;
            Prefetch(b0, b1, end, PrefetchAheadQ4_0);

            var s0 = R.Apply(Q4_0Scales(b0, scaleShuffle));
            var s1 = R.Apply(Q4_0Scales(b1, scaleShuffle));
            max0 = Avx512DQ.Range(max0, s0, MaxAbs);
            max1 = Avx512DQ.Range(max1, s1, MaxAbs);

            var v0 = Load4(b0);
            var p0 = Avx512BW.MultiplyAddAdjacent(v0 & nibble, aLo) + Avx512BW.MultiplyAddAdjacent((v0.AsUInt16() >>> 4).AsByte() & nibble, aHi);
            var i0 = Avx512BW.MultiplyAddAdjacent(p0, ones) - o;
            acc0 = Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(i0), s0 * d, acc0);

            var v1 = Load4(b1);
            var p1 = Avx512BW.MultiplyAddAdjacent(v1 & nibble, aLo) + Avx512BW.MultiplyAddAdjacent((v1.AsUInt16() >>> 4).AsByte() & nibble, aHi);
            var i1 = Avx512BW.MultiplyAddAdjacent(p1, ones) - o;
            acc1 = Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(i1), s1 * d, acc1);
        }
        // Reduce before the calls below: a vector live across a call is spilled (every zmm is caller-saved), and the
        // JIT spilled acc1/max0/max1 at every iteration of the loop rather than once (session 5, JitDisasm).
        float sum0 = Vector512.Sum(acc0), sum1 = Vector512.Sum(acc1);
        bool special = Vector512.GreaterThanOrEqualAny(Avx512F.Max(max0, max1), Vector512.Create(R.Special));
        y[0] = sum0 + Q4_0Tail(row0, groups * 4, nb, t);
        y[1] = sum1 + Q4_0Tail(row1, groups * 4, nb, t);
        if (special)
        {
            // Some scale in one of the rows is inf or NaN: the exact reference gives the IEEE result.
            y[0] = QuantDotQ4_0.Scalar(row0, nb, t);
            y[1] = QuantDotQ4_0.Scalar(row1, nb, t);
        }
    }

    /// <summary>The 4×16 nibble bytes of the 4 blocks at <paramref name="b"/>, side by side (as <see cref="QuantDotQ4_0"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<byte> Load4(byte* b)
    {
        var lo = Avx2.InsertVector128(Vector128.Load(b + 2).ToVector256Unsafe(), Vector128.Load(b + 20), 1);
        var hi = Avx2.InsertVector128(Vector128.Load(b + 38).ToVector256Unsafe(), Vector128.Load(b + 56), 1);
        return Avx512F.InsertVector256(lo.ToVector512Unsafe(), hi, 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static float Q4_0Tail(byte* row, int from, int nb, Q8Token t)
    {
        float sum = 0;
        for (int b = from; b < nb; b++)
        {
            byte* blk = row + b * QuantDotQ4_0.BlockBytes;
            int s = 0;
            for (int i = 0; i < 16; i++) s += ((blk[2 + i] & 0x0F) - 8) * t.Natural[b * 32 + i] + ((blk[2 + i] >> 4) - 8) * t.Natural[b * 32 + i + 16];
            sum += HalfBits.ToSingle(*(ushort*)blk) * t.Scale[b] * s;
        }
        return sum;
    }

    // ---- Q8_0: pairs of blocks (68 bytes), lanes 0–7 hold block 2p's partial sums, lanes 8–15 block 2p+1's.

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Q8_0Pair<R>(byte* row0, byte* row1, int nb, Q8Token t, float* dx, float* y, byte* end) where R : struct, IScaleRebias
    {
        const int B = QuantDotQ8_0.BlockBytes;
        int pairs = nb >> 1;
        var ones = Vector512.Create((short)1);
        // Block 2p's scale is word 0 of the pair, block 2p+1's word 17 (byte 34).
        var scaleIndex = Vector512.Create(
            (short)0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17);
        Vector512<float> acc0 = default, acc1 = default, max0 = default, max1 = default;
        sbyte* q = t.Natural;
        for (int p = 0; p < pairs; p++, q += 64, dx += 16)
        {
            var x = Vector512.Load(q);
            var d = Vector512.Load(dx);
            byte* b0 = row0 + p * 2 * B, b1 = row1 + p * 2 * B;
            Prefetch(b0, b1, end, PrefetchAheadQ8_0);

            var s0 = R.Apply(Q8_0Scales(b0, scaleIndex));
            var s1 = R.Apply(Q8_0Scales(b1, scaleIndex));
            max0 = Avx512DQ.Range(max0, s0, MaxAbs);
            max1 = Avx512DQ.Range(max1, s1, MaxAbs);

            acc0 = Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(PairSum(b0, x, ones)), s0 * d, acc0);
            acc1 = Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(PairSum(b1, x, ones)), s1 * d, acc1);
        }
        float sum0 = Vector512.Sum(acc0), sum1 = Vector512.Sum(acc1); // before the calls: see Q4_0Pair
        bool special = Vector512.GreaterThanOrEqualAny(Avx512F.Max(max0, max1), Vector512.Create(R.Special));
        y[0] = sum0 + Q8_0Tail(row0, pairs * 2, nb, t);
        y[1] = sum1 + Q8_0Tail(row1, pairs * 2, nb, t);
        if (special)
        {
            y[0] = QuantDotQ8_0.Scalar(row0, nb, t);
            y[1] = QuantDotQ8_0.Scalar(row1, nb, t);
        }
    }

    /// <summary>Σ w·q of the two blocks at <paramref name="b"/> as 16 int32 lanes (8 per block).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<int> PairSum(byte* b, Vector512<sbyte> q, Vector512<short> ones)
    {
        var w = Avx512F.InsertVector256(Vector256.Load((sbyte*)b + 2).ToVector512Unsafe(), Vector256.Load((sbyte*)b + 2 + QuantDotQ8_0.BlockBytes), 1);
        var sq = Vector512.ConditionalSelect(Vector512.LessThan(w, Vector512<sbyte>.Zero), Vector512<sbyte>.Zero - q, q); // q with w's sign
        return Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Vector512.Abs(w).AsByte(), sq), ones);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static float Q8_0Tail(byte* row, int from, int nb, Q8Token t)
    {
        float sum = 0;
        for (int b = from; b < nb; b++)
        {
            sbyte* blk = (sbyte*)(row + b * QuantDotQ8_0.BlockBytes);
            int s = 0;
            for (int i = 0; i < 32; i++) s += blk[2 + i] * t.Natural[b * 32 + i];
            sum += HalfBits.ToSingle(*(ushort*)blk) * t.Scale[b] * s;
        }
        return sum;
    }

    // ---- 256-bit (AVX2): the same scheme at half width. Q4_0 steps over 2 blocks (36 bytes; each 16-byte
    // half of the first 32 bytes holds its block's scale, so vpshufb works again); Q8_0 over 1 block, its scale
    // broadcast as a word (vpbroadcastw) into both halves of every lane. The inf/NaN check is a running max of
    // |scale| (no vrangeps without AVX-512).

    /// <summary>
    /// The running max of |s0|, |s1| with plain <c>vmaxps</c>. The scales are finite by construction (the shortcut's
    /// largest value is below 2¹⁷), so the NaN and signed-zero rules of <c>Vector256.Max</c> (IEEE 754 maximum, which
    /// .NET 9+ emits as about eight instructions without AVX-512) buy nothing here; with them this tracker was more
    /// than a third of the one-token loop's instructions (Zen 3, session 12).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> TrackMax(Vector256<float> max, Vector256<float> s0, Vector256<float> s1)
    {
        var magnitude = Vector256.Create(0x7FFF_FFFF).AsSingle();
        return Avx.Max(max, Avx.Max(s0 & magnitude, s1 & magnitude));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> HighHalfToSingle(Vector256<int> h16) =>
        (Avx2.ShiftRightArithmetic(h16, 3).AsUInt32() & Vector256.Create(HalfToF32Mask)).AsSingle() * Vector256.Create(Rebias);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Q4_0Pair256(byte* row0, byte* row1, int nb, Q8Token t, float* y, byte* end)
    {
        const int B = QuantDotQ4_0.BlockBytes;
        int pairs = (nb >> 2) * 2; // whole groups only: the activations' nibble order covers groups of 4 blocks
        var nibble = Vector256.Create((byte)0x0F);
        var ones = Vector256.Create((short)1);
        var scaleShuffle = Vector256.Create(
            -1, -1, 0, 1, -1, -1, 0, 1, -1, -1, 0, 1, -1, -1, 0, 1,
            -1, -1, 2, 3, -1, -1, 2, 3, -1, -1, 2, 3, -1, -1, 2, (sbyte)3);
        Vector256<float> acc0 = default, acc1 = default, max = default;
        for (int p = 0; p < pairs; p++)
        {
            // Pair p is blocks 2p, 2p+1: group p/2, half p%2 of that group's low and high runs (as QuantDotQ4_0.V256).
            sbyte* a = t.Nibble + (p >> 1) * 128 + (p & 1) * 32;
            var aLo = Vector256.Load(a);
            var aHi = Vector256.Load(a + 64);
            var o = Vector256.Load(t.Off4 + p * 8);
            var d = Vector256.Load(t.X4 + p * 8);
            byte* b0 = row0 + p * 2 * B, b1 = row1 + p * 2 * B;
            Prefetch(b0, b1, end, PrefetchAheadQ4_0);

            var s0 = HighHalfToSingle(Avx2.Shuffle(Vector256.Load((sbyte*)b0), scaleShuffle).AsInt32());
            var s1 = HighHalfToSingle(Avx2.Shuffle(Vector256.Load((sbyte*)b1), scaleShuffle).AsInt32());
            max = TrackMax(max, s0, s1);

            var v0 = Vector256.Create(Vector128.Load(b0 + 2), Vector128.Load(b0 + 20));
            acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(NibbleDot(v0 & nibble, (v0.AsUInt16() >>> 4).AsByte() & nibble, aLo, aHi, ones) - o), s0 * d, acc0);

            var v1 = Vector256.Create(Vector128.Load(b1 + 2), Vector128.Load(b1 + 20));
            acc1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(NibbleDot(v1 & nibble, (v1.AsUInt16() >>> 4).AsByte() & nibble, aLo, aHi, ones) - o), s1 * d, acc1);
        }
        float sum0 = Vector256.Sum(acc0), sum1 = Vector256.Sum(acc1); // before the calls: see Q4_0Pair
        bool special = Vector256.GreaterThanOrEqualAny(max, Vector256.Create(SpecialMagnitude));
        y[0] = sum0 + Q4_0Tail(row0, pairs * 2, nb, t);
        y[1] = sum1 + Q4_0Tail(row1, pairs * 2, nb, t);
        if (special)
        {
            y[0] = QuantDotQ4_0.Scalar(row0, nb, t);
            y[1] = QuantDotQ4_0.Scalar(row1, nb, t);
        }
    }

    /// <summary>Σ lo·aLo + hi·aHi per 32-bit lane (unsigned × signed bytes): AVX-VNNI <c>vpdpbusd</c> where the CPU has it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<int> NibbleDot(Vector256<byte> lo, Vector256<byte> hi, Vector256<sbyte> aLo, Vector256<sbyte> aHi, Vector256<short> ones) =>
        AvxVnni.IsSupported
            ? AvxVnni.MultiplyWideningAndAdd(AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, lo, aLo), hi, aHi)
            : Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(lo, aLo) + Avx2.MultiplyAddAdjacent(hi, aHi), ones);

    /// <summary>Σ u·s per 32-bit lane (unsigned × signed bytes, |u·s| pair sums below 2¹⁵): <c>vpdpbusd</c> where the CPU has it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<int> ByteDot(Vector256<byte> u, Vector256<sbyte> s, Vector256<short> ones) =>
        AvxVnni.IsSupported
            ? AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, u, s)
            : Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, s), ones);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Q8_0Pair256(byte* row0, byte* row1, int nb, Q8Token t, float* y, byte* end)
    {
        const int B = QuantDotQ8_0.BlockBytes;
        var ones = Vector256.Create((short)1);
        Vector256<float> acc0 = default, acc1 = default, max = default;
        for (int b = 0; b < nb; b++)
        {
            var q = Vector256.Load(t.Natural + b * 32);
            var d = Vector256.Load(t.X8 + b * 8);
            byte* b0 = row0 + b * B, b1 = row1 + b * B;
            Prefetch(b0, b1, end, PrefetchAheadQ8_0);

            var s0 = HighHalfToSingle(Avx2.BroadcastScalarToVector256((short*)b0).AsInt32());
            var s1 = HighHalfToSingle(Avx2.BroadcastScalarToVector256((short*)b1).AsInt32());
            max = TrackMax(max, s0, s1);

            var w0 = Vector256.Load((sbyte*)b0 + 2);
            var w1 = Vector256.Load((sbyte*)b1 + 2);
            var i0 = ByteDot(Avx2.Abs(w0), Avx2.Sign(q, w0), ones);
            var i1 = ByteDot(Avx2.Abs(w1), Avx2.Sign(q, w1), ones);
            acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(i0), s0 * d, acc0);
            acc1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(i1), s1 * d, acc1);
        }
        y[0] = Vector256.Sum(acc0);
        y[1] = Vector256.Sum(acc1);
        if (Vector256.GreaterThanOrEqualAny(max, Vector256.Create(SpecialMagnitude)))
        {
            y[0] = QuantDotQ8_0.Scalar(row0, nb, t);
            y[1] = QuantDotQ8_0.Scalar(row1, nb, t);
        }
    }
}
