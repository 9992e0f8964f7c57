using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpLM.Tensors;

namespace SharpLM.Kernels;

/// <summary>
/// Dot products of one F32, F16 or BF16 weight row with 1–4 f32 activation rows. 16-bit weights are widened
/// to f32 in registers (BF16: a 16-bit shift; F16: a shift, a mask and a multiply, exact for finite values,
/// with inf/NaN rows recomputed by the scalar reference; see <see cref="F16Row"/>) and multiplied with fused
/// multiply-adds; nothing is converted ahead into memory, so decode reads 2 bytes per weight. With 4 tokens
/// each weight load and conversion serves four multiply-adds (prefill).
/// <para>One token (decode) streams the weights from DRAM with little work per line, so the single-token
/// loops prefetch <see cref="QuantDecodeRows.PrefetchAheadFloat"/> bytes ahead (as <see cref="QuantDecodeRows"/>;
/// rows are contiguous, so near a row's end this reaches into the next row), never at or past
/// <c>prefetchEnd</c>, the end of the rows the calling thread owns.</para>
/// </summary>
[SkipLocalsInit]
internal static unsafe class FloatDot
{
    /// <summary>
    /// y[k] = row · x[k] over <paramref name="cols"/> elements, for k &lt; <paramref name="count"/> (1 to 4).
    /// <paramref name="prefetchEnd"/>: where the caller's rows end (one-token prefetch stops there); null: no prefetch.
    /// </summary>
    public static void Dot(KernelIsa isa, TensorType type, byte* row, int cols, float** x, int count, float* y, byte* prefetchEnd = null)
    {
        switch (type)
        {
            case TensorType.F32: Dot<F32Row>(isa, row, cols, x, count, y, prefetchEnd); break;
            case TensorType.F16: Dot<F16Row>(isa, row, cols, x, count, y, prefetchEnd); break;
            case TensorType.BF16: Dot<BF16Row>(isa, row, cols, x, count, y, prefetchEnd); break;
            default: throw new ArgumentOutOfRangeException(nameof(type), type, "not a float weight type");
        }
    }

    /// <summary>
    /// As <see cref="Dot"/> for an F16 row against activations pre-scaled by 2¹¹² (<see cref="F16PreScaledRow"/>;
    /// <see cref="KernelIsa.V512"/> or <see cref="KernelIsa.V256"/> only): the same results, bit for bit.
    /// </summary>
    public static void DotF16PreScaled(KernelIsa isa, byte* row, int cols, float** x, int count, float* y, byte* prefetchEnd)
    {
        if (isa == KernelIsa.V512) V512<F16PreScaledRow>(row, cols, x, count, y, prefetchEnd);
        else if (isa == KernelIsa.V256) V256<F16PreScaledRow>(row, cols, x, count, y, prefetchEnd);
        else throw new ArgumentOutOfRangeException(nameof(isa), isa, "the pre-scaled F16 kernel runs at V256 or V512");
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Dot<L>(KernelIsa isa, byte* row, int cols, float** x, int count, float* y, byte* prefetchEnd) where L : struct, IRowLoad
    {
        switch (isa)
        {
            case KernelIsa.V512: V512<L>(row, cols, x, count, y, prefetchEnd); break;
            case KernelIsa.V256: V256<L>(row, cols, x, count, y, prefetchEnd); break;
            case KernelIsa.V128: for (int k = 0; k < count; k++) y[k] = V128<L>(row, cols, x[k]); break;
            default: for (int k = 0; k < count; k++) y[k] = Scalar<L>(row, cols, x[k]); break;
        }
    }

    /// <summary>The reference: element order, one f32 multiply-add per element.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Scalar<L>(byte* row, int cols, float* x) where L : struct, IRowLoad
    {
        float s = 0;
        for (int i = 0; i < cols; i++) s += L.Scalar(row, i) * x[i];
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static float Rest<L>(byte* row, int from, int cols, float* x) where L : struct, IRowLoad
    {
        float s = 0;
        for (int i = from; i < cols; i++) s += L.Scalar(row, i) * x[i];
        return s;
    }

    /// <summary>Prefetches the lines <see cref="QuantDecodeRows.PrefetchAheadFloat"/> bytes after the <paramref name="elements"/> weights at <paramref name="at"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Prefetch<L>(byte* at, int elements, byte* end) where L : struct, IRowLoad
    {
        byte* p = at + QuantDecodeRows.PrefetchAheadFloat;
        int bytes = elements * L.ElementBytes;
        for (int o = 0; o < bytes; o += 64)
            if (p + o < end) Sse.Prefetch0(p + o);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void V512<L>(byte* row, int cols, float** x, int count, float* y, byte* prefetchEnd) where L : struct, IRowLoad
    {
        Vector512<float> m0 = default, m1 = default; // running max |w| (finite-only loaders; otherwise unused)
        Vector512<ushort> raw = default; // f16 rows, one-token loop: OR of the stored halves (see MaySpecial)
        if (count == 4)
        {
            float* x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default;
            int i = 0;
            for (; i + 32 <= cols; i += 32)
            {
                var w = L.Load512(row, i);
                var v = L.Load512(row, i + 16);
                m0 = Track512<L>(m0, w);
                m1 = Track512<L>(m1, v);
                a0 = Vector512.FusedMultiplyAdd(w, Vector512.Load(x0 + i), a0);
                a1 = Vector512.FusedMultiplyAdd(w, Vector512.Load(x1 + i), a1);
                a2 = Vector512.FusedMultiplyAdd(w, Vector512.Load(x2 + i), a2);
                a3 = Vector512.FusedMultiplyAdd(w, Vector512.Load(x3 + i), a3);
                b0 = Vector512.FusedMultiplyAdd(v, Vector512.Load(x0 + i + 16), b0);
                b1 = Vector512.FusedMultiplyAdd(v, Vector512.Load(x1 + i + 16), b1);
                b2 = Vector512.FusedMultiplyAdd(v, Vector512.Load(x2 + i + 16), b2);
                b3 = Vector512.FusedMultiplyAdd(v, Vector512.Load(x3 + i + 16), b3);
            }
            for (; i + 16 <= cols; i += 16)
            {
                var w = L.Load512(row, i);
                m0 = Track512<L>(m0, w);
                a0 = Vector512.FusedMultiplyAdd(w, Vector512.Load(x0 + i), a0);
                a1 = Vector512.FusedMultiplyAdd(w, Vector512.Load(x1 + i), a1);
                a2 = Vector512.FusedMultiplyAdd(w, Vector512.Load(x2 + i), a2);
                a3 = Vector512.FusedMultiplyAdd(w, Vector512.Load(x3 + i), a3);
            }
            HorizontalSums.Sum4(a0 + b0, a1 + b1, a2 + b2, a3 + b3).Store(y);
            if (i < cols)
            {
                y[0] += Rest<L>(row, i, cols, x0);
                y[1] += Rest<L>(row, i, cols, x1);
                y[2] += Rest<L>(row, i, cols, x2);
                y[3] += Rest<L>(row, i, cols, x3);
            }
        }
        else
        {
            for (int k = 0; k < count; k++)
            {
                float* xk = x[k];
                Vector512<float> a = default, b = default, c = default, d = default;
                int i = 0;
                for (; i + 64 <= cols; i += 64)
                {
                    if (prefetchEnd != null) Prefetch<L>(row + i * L.ElementBytes, 64, prefetchEnd);
                    var w0 = L.Load512(row, i);
                    var w1 = L.Load512(row, i + 16);
                    var w2 = L.Load512(row, i + 32);
                    var w3 = L.Load512(row, i + 48);
                    if (IsHalf<L>())
                    {
                        var h0 = Vector512.Load((ushort*)row + i);
                        var h1 = Vector512.Load((ushort*)row + i + 32);
                        raw = Avx512F.TernaryLogic(raw, h0, h1, OrOfThree);
                        if (typeof(L) == typeof(F16PreScaledRow) && HasSubnormal(h0, h1))
                        {
                            // Rare (~14 % of 64-weight steps for N(0, 0.02) weights): the same products without denormal inputs.
                            a = Vector512.FusedMultiplyAdd(Rescaled(w0), Vector512.Load(xk + i) * Vector512.Create(Down10), a);
                            b = Vector512.FusedMultiplyAdd(Rescaled(w1), Vector512.Load(xk + i + 16) * Vector512.Create(Down10), b);
                            c = Vector512.FusedMultiplyAdd(Rescaled(w2), Vector512.Load(xk + i + 32) * Vector512.Create(Down10), c);
                            d = Vector512.FusedMultiplyAdd(Rescaled(w3), Vector512.Load(xk + i + 48) * Vector512.Create(Down10), d);
                            continue;
                        }
                    }
                    else
                    {
                        m0 = Track512<L>(m0, w0);
                        m1 = Track512<L>(m1, w1);
                        m0 = Track512<L>(m0, w2);
                        m1 = Track512<L>(m1, w3);
                    }
                    a = Vector512.FusedMultiplyAdd(w0, Vector512.Load(xk + i), a);
                    b = Vector512.FusedMultiplyAdd(w1, Vector512.Load(xk + i + 16), b);
                    c = Vector512.FusedMultiplyAdd(w2, Vector512.Load(xk + i + 32), c);
                    d = Vector512.FusedMultiplyAdd(w3, Vector512.Load(xk + i + 48), d);
                }
                for (; i + 16 <= cols; i += 16)
                {
                    var w = L.Load512(row, i);
                    m0 = Track512<L>(m0, w);
                    a = Vector512.FusedMultiplyAdd(w, Vector512.Load(xk + i), a);
                }
                y[k] = Vector512.Sum((a + b) + (c + d)) + Rest<L>(row, i, cols, xk);
            }
        }
        Recheck<L>(L.FiniteOnly && (Special512<L>(m0, m1) || IsHalf<L>() && MaySpecial(raw) && HalfRowHasSpecial(row, cols)), row, cols, x, count, y);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void V256<L>(byte* row, int cols, float** x, int count, float* y, byte* prefetchEnd) where L : struct, IRowLoad
    {
        Vector256<float> m0 = default, m1 = default;
        Vector256<ushort> raw = default; // as V512
        if (count == 4)
        {
            float* x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
            int i = 0;
            for (; i + 16 <= cols; i += 16)
            {
                var w = L.Load256(row, i);
                var v = L.Load256(row, i + 8);
                m0 = Track256<L>(m0, w);
                m1 = Track256<L>(m1, v);
                a0 = Vector256.FusedMultiplyAdd(w, Vector256.Load(x0 + i), a0);
                a1 = Vector256.FusedMultiplyAdd(w, Vector256.Load(x1 + i), a1);
                a2 = Vector256.FusedMultiplyAdd(w, Vector256.Load(x2 + i), a2);
                a3 = Vector256.FusedMultiplyAdd(w, Vector256.Load(x3 + i), a3);
                b0 = Vector256.FusedMultiplyAdd(v, Vector256.Load(x0 + i + 8), b0);
                b1 = Vector256.FusedMultiplyAdd(v, Vector256.Load(x1 + i + 8), b1);
                b2 = Vector256.FusedMultiplyAdd(v, Vector256.Load(x2 + i + 8), b2);
                b3 = Vector256.FusedMultiplyAdd(v, Vector256.Load(x3 + i + 8), b3);
            }
            for (; i + 8 <= cols; i += 8)
            {
                var w = L.Load256(row, i);
                m0 = Track256<L>(m0, w);
                a0 = Vector256.FusedMultiplyAdd(w, Vector256.Load(x0 + i), a0);
                a1 = Vector256.FusedMultiplyAdd(w, Vector256.Load(x1 + i), a1);
                a2 = Vector256.FusedMultiplyAdd(w, Vector256.Load(x2 + i), a2);
                a3 = Vector256.FusedMultiplyAdd(w, Vector256.Load(x3 + i), a3);
            }
            y[0] = Vector256.Sum(a0 + b0) + Rest<L>(row, i, cols, x0);
            y[1] = Vector256.Sum(a1 + b1) + Rest<L>(row, i, cols, x1);
            y[2] = Vector256.Sum(a2 + b2) + Rest<L>(row, i, cols, x2);
            y[3] = Vector256.Sum(a3 + b3) + Rest<L>(row, i, cols, x3);
        }
        else
        {
            for (int k = 0; k < count; k++)
            {
                float* xk = x[k];
                Vector256<float> a = default, b = default, c = default, d = default;
                int i = 0;
                for (; i + 32 <= cols; i += 32)
                {
                    if (prefetchEnd != null) Prefetch<L>(row + i * L.ElementBytes, 32, prefetchEnd);
                    var w0 = L.Load256(row, i);
                    var w1 = L.Load256(row, i + 8);
                    var w2 = L.Load256(row, i + 16);
                    var w3 = L.Load256(row, i + 24);
                    if (IsHalf<L>())
                        raw |= Vector256.Load((ushort*)row + i) | Vector256.Load((ushort*)row + i + 16);
                    else
                    {
                        m0 = Track256<L>(m0, w0);
                        m1 = Track256<L>(m1, w1);
                        m0 = Track256<L>(m0, w2);
                        m1 = Track256<L>(m1, w3);
                    }
                    a = Vector256.FusedMultiplyAdd(w0, Vector256.Load(xk + i), a);
                    b = Vector256.FusedMultiplyAdd(w1, Vector256.Load(xk + i + 8), b);
                    c = Vector256.FusedMultiplyAdd(w2, Vector256.Load(xk + i + 16), c);
                    d = Vector256.FusedMultiplyAdd(w3, Vector256.Load(xk + i + 24), d);
                }
                for (; i + 8 <= cols; i += 8)
                {
                    var w = L.Load256(row, i);
                    m0 = Track256<L>(m0, w);
                    a = Vector256.FusedMultiplyAdd(w, Vector256.Load(xk + i), a);
                }
                y[k] = Vector256.Sum((a + b) + (c + d)) + Rest<L>(row, i, cols, xk);
            }
        }
        Recheck<L>(L.FiniteOnly && (Special256<L>(m0, m1) || IsHalf<L>() && MaySpecial(raw) && HalfRowHasSpecial(row, cols)), row, cols, x, count, y);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float V128<L>(byte* row, int cols, float* x) where L : struct, IRowLoad
    {
        Vector128<float> a = default, b = default;
        int i = 0;
        for (; i + 8 <= cols; i += 8)
        {
            a = Vector128.FusedMultiplyAdd(L.Load128(row, i), Vector128.Load(x + i), a);
            b = Vector128.FusedMultiplyAdd(L.Load128(row, i + 4), Vector128.Load(x + i + 4), b);
        }
        for (; i + 4 <= cols; i += 4)
            a = Vector128.FusedMultiplyAdd(L.Load128(row, i), Vector128.Load(x + i), a);
        return Vector128.Sum(a + b) + Rest<L>(row, i, cols, x);
    }

    /// <summary>Loads weights i, i+1, … of a row as f32.</summary>
    internal interface IRowLoad
    {
        static abstract float Scalar(byte* row, int i);
        static abstract Vector128<float> Load128(byte* row, int i);
        static abstract Vector256<float> Load256(byte* row, int i);
        static abstract Vector512<float> Load512(byte* row, int i);
        /// <summary>
        /// True when <see cref="Load256"/>/<see cref="Load512"/> take a shortcut that is exact for finite
        /// values only: the kernel then keeps a running max of |w| (<see cref="Track512"/>) and recomputes the
        /// row with <see cref="Scalar"/> when it reaches <see cref="FiniteLimit"/>.
        /// </summary>
        static abstract bool FiniteOnly { get; }
        /// <summary>Bytes per stored weight.</summary>
        static abstract int ElementBytes { get; }
    }

    /// <summary>What the finite-only shortcut of <see cref="F16Row"/> makes of an f16 inf/NaN: 2¹⁶ or more (the largest finite f16 is 65504).</summary>
    const float FiniteLimit = 65536f;

    /// <summary>
    /// <see cref="F16PreScaledRow"/>'s tracker: its lanes hold f16 exponent | mantissa at f32 bits 13–27 with bits
    /// 28–30 clear, so adding 1 at bit 23 carries into bit 28 exactly when the f16 exponent is 31 (inf/NaN).
    /// An integer add and an or per vector (either vector port) instead of <c>vrangeps</c> (port 0 only, where the
    /// FMAs run).
    /// </summary>
    const uint ExponentOne = 0x0080_0000, ExponentCarry = 0x1000_0000;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Track512<L>(Vector512<float> max, Vector512<float> w) where L : struct, IRowLoad =>
        !L.FiniteOnly ? max
        : typeof(L) == typeof(F16PreScaledRow) ? (max.AsUInt32() | (w.AsUInt32() + Vector512.Create(ExponentOne))).AsSingle()
        : Avx512DQ.Range(max, w, 0b1011); // vrangeps 0b1011: the larger magnitude, sign cleared

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> Track256<L>(Vector256<float> max, Vector256<float> w) where L : struct, IRowLoad =>
        !L.FiniteOnly ? max
        : typeof(L) == typeof(F16PreScaledRow) ? (max.AsUInt32() | (w.AsUInt32() + Vector256.Create(ExponentOne))).AsSingle()
        : Avx.Max(max, w & Vector256.Create(0x7FFF_FFFF).AsSingle()); // vmaxps: the shortcut's values are finite (IEEE Vector256.Max costs ~8 instructions without AVX-512)

    /// <summary>Whether the trackers saw an f16 inf/NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static bool Special512<L>(Vector512<float> m0, Vector512<float> m1) where L : struct, IRowLoad =>
        typeof(L) == typeof(F16PreScaledRow)
            ? ((m0.AsUInt32() | m1.AsUInt32()) & Vector512.Create(ExponentCarry)) != Vector512<uint>.Zero
            : Vector512.GreaterThanOrEqualAny(Vector512.Max(m0, m1), Vector512.Create(FiniteLimit));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static bool Special256<L>(Vector256<float> m0, Vector256<float> m1) where L : struct, IRowLoad =>
        typeof(L) == typeof(F16PreScaledRow)
            ? ((m0.AsUInt32() | m1.AsUInt32()) & Vector256.Create(ExponentCarry)) != Vector256<uint>.Zero
            : Vector256.GreaterThanOrEqualAny(Vector256.Max(m0, m1), Vector256.Create(FiniteLimit));

    /// <summary>f16 rows (<see cref="F16Row"/>, <see cref="F16PreScaledRow"/>): the one-token loops check them by <see cref="MaySpecial"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static bool IsHalf<L>() where L : struct, IRowLoad => typeof(L) == typeof(F16Row) || typeof(L) == typeof(F16PreScaledRow);

    /// <summary><c>vpternlogd</c> truth table of a | b | c.</summary>
    const byte OrOfThree = 0xFE;
    const ushort HalfExponent = 0x7C00;

    /// <summary>
    /// Whether a lane of the OR of a row's stored halves has all five exponent bits set. An f16 inf/NaN (exponent 31)
    /// always sets them; finite weights can too (e.g. 2.0 and 1.5 in one lane: exponents 10000 | 01111), so a yes is
    /// confirmed by <see cref="HalfRowHasSpecial"/> before the row is recomputed. Why an OR: one <c>vpternlogd</c> per
    /// 64 weights (the stored bytes, loaded again from L1) instead of an add and an or per 16 on the widened values:
    /// the one-token F16 loop is bound by its vector operations (BENCHMARKS.md, decode kernel progress, session 5).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static bool MaySpecial(Vector512<ushort> raw) =>
        Vector512.EqualsAny(raw & Vector512.Create(HalfExponent), Vector512.Create(HalfExponent));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static bool MaySpecial(Vector256<ushort> raw) =>
        Vector256.EqualsAny(raw & Vector256.Create(HalfExponent), Vector256.Create(HalfExponent));

    /// <summary>
    /// Whether 64 stored halves hold an f16 subnormal (exponent 0, mantissa ≠ 0): (h &amp; 0x7FFF) − 1 &lt; 0x3FF, unsigned.
    /// Why it matters: <see cref="F16PreScaledRow"/> turns an f16 subnormal w into the f32 pattern w·2⁻¹¹², an f32
    /// denormal, and a fused multiply-add with a denormal input takes a microcode assist on this CPU (no DAZ in .NET):
    /// with Gemma-like N(0, 0.02) weights (~0.24 % subnormal in f16) the one-token F16 loop ran at half speed
    /// (<c>kernels --per-core</c>: 6.3 vs 12.6 GB/s per core in L2 against uniform weights with no subnormals).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool HasSubnormal(Vector512<ushort> h0, Vector512<ushort> h1) =>
        Vector512.LessThanAny(Vector512.Min((h0 & Vector512.Create((ushort)0x7FFF)) - Vector512<ushort>.One,
                                            (h1 & Vector512.Create((ushort)0x7FFF)) - Vector512<ushort>.One), Vector512.Create((ushort)0x3FF));

    /// <summary>2⁻¹⁰: pre-scaled activations X = x·2¹¹² times this are x·2¹⁰² (exact: no f32 underflows by it).</summary>
    const float Down10 = 9.765625e-4f;
    const float TwoToMinus126 = 1.17549435e-38f;

    /// <summary>
    /// An <see cref="F16PreScaledRow"/> vector w' = w·2⁻¹¹² as w·2⁻¹⁰² without touching a denormal: normal lanes by
    /// adding 10 to the exponent field; subnormal lanes (f16 exponent 0) as the integer mantissa m converted and
    /// times 2⁻¹²⁶ (= m·2⁻²⁴·2⁻¹⁰², a normal f32), with the sign put back. Times x·2¹⁰² it is the same real product
    /// as w'·X, so the fused multiply-add rounds exactly as the fast path would without the assist.
    /// inf/NaN lanes come out finite and wrong, as in the fast path; the row's special check recomputes those rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Rescaled(Vector512<float> w)
    {
        var o = w.AsUInt32();
        var normal = o + Vector512.Create(10u << 23);
        var m = Avx512F.ConvertToVector512Single(((o >>> 13) & Vector512.Create(0x3FFu)).AsInt32()) * Vector512.Create(TwoToMinus126);
        var sub = m.AsUInt32() | (o & Vector512.Create(0x8000_0000u));
        return Vector512.ConditionalSelect(Vector512.Equals(o & Vector512.Create(0x0F80_0000u), Vector512<uint>.Zero), sub, normal).AsSingle();
    }

    /// <summary>Exact: does the row hold an f16 with exponent 31 (inf or NaN)?</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static bool HalfRowHasSpecial(byte* row, int cols)
    {
        var h = (ushort*)row;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + 16 <= cols; i += 16)
                if (Vector256.EqualsAny(Vector256.Load(h + i) & Vector256.Create(HalfExponent), Vector256.Create(HalfExponent))) return true;
        for (; i < cols; i++)
            if ((h[i] & HalfExponent) == HalfExponent) return true;
        return false;
    }

    /// <summary>Rows the vector paths recomputed with the scalar reference on this thread (tests: a finite row must not be).</summary>
    [ThreadStatic] internal static int ExactRecomputes;

    /// <summary>After a row with a finite-only loader: recompute it exactly if it held an inf/NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Recheck<L>(bool special, byte* row, int cols, float** x, int count, float* y) where L : struct, IRowLoad
    {
        if (!L.FiniteOnly || !special) return;
        ExactRecomputes++;
        for (int k = 0; k < count; k++)
            y[k] = typeof(L) == typeof(F16PreScaledRow) ? F16PreScaledRow.Exact(row, cols, x[k]) : Scalar<L>(row, cols, x[k]);
    }

    internal readonly struct F32Row : IRowLoad
    {
        public static float Scalar(byte* row, int i) => ((float*)row)[i];
        public static Vector128<float> Load128(byte* row, int i) => Vector128.Load((float*)row + i);
        public static Vector256<float> Load256(byte* row, int i) => Vector256.Load((float*)row + i);
        public static Vector512<float> Load512(byte* row, int i) => Vector512.Load((float*)row + i);
        public static bool FiniteOnly => false;
        public static int ElementBytes => 4;
    }

    /// <summary>bf16 is the high half of an f32: widen to 32 bits and shift left by 16.</summary>
    internal readonly struct BF16Row : IRowLoad
    {
        public static float Scalar(byte* row, int i) => BFloat16.ToSingle(((ushort*)row)[i]);
        public static Vector128<float> Load128(byte* row, int i) =>
            (Vector128.WidenLower(Vector128.CreateScalarUnsafe(*(ulong*)((ushort*)row + i)).AsUInt16()) << 16).AsSingle();
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Load256(byte* row, int i) =>
            (Avx2.ConvertToVector256Int32(Vector128.Load((ushort*)row + i)).AsUInt32() << 16).AsSingle();
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load512(byte* row, int i) =>
            (Avx512F.ConvertToVector512Int32(Vector256.Load((ushort*)row + i)).AsUInt32() << 16).AsSingle();
        public static bool FiniteOnly => false;
        public static int ElementBytes => 2;
    }

    /// <summary>
    /// f16 at 256/512 bits, finite values only (see <see cref="IRowLoad.FiniteOnly"/>): sign-extending h to 32
    /// bits and shifting left by 13 puts the sign at bit 31 and exponent | mantissa at bits 13–27; masking out
    /// bits 28–30 leaves the f32 pattern of h·2⁻¹¹², and one multiply by 2¹¹² makes it exact (normals and
    /// subnormals). Four operations per 16 weights where the exact <see cref="HalfBits"/> conversion needs ten;
    /// an inf/NaN becomes a finite value ≥ 2¹⁶ that the kernel's running max catches.
    /// </summary>
    internal readonly struct F16Row : IRowLoad
    {
        const uint Mask = 0x8FFF_E000;
        const float Rebias = 5.192297e33f; // 2^112

        public static float Scalar(byte* row, int i) => HalfBits.ToSingle(((ushort*)row)[i]);
        public static Vector128<float> Load128(byte* row, int i) =>
            HalfBits.ToSingle(Vector128.WidenLower(Vector128.CreateScalarUnsafe(*(ulong*)((ushort*)row + i)).AsUInt16()));
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Load256(byte* row, int i) =>
            ((Avx2.ConvertToVector256Int32(Vector128.Load((short*)row + i)) << 13).AsUInt32() & Vector256.Create(Mask)).AsSingle() * Vector256.Create(Rebias);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load512(byte* row, int i) =>
            ((Avx512F.ConvertToVector512Int32(Vector256.Load((short*)row + i)) << 13).AsUInt32() & Vector512.Create(Mask)).AsSingle() * Vector512.Create(Rebias);
        public static bool FiniteOnly => true;
        public static int ElementBytes => 2;
    }

    /// <summary>
    /// f16 as <see cref="F16Row"/> without its multiply by 2¹¹²: the kernel multiplies the f32 pattern
    /// w' = w·2⁻¹¹² (exact for every finite f16, subnormals included) with activations X = x·2¹¹² (exact while
    /// |x| &lt; 2¹⁶; <see cref="MatrixKernels"/> scales them once per call and uses <see cref="F16Row"/> otherwise).
    /// w'·X is the same real number as w·x, so every product and fused multiply-add rounds as before: the same
    /// bits, one port-0 multiply fewer per 16 weights (decode's F16 loop is compute-bound in L2). inf/NaN weights
    /// are caught by an integer carry (<see cref="Track512"/>; in the one-token loop by <see cref="MaySpecial"/>) and
    /// the row recomputed by <see cref="Exact"/>. An f16 subnormal becomes an f32 denormal here; the one-token V512
    /// loop sends 64-weight steps holding one through <see cref="Rescaled"/> instead (no denormal FMA inputs).
    /// </summary>
    internal readonly struct F16PreScaledRow : IRowLoad
    {
        const uint Mask = 0x8FFF_E000;
        const float Unscale = 1.92592994e-34f; // 2^-112

        public static float Scalar(byte* row, int i) => HalfBits.ToSingle(((ushort*)row)[i]) * Unscale;
        public static Vector128<float> Load128(byte* row, int i) =>
            HalfBits.ToSingle(Vector128.WidenLower(Vector128.CreateScalarUnsafe(*(ulong*)((ushort*)row + i)).AsUInt16())) * Vector128.Create(Unscale);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Load256(byte* row, int i) =>
            ((Avx2.ConvertToVector256Int32(Vector128.Load((short*)row + i)) << 13).AsUInt32() & Vector256.Create(Mask)).AsSingle();
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load512(byte* row, int i) =>
            ((Avx512F.ConvertToVector512Int32(Vector256.Load((short*)row + i)) << 13).AsUInt32() & Vector512.Create(Mask)).AsSingle();
        public static bool FiniteOnly => true;
        public static int ElementBytes => 2;

        /// <summary>The scalar reference for a row with an inf/NaN: x = X·2⁻¹¹² exactly, then element order as <see cref="Scalar{L}"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static float Exact(byte* row, int cols, float* scaledX)
        {
            float s = 0;
            for (int i = 0; i < cols; i++) s += HalfBits.ToSingle(((ushort*)row)[i]) * (scaledX[i] * Unscale);
            return s;
        }
    }
}
