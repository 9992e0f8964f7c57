using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpLM.Kernels.Training;

/// <summary>
/// Short vector primitives for the training ops: dot, axpy, sums, GELU and exp. Each has a float path
/// (AVX-512 when the CPU has it, else 256-bit) and a scalar generic path used for float64 (the
/// finite-difference tests) and as the reference the float paths are tested against.
/// </summary>
/// <remarks>
/// AVX-512 is chosen by <see cref="Avx512F.IsSupported"/>, not <see cref="Vector512.IsHardwareAccelerated"/>:
/// .NET reports the latter false on Intel parts that lower their clock for 512-bit code, but for
/// FMA-bound training kernels the wider vectors still win (measured in the Gemm benchmark).
/// </remarks>
public static unsafe class Vec
{
    internal static readonly bool Use512 = Avx512F.IsSupported;

    /// <summary>
    /// The 256-bit float path: AVX2 + FMA on a CPU without AVX-512 (AMD Zen 2/3, Intel client parts). Each float
    /// helper that has a 512-bit loop also has one of these, computing every lane with the same operations in the
    /// same order, so element-wise results are the same bits on both paths (only cross-lane sums may differ).
    /// </summary>
    internal static readonly bool Use256 = !Use512 && Avx2.IsSupported && Fma.IsSupported;

    /// <summary>
    /// Whether the float helpers and ops run their <see cref="Use256"/> loops (default) or, with SHARPLM_VEC256=0, the scalar
    /// code an AVX2 machine ran before session 11 (A/B only: <c>train-ops --match SHARPLM_VEC256</c> alternates it in one
    /// process). Process-wide: tests never change it.
    /// </summary>
    internal static bool Loops256 { get; set; } = Environment.GetEnvironmentVariable("SHARPLM_VEC256") != "0";

    /// <summary><see cref="Use256"/> and <see cref="Loops256"/>: the 256-bit loops run.</summary>
    internal static bool On256 => Use256 && Loops256;

    /// <summary>Σ a[i]·b[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Dot<T>(T* a, T* b, int n) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float)) { float r = DotF((float*)a, (float*)b, n); return Unsafe.As<float, T>(ref r); }
        T s = T.Zero;
        for (int i = 0; i < n; i++) s += a[i] * b[i];
        return s;
    }

    static float DotF(float* a, float* b, int n)
    {
        int i = 0;
        float s;
        if (Use512 && n >= 16)
        {
            var acc0 = Vector512<float>.Zero; var acc1 = Vector512<float>.Zero;
            for (; i + 32 <= n; i += 32)
            {
                acc0 = Avx512F.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), acc0);
                acc1 = Avx512F.FusedMultiplyAdd(Vector512.Load(a + i + 16), Vector512.Load(b + i + 16), acc1);
            }
            for (; i + 16 <= n; i += 16) acc0 = Avx512F.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), acc0);
            s = Vector512.Sum(acc0 + acc1);
        }
        else if (On256 && n >= 16)
        {
            // Two chains of FMAs, as the 512-bit loop has: one chain would wait its 4-cycle latency on itself every 8 elements.
            var acc0 = Vector256<float>.Zero; var acc1 = Vector256<float>.Zero;
            for (; i + 16 <= n; i += 16)
            {
                acc0 = Fma.MultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), acc0);
                acc1 = Fma.MultiplyAdd(Vector256.Load(a + i + 8), Vector256.Load(b + i + 8), acc1);
            }
            for (; i + 8 <= n; i += 8) acc0 = Fma.MultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), acc0);
            s = Vector256.Sum(acc0 + acc1);
        }
        else
        {
            var acc = Vector256<float>.Zero;
            for (; i + 8 <= n; i += 8) acc += Vector256.Load(a + i) * Vector256.Load(b + i);
            s = Vector256.Sum(acc);
        }
        for (; i < n; i++) s += a[i] * b[i];
        return s;
    }

    /// <summary>y[i] += alpha·x[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Axpy<T>(T alpha, T* x, T* y, int n) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float)) { AxpyF(Unsafe.As<T, float>(ref alpha), (float*)x, (float*)y, n); return; }
        for (int i = 0; i < n; i++) y[i] += alpha * x[i];
    }

    static void AxpyF(float alpha, float* x, float* y, int n)
    {
        int i = 0;
        if (Use512)
        {
            var va = Vector512.Create(alpha);
            for (; i + 16 <= n; i += 16) Avx512F.FusedMultiplyAdd(va, Vector512.Load(x + i), Vector512.Load(y + i)).Store(y + i);
        }
        else if (On256)
        {
            // The 512-bit loop's fused multiply-adds over the same first n/16·16 elements: the same bits element for element.
            var va = Vector256.Create(alpha);
            for (; i + 16 <= n; i += 16)
            {
                Fma.MultiplyAdd(va, Vector256.Load(x + i), Vector256.Load(y + i)).Store(y + i);
                Fma.MultiplyAdd(va, Vector256.Load(x + i + 8), Vector256.Load(y + i + 8)).Store(y + i + 8);
            }
        }
        var vb = Vector256.Create(alpha);
        for (; i + 8 <= n; i += 8) (Vector256.Load(y + i) + vb * Vector256.Load(x + i)).Store(y + i);
        for (; i < n; i++) y[i] += alpha * x[i];
    }

    /// <summary>y[i] = alpha·x[i] (in place allowed).</summary>
    public static void Scale<T>(T alpha, T* x, T* y, int n) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float))
        {
            float a = Unsafe.As<T, float>(ref alpha);
            float* xf = (float*)x, yf = (float*)y;
            int i = 0;
            var va = Vector256.Create(a);
            for (; i + 8 <= n; i += 8) (Vector256.Load(xf + i) * va).Store(yf + i);
            for (; i < n; i++) yf[i] = a * xf[i];
            return;
        }
        for (int i = 0; i < n; i++) y[i] = alpha * x[i];
    }

    /// <summary>y[i] += x[i].</summary>
    public static void Add<T>(T* x, T* y, int n) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float))
        {
            float* xf = (float*)x, yf = (float*)y;
            int i = 0;
            for (; i + 8 <= n; i += 8) (Vector256.Load(yf + i) + Vector256.Load(xf + i)).Store(yf + i);
            for (; i < n; i++) yf[i] += xf[i];
            return;
        }
        for (int i = 0; i < n; i++) y[i] += x[i];
    }

    /// <summary>Σ x[i]² accumulated in double (norm statistics want the extra bits).</summary>
    public static double SumSquares<T>(T* x, int n) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float)) return SumSquaresFrom((float*)x, n, 0, Vector256<double>.Zero, Vector256<double>.Zero);
        double r = 0;
        for (int i = 0; i < n; i++) { double v = double.CreateTruncating(x[i]); r += v * v; }
        return r;
    }

    /// <summary>
    /// The float path of <see cref="SumSquares{T}"/>, resumed at element <paramref name="i"/> (a multiple of 8) with the eight
    /// double lanes so far: lane l of <paramref name="acc0"/> sums the squares of elements ≡ l (mod 8) in order, lane l of
    /// <paramref name="acc1"/> those ≡ 4 + l; a last group of four goes to acc0; then acc0 + acc1 lane by lane, the four lanes
    /// summed, then the tail. Each square of a float is exact in double; only the adds round, so this order is the
    /// function's definition. Two vectors are two chains of dependent adds: one chain (sessions 1–10) held a norm row to
    /// four elements per add latency.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static double SumSquaresFrom(float* x, int n, int i, Vector256<double> acc0, Vector256<double> acc1)
    {
        for (; i + 8 <= n; i += 8)
        {
            acc0 += Squares4(x + i);
            acc1 += Squares4(x + i + 4);
        }
        if (i + 4 <= n) { acc0 += Squares4(x + i); i += 4; }
        double s = Vector256.Sum(acc0 + acc1);
        for (; i < n; i++) s += (double)x[i] * x[i];
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<double> Squares4(float* x)
    {
        // vcvtps2pd straight from memory where AVX is present (the exact same widening).
        var d = Avx.IsSupported ? Avx.ConvertToVector256Double(Vector128.Load(x)) : Vector256.WidenLower(Vector256.Create(Vector128.Load(x), Vector128<float>.Zero));
        return d * d;
    }

    /// <summary>
    /// <see cref="SumSquares{T}"/> of four float arrays at once (the gradient norm's ranges), each result bit-identical to its
    /// own call: the same lanes, adds and final sum per array, but eight independent add chains (two per array). One array's
    /// sum is two chains of n/8 dependent double adds; eight side by side keep the adders busy. Lengths may differ.
    /// </summary>
    public static void SumSquares4(float* x0, int n0, float* x1, int n1, float* x2, int n2, float* x3, int n3, double* sums)
    {
        Vector256<double> a0 = Vector256<double>.Zero, a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int common = Math.Min(Math.Min(n0, n1), Math.Min(n2, n3)) & ~7, i = 0;
        for (; i < common; i += 8)
        {
            a0 += Squares4(x0 + i); b0 += Squares4(x0 + i + 4);
            a1 += Squares4(x1 + i); b1 += Squares4(x1 + i + 4);
            a2 += Squares4(x2 + i); b2 += Squares4(x2 + i + 4);
            a3 += Squares4(x3 + i); b3 += Squares4(x3 + i + 4);
        }
        sums[0] = SumSquaresFrom(x0, n0, i, a0, b0);
        sums[1] = SumSquaresFrom(x1, n1, i, a1, b1);
        sums[2] = SumSquaresFrom(x2, n2, i, a2, b2);
        sums[3] = SumSquaresFrom(x3, n3, i, a3, b3);
    }

    /// <summary>
    /// x[0..n) = 0 with non-temporal 64-byte stores where AVX-512 is present (32-byte ones on <see cref="Use256"/>): an array
    /// far larger than the caches (the 200 MB gradient arena of small) is written straight to memory, without first reading
    /// each line for ownership (which halves the traffic of an ordinary store loop) and without evicting what the caches hold.
    /// </summary>
    public static void ClearStreaming(float* x, long n)
    {
        long i = 0;
        if (Use512)
        {
            for (; i < n && ((nuint)(x + i) & 63) != 0; i++) x[i] = 0;
            var zero = Vector512<float>.Zero;
            for (; i + 16 <= n; i += 16) Avx512F.StoreAlignedNonTemporal(x + i, zero);
            Sse.StoreFence(); // streaming stores are weakly ordered: make them visible before the caller's next job reads
        }
        else if (On256)
        {
            for (; i < n && ((nuint)(x + i) & 31) != 0; i++) x[i] = 0;
            var zero = Vector256<float>.Zero;
            for (; i + 8 <= n; i += 8) Avx.StoreAlignedNonTemporal(x + i, zero);
            Sse.StoreFence();
        }
        if (i < n) System.Runtime.InteropServices.NativeMemory.Clear(x + i, (nuint)((n - i) * sizeof(float)));
    }

    /// <summary>max x[i] (n ≥ 1).</summary>
    public static T Max<T>(T* x, int n) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float))
        {
            float* xf = (float*)x;
            int i = 0;
            float m = float.NegativeInfinity;
            if (n >= 8)
            {
                var vm = Vector256.Load(xf);
                for (i = 8; i + 8 <= n; i += 8) vm = Vector256.Max(vm, Vector256.Load(xf + i));
                for (int j = 0; j < 8; j++) m = MathF.Max(m, vm[j]);
            }
            for (; i < n; i++) m = MathF.Max(m, xf[i]);
            return Unsafe.As<float, T>(ref m);
        }
        T r = x[0];
        for (int i = 1; i < n; i++) if (x[i] > r) r = x[i];
        return r;
    }

    /// <summary>x[i] = exp(x[i] − shift); returns Σ of the results (accumulated in double for float).</summary>
    /// <param name="prefetch">
    /// Optional: a row of the same length brought toward L2 during the exp pass, one 64-byte line per 16 elements (the
    /// head's softmax fetches its next row while this one computes). Prefetches change no result.
    /// </param>
    public static double ExpShiftSum<T>(T* x, T shift, int n, T* prefetch = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            float* xf = (float*)x;
            float sh = Unsafe.As<T, float>(ref shift);
            int i = 0;
            double s = 0;
            if (Use512)
            {
                var vs = Vector512.Create(sh);
                var acc = Vector512<float>.Zero;
                for (; i + 16 <= n; i += 16)
                {
                    if (prefetch != null) Sse.Prefetch1(prefetch + i);
                    var e = Exp512(Vector512.Load(xf + i) - vs);
                    e.Store(xf + i);
                    acc += e;
                }
                s = Vector512.Sum(acc);
            }
            else if (On256) i = ExpShiftSum256(xf, sh, n, (float*)prefetch, out s);
            for (; i < n; i++) { float e = MathF.Exp(xf[i] - sh); xf[i] = e; s += e; }
            return s;
        }
        double r = 0;
        for (int i = 0; i < n; i++) { x[i] = T.Exp(x[i] - shift); r += double.CreateTruncating(x[i]); }
        return r;
    }

    /// <summary>
    /// <see cref="ExpShiftSum{T}"/>'s float loop on <see cref="Use256"/>: the 512-bit loop's first n/16·16 elements, each 16 as
    /// two 8-lane <see cref="Exp256"/> halves (the same bits element for element; the tail stays scalar on both paths),
    /// summed into two accumulators that hold the 512-bit accumulator's lanes 0–7 and 8–15. Returns where the vector part
    /// ends; <paramref name="sum"/> is its Σ. The head's softmax job of small took 4.4× less CPU time per step than with the scalar
    /// expf loop (307 → 70 ms, medians of 3 step profiles on a loaded 2-core Zen 3).
    /// </summary>
    internal static int ExpShiftSum256(float* x, float shift, int n, float* prefetch, out double sum)
    {
        var vs = Vector256.Create(shift);
        var acc0 = Vector256<float>.Zero; var acc1 = Vector256<float>.Zero;
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            if (prefetch != null) Sse.Prefetch1(prefetch + i);
            var e0 = Exp256(Vector256.Load(x + i) - vs);
            var e1 = Exp256(Vector256.Load(x + i + 8) - vs);
            e0.Store(x + i);
            e1.Store(x + i + 8);
            acc0 += e0;
            acc1 += e1;
        }
        sum = Vector256.Sum(acc0 + acc1);
        return i;
    }

    /// <summary>
    /// e^x for 16 floats, ≈1 ulp: n = round(x·log₂e), r = x − n·ln2 (two-part ln2), e^r = 1 + r + r²·P(r) with
    /// Cephes' expf minimax polynomial on |r| ≤ ln2/2, then ·2ⁿ by vscalefps. Inputs are clamped to
    /// [−88, 88.7] (e^−88 ≈ 6e−39 is subnormal: results there flush to 0). Written out because .NET's
    /// Vector512.Exp measured ~4 ns per element on this hardware, no faster than scalar MathF.Exp.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp512(Vector512<float> x)
    {
        x = Vector512.Min(Vector512.Max(x, Vector512.Create(-88f)), Vector512.Create(88.7f));
        var n = Avx512F.RoundScale(x * Vector512.Create(1.44269504088896341f), 0); // nearest
        var r = Avx512F.FusedMultiplyAddNegated(n, Vector512.Create(0.693359375f), x);
        r = Avx512F.FusedMultiplyAddNegated(n, Vector512.Create(-2.12194440e-4f), r);
        var p = Vector512.Create(1.9875691500e-4f);
        p = Avx512F.FusedMultiplyAdd(p, r, Vector512.Create(1.3981999507e-3f));
        p = Avx512F.FusedMultiplyAdd(p, r, Vector512.Create(8.3334519073e-3f));
        p = Avx512F.FusedMultiplyAdd(p, r, Vector512.Create(4.1665795894e-2f));
        p = Avx512F.FusedMultiplyAdd(p, r, Vector512.Create(1.6666665459e-1f));
        p = Avx512F.FusedMultiplyAdd(p, r, Vector512.Create(5.0000001201e-1f));
        p = Avx512F.FusedMultiplyAdd(p * r, r, r + Vector512<float>.One);
        return Avx512F.Scale(p, n);
    }

    /// <summary>
    /// <see cref="Exp512"/> on 8 lanes with AVX2 + FMA, the same operations lane for lane, so the same bits: the same
    /// clamp, round-to-nearest-even of x·log₂e, two-part ln2 reduction and polynomial; vscalefps's p·2ⁿ becomes two exact
    /// power-of-two multiplies, p·2^⌊n/2⌋·2^(n−⌊n/2⌋) (each factor a normal float for n in [−127, 128], so the product
    /// is rounded once, as vscalefps rounds it, subnormal results included).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp256(Vector256<float> x)
    {
        // The clamp as plain vmaxps/vminps (Vector256.Max/Min follow IEEE 754 maximum/minimum, about eight instructions
        // each without AVX-512): x is their second operand, which they return when either is NaN, so NaN still comes out
        // NaN; for every other x the result is the same.
        x = Avx.Min(Vector256.Create(88.7f), Avx.Max(Vector256.Create(-88f), x));
        var n = Avx.RoundToNearestInteger(x * Vector256.Create(1.44269504088896341f));
        var r = Fma.MultiplyAddNegated(n, Vector256.Create(0.693359375f), x);
        r = Fma.MultiplyAddNegated(n, Vector256.Create(-2.12194440e-4f), r);
        var p = Vector256.Create(1.9875691500e-4f);
        p = Fma.MultiplyAdd(p, r, Vector256.Create(1.3981999507e-3f));
        p = Fma.MultiplyAdd(p, r, Vector256.Create(8.3334519073e-3f));
        p = Fma.MultiplyAdd(p, r, Vector256.Create(4.1665795894e-2f));
        p = Fma.MultiplyAdd(p, r, Vector256.Create(1.6666665459e-1f));
        p = Fma.MultiplyAdd(p, r, Vector256.Create(5.0000001201e-1f));
        p = Fma.MultiplyAdd(p * r, r, r + Vector256<float>.One);
        var ni = Avx.ConvertToVector256Int32(n);                  // exact: n is integral
        var h = Avx2.ShiftRightArithmetic(ni, 1);                  // ⌊n/2⌋
        var bias = Vector256.Create(127);
        var s1 = Avx2.ShiftLeftLogical(h + bias, 23).AsSingle();       // 2^⌊n/2⌋
        var s2 = Avx2.ShiftLeftLogical(ni - h + bias, 23).AsSingle();  // 2^(n−⌊n/2⌋)
        return p * s1 * s2;
    }

    /// <summary>tanh on 8 lanes, <see cref="Tanh512"/>'s expression (1 − 2/(exp(2x) + 1)), the same bits lane for lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh256(Vector256<float> x)
    {
        var e = Exp256(Avx.Min(Vector256.Create(88f), x + x)); // vminps, NaN second (see Exp256)
        return Vector256<float>.One - Vector256.Create(2f) / (e + Vector256<float>.One);
    }

    /// <summary>
    /// Lanes 0..rem−1 set (rem &lt; 16): the tail of a row as one masked vector instead of up to 15 scalar
    /// iterations (a scalar expf costs about as much as a whole vector of <see cref="Exp512"/>). Masked loads
    /// and stores never touch memory in the cleared lanes, so reading past the row's end is safe.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> TailMask(int rem) => Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(rem)).AsSingle();

    /// <summary>
    /// Lanes 0..rem−1 set (rem &lt; 8), <see cref="TailMask"/> for 8 lanes: with <see cref="Avx.MaskLoad(float*, Vector256{float})"/>,
    /// which reads nothing in the cleared lanes (they load as 0).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> TailMask256(int rem) => Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(rem)).AsSingle();

    /// <summary>max x[i] (float, n ≥ 1; attention's row maxima).</summary>
    public static float MaxF(float* x, int n)
    {
        if (Use256) return MaxF256(x, n);
        if (!Use512) return Max(x, n);
        var vm = Vector512.Create(float.NegativeInfinity);
        int i = 0;
        for (; i + 16 <= n; i += 16) vm = Vector512.Max(vm, Vector512.Load(x + i));
        if (i < n) vm = Vector512.Max(vm, Avx512F.MaskLoad(x + i, TailMask(n - i), Vector512.Create(float.NegativeInfinity)));
        var h = Vector256.Max(vm.GetLower(), vm.GetUpper());
        var q = Vector128.Max(h.GetLower(), h.GetUpper());
        return MathF.Max(MathF.Max(q[0], q[1]), MathF.Max(q[2], q[3]));
    }

    /// <summary><see cref="MaxF"/> in 8 lanes, the tail as one masked load (lanes past n read as −∞).</summary>
    internal static float MaxF256(float* x, int n)
    {
        var ninf = Vector256.Create(float.NegativeInfinity);
        var vm = ninf;
        int i = 0;
        // vmaxps rather than Vector256.Max (IEEE maximum: about eight instructions without AVX-512). It may drop a NaN
        // from the max, but a NaN score still makes its row's exp sum NaN; and a −0 max instead of +0 changes no
        // x − max. So the softmax is the same.
        for (; i + 8 <= n; i += 8) vm = Avx.Max(vm, Vector256.Load(x + i));
        if (i < n)
        {
            var keep = TailMask256(n - i);
            vm = Avx.Max(vm, Vector256.ConditionalSelect(keep, Avx.MaskLoad(x + i, keep), ninf));
        }
        var q = Vector128.Max(vm.GetLower(), vm.GetUpper());
        return MathF.Max(MathF.Max(q[0], q[1]), MathF.Max(q[2], q[3]));
    }

    /// <summary>
    /// One attention row over whole vectors: x[j] = exp(x[j]·scale − shift) for j in [from, to), x[j] = 0 for
    /// every other j in [0, n); returns Σ of the results. n must be a multiple of 16 (the row's padded width),
    /// so no tail and no separate pass to clear the masked keys. Used when <see cref="Use512"/> or <see cref="Use256"/>.
    /// </summary>
    public static double ExpAffineMasked(float* x, int from, int to, int n, float scale, float shift) =>
        ExpAffineMaskedTo(x, x, from, to, n, scale, shift);   // in place: each vector is read before its store

    /// <summary>
    /// <see cref="ExpAffineMasked"/> into another row: y[j] = exp(x[j]·scale − shift) for j in [from, to), y[j] = 0 for
    /// every other j in [0, n); x is left as it is; returns Σ y. The same vector expression as ExpAffineMasked (and
    /// as <see cref="SoftmaxBackwardRow"/>'s P), so the same bits. Used when <see cref="Use512"/> or <see cref="Use256"/>.
    /// </summary>
    public static double ExpAffineMaskedTo(float* x, float* y, int from, int to, int n, float scale, float shift)
    {
        if (Use256) return ExpAffineMaskedTo256(x, y, from, to, n, scale, shift);
        int j0 = from & ~15;
        new Span<float>(y, j0).Clear();
        var vs = Vector512.Create(scale);
        var vh = Vector512.Create(shift);
        var acc = Vector512<float>.Zero;
        var lane = Vector512<int>.Indices + Vector512.Create(j0);
        var vFrom = Vector512.Create(from);
        var vTo = Vector512.Create(to);
        var step = Vector512.Create(16);
        for (int j = j0; j < n; j += 16, lane += step)
        {
            var keep = (Vector512.GreaterThanOrEqual(lane, vFrom) & Vector512.LessThan(lane, vTo)).AsSingle();
            var e = Vector512.ConditionalSelect(keep, Exp512(Vector512.Load(x + j) * vs - vh), Vector512<float>.Zero);
            e.Store(y + j);
            acc += e;
        }
        return Vector512.Sum(acc);
    }

    /// <summary>
    /// <see cref="ExpAffineMaskedTo"/> in 8 lanes, the 512-bit loop's lane math: each 16-key step as its lower and upper 8
    /// lanes (the same bits element for element), summed in two accumulators that hold the 512-bit accumulator's lanes 0–7
    /// and 8–15 and reduced as the sum of their two Vector256.Sum results. That is meant to be Vector512.Sum's order too, but
    /// it was never observed on AVX-512 hardware, so the tests compare the two paths' sums within 1e-6, not bit for bit. Only the
    /// 16-key steps that straddle <paramref name="from"/> or <paramref name="to"/> build the key mask (a step wholly inside
    /// keeps every lane, which the select leaves as they are); steps wholly at or past <paramref name="to"/> are stored as
    /// zeros without their exp (the select gives +0 there, and adding +0 leaves the positive sum as it is), so the causal
    /// diagonal block's rows skip up to 31 masked keys.
    /// </summary>
    internal static double ExpAffineMaskedTo256(float* x, float* y, int from, int to, int n, float scale, float shift)
    {
        int j0 = from & ~15, jEnd = Math.Min(n, (to + 15) & ~15);
        int inside = Math.Min((from + 15) & ~15, jEnd), insideEnd = Math.Max(inside, to & ~15);
        new Span<float>(y, j0).Clear();
        var vs = Vector256.Create(scale);
        var vh = Vector256.Create(shift);
        Vector256<float> acc0 = Vector256<float>.Zero, acc1 = Vector256<float>.Zero;
        int j = j0;
        for (; j < inside; j += 16) ExpAffineMasked16(x + j, y + j, j, from, to, vs, vh, ref acc0, ref acc1);
        for (; j < insideEnd; j += 16)
        {
            var e0 = Exp256(Vector256.Load(x + j) * vs - vh);
            var e1 = Exp256(Vector256.Load(x + j + 8) * vs - vh);
            e0.Store(y + j);
            e1.Store(y + j + 8);
            acc0 += e0;
            acc1 += e1;
        }
        for (; j < jEnd; j += 16) ExpAffineMasked16(x + j, y + j, j, from, to, vs, vh, ref acc0, ref acc1);
        if (j < n) new Span<float>(y + j, n - j).Clear();
        return Vector256.Sum(acc0) + Vector256.Sum(acc1);
    }

    /// <summary>One 16-key step of <see cref="ExpAffineMaskedTo256"/> that straddles a mask edge: keys j..j+15, those outside [from, to) set to 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void ExpAffineMasked16(float* x, float* y, int j, int from, int to, Vector256<float> vs, Vector256<float> vh, ref Vector256<float> acc0, ref Vector256<float> acc1)
    {
        var lane = Vector256<int>.Indices + Vector256.Create(j);
        var lane1 = lane + Vector256.Create(8);
        var vFrom = Vector256.Create(from);
        var vTo = Vector256.Create(to);
        var keep0 = (Vector256.GreaterThanOrEqual(lane, vFrom) & Vector256.LessThan(lane, vTo)).AsSingle();
        var keep1 = (Vector256.GreaterThanOrEqual(lane1, vFrom) & Vector256.LessThan(lane1, vTo)).AsSingle();
        var e0 = Vector256.ConditionalSelect(keep0, Exp256(Vector256.Load(x) * vs - vh), Vector256<float>.Zero);
        var e1 = Vector256.ConditionalSelect(keep1, Exp256(Vector256.Load(x + 8) * vs - vh), Vector256<float>.Zero);
        e0.Store(y);
        e1.Store(y + 8);
        acc0 += e0;
        acc1 += e1;
    }

    /// <summary>
    /// <see cref="SoftmaxBackwardRow"/> from saved probabilities: dp[j] = p[j]·(dp[j] − d)·scale for j in [from &amp; ~16, n)
    /// (p holds exact zeros at masked keys, as SoftmaxBackwardRow's recomputed P does), dp[j] = 0 below; the same
    /// vector expression, so the same bits. Used when <see cref="Use512"/> or <see cref="Use256"/>.
    /// </summary>
    public static void SoftmaxBackwardRowFromP(float* p, float* dp, int from, int n, float scale, float d)
    {
        if (Use256) { SoftmaxBackwardRowFromP256(p, dp, from, n, scale, d); return; }
        int j0 = from & ~15;
        new Span<float>(dp, j0).Clear();
        var vs = Vector512.Create(scale);
        var vd = Vector512.Create(d);
        for (int j = j0; j < n; j += 16)
            (Vector512.Load(p + j) * (Vector512.Load(dp + j) - vd) * vs).Store(dp + j);
    }

    /// <summary><see cref="SoftmaxBackwardRowFromP"/> in 8 lanes, the same expression per lane.</summary>
    internal static void SoftmaxBackwardRowFromP256(float* p, float* dp, int from, int n, float scale, float d)
    {
        int j0 = from & ~15;
        new Span<float>(dp, j0).Clear();
        var vs = Vector256.Create(scale);
        var vd = Vector256.Create(d);
        for (int j = j0; j < n; j += 8)
            (Vector256.Load(p + j) * (Vector256.Load(dp + j) - vd) * vs).Store(dp + j);
    }

    /// <summary>
    /// One attention backward row in one pass over whole vectors (n a multiple of 16): p[j] = exp(p[j]·scale − lse)
    /// and dp[j] = p[j]·(dp[j] − d)·scale for j in [from, to), both 0 for every other j in [0, n). On entry p holds
    /// the row's raw scores and dp = dO·Vᵀ; on exit P and dS (scaled). Used when <see cref="Use512"/> or <see cref="Use256"/>.
    /// </summary>
    public static void SoftmaxBackwardRow(float* p, float* dp, int from, int to, int n, float scale, float lse, float d)
    {
        if (Use256) { SoftmaxBackwardRow256(p, dp, from, to, n, scale, lse, d); return; }
        int j0 = from & ~15;
        new Span<float>(p, j0).Clear();
        new Span<float>(dp, j0).Clear();
        var vs = Vector512.Create(scale);
        var vl = Vector512.Create(lse);
        var vd = Vector512.Create(d);
        var lane = Vector512<int>.Indices + Vector512.Create(j0);
        var vFrom = Vector512.Create(from);
        var vTo = Vector512.Create(to);
        var step = Vector512.Create(16);
        for (int j = j0; j < n; j += 16, lane += step)
        {
            var keep = (Vector512.GreaterThanOrEqual(lane, vFrom) & Vector512.LessThan(lane, vTo)).AsSingle();
            var e = Vector512.ConditionalSelect(keep, Exp512(Vector512.Load(p + j) * vs - vl), Vector512<float>.Zero);
            e.Store(p + j);
            (e * (Vector512.Load(dp + j) - vd) * vs).Store(dp + j);
        }
    }

    /// <summary>
    /// <see cref="SoftmaxBackwardRow"/> in 8 lanes, the same expressions per lane. Only the vectors that straddle
    /// <paramref name="from"/> or <paramref name="to"/> build the key mask (a vector wholly inside keeps every lane).
    /// Vectors wholly at or past <paramref name="to"/> skip the exp: P there is +0 as the select would give, and dS
    /// keeps the expression 0·(dp − d)·scale, so even its sign of zero is as on the 512-bit path.
    /// </summary>
    internal static void SoftmaxBackwardRow256(float* p, float* dp, int from, int to, int n, float scale, float lse, float d)
    {
        int j0 = from & ~15, jEnd = Math.Min(n, (to + 7) & ~7);
        int inside = Math.Min((from + 7) & ~7, jEnd), insideEnd = Math.Max(inside, to & ~7);
        new Span<float>(p, j0).Clear();
        new Span<float>(dp, j0).Clear();
        var vs = Vector256.Create(scale);
        var vl = Vector256.Create(lse);
        var vd = Vector256.Create(d);
        int j = j0;
        for (; j < inside; j += 8) SoftmaxBackwardMasked8(p + j, dp + j, j, from, to, vs, vl, vd);
        for (; j < insideEnd; j += 8)
        {
            var e = Exp256(Vector256.Load(p + j) * vs - vl);
            e.Store(p + j);
            (e * (Vector256.Load(dp + j) - vd) * vs).Store(dp + j);
        }
        for (; j < jEnd; j += 8) SoftmaxBackwardMasked8(p + j, dp + j, j, from, to, vs, vl, vd);
        var zero = Vector256<float>.Zero;
        for (; j < n; j += 8)
        {
            zero.Store(p + j);
            (zero * (Vector256.Load(dp + j) - vd) * vs).Store(dp + j);
        }
    }

    /// <summary>One 8-key vector of <see cref="SoftmaxBackwardRow256"/> that straddles a mask edge (keys j..j+7).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void SoftmaxBackwardMasked8(float* p, float* dp, int j, int from, int to, Vector256<float> vs, Vector256<float> vl, Vector256<float> vd)
    {
        var lane = Vector256<int>.Indices + Vector256.Create(j);
        var keep = (Vector256.GreaterThanOrEqual(lane, Vector256.Create(from)) & Vector256.LessThan(lane, Vector256.Create(to))).AsSingle();
        var e = Vector256.ConditionalSelect(keep, Exp256(Vector256.Load(p) * vs - vl), Vector256<float>.Zero);
        e.Store(p);
        (e * (Vector256.Load(dp) - vd) * vs).Store(dp);
    }

    // ---- RMSNorm rows (Training/Ops/RmsNorm has the derivation) ----

    /// <summary>y[j] = x[j]·r·(1 + w[j]).</summary>
    public static void ScaleByOnePlus<T>(T* x, T r, T* w, T* y, int n) where T : unmanaged, INumber<T>
    {
        int j = 0;
        if (typeof(T) == typeof(float) && Use512)
        {
            float* xf = (float*)x, wf = (float*)w, yf = (float*)y;
            var vr = Vector512.Create(Unsafe.As<T, float>(ref r));
            for (; j + 16 <= n; j += 16)
                (Vector512.Load(xf + j) * vr * (Vector512<float>.One + Vector512.Load(wf + j))).Store(yf + j);
        }
        else if (typeof(T) == typeof(float) && On256)
        {
            float* xf = (float*)x, wf = (float*)w, yf = (float*)y;
            var vr = Vector256.Create(Unsafe.As<T, float>(ref r));
            for (; j + 8 <= n; j += 8)
                (Vector256.Load(xf + j) * vr * (Vector256<float>.One + Vector256.Load(wf + j))).Store(yf + j);
        }
        for (; j < n; j++) y[j] = x[j] * r * (T.One + w[j]);
    }

    /// <summary>y[j] = res[j] + x[j]·r·(1 + w[j]) (the same operations as <see cref="ScaleByOnePlus{T}"/> then <see cref="Add{T}"/>).</summary>
    public static void ScaleByOnePlusAdd<T>(T* x, T r, T* w, T* res, T* y, int n) where T : unmanaged, INumber<T>
    {
        int j = 0;
        if (typeof(T) == typeof(float) && Use512)
        {
            float* xf = (float*)x, wf = (float*)w, rf = (float*)res, yf = (float*)y;
            var vr = Vector512.Create(Unsafe.As<T, float>(ref r));
            for (; j + 16 <= n; j += 16)
                (Vector512.Load(rf + j) + Vector512.Load(xf + j) * vr * (Vector512<float>.One + Vector512.Load(wf + j))).Store(yf + j);
        }
        else if (typeof(T) == typeof(float) && On256)
        {
            float* xf = (float*)x, wf = (float*)w, rf = (float*)res, yf = (float*)y;
            var vr = Vector256.Create(Unsafe.As<T, float>(ref r));
            for (; j + 8 <= n; j += 8)
                (Vector256.Load(rf + j) + Vector256.Load(xf + j) * vr * (Vector256<float>.One + Vector256.Load(wf + j))).Store(yf + j);
        }
        for (; j < n; j++) y[j] = res[j] + x[j] * r * (T.One + w[j]);
    }

    /// <summary>Returns Σ_j dy_j·(1 + w_j)·x_j·r and adds dy_j·x_j·r to <paramref name="dwPartial"/>[j].</summary>
    public static T NormBackwardDot<T>(T* dy, T* x, T* w, T r, T* dwPartial, int n) where T : unmanaged, INumber<T>
    {
        int j = 0;
        T dot = T.Zero;
        if (typeof(T) == typeof(float) && Use512)
        {
            float* dyf = (float*)dy, xf = (float*)x, wf = (float*)w, pf = (float*)dwPartial;
            var vr = Vector512.Create(Unsafe.As<T, float>(ref r));
            var acc = Vector512<float>.Zero;
            for (; j + 16 <= n; j += 16)
            {
                var g = Vector512.Load(dyf + j);
                var xh = Vector512.Load(xf + j) * vr;
                (Vector512.Load(pf + j) + g * xh).Store(pf + j);
                acc += g * (Vector512<float>.One + Vector512.Load(wf + j)) * xh;
            }
            float d = Vector512.Sum(acc);
            dot = Unsafe.As<float, T>(ref d);
        }
        else if (typeof(T) == typeof(float) && On256)
        {
            float d = NormBackwardDot256((float*)dy, (float*)x, (float*)w, Unsafe.As<T, float>(ref r), (float*)dwPartial, n, out j);
            dot = Unsafe.As<float, T>(ref d);
        }
        for (; j < n; j++)
        {
            T xh = x[j] * r;
            dwPartial[j] += dy[j] * xh;
            dot += dy[j] * (T.One + w[j]) * xh;
        }
        return dot;
    }

    /// <summary>
    /// <see cref="NormBackwardDot{T}"/>'s float loop on <see cref="Use256"/> over the first n/16·16 elements, the 512-bit
    /// loop's expressions on its lanes 0–7 and 8–15 (two accumulators, which also halve the add chain): dwPartial gets the
    /// same bits; the dot's final lane sum may round differently. <paramref name="end"/> is where the vector part ends.
    /// </summary>
    internal static float NormBackwardDot256(float* dy, float* x, float* w, float r, float* dwPartial, int n, out int end)
    {
        var vr = Vector256.Create(r);
        var one = Vector256<float>.One;
        var acc0 = Vector256<float>.Zero; var acc1 = Vector256<float>.Zero;
        int j = 0;
        for (; j + 16 <= n; j += 16)
        {
            var g0 = Vector256.Load(dy + j);
            var g1 = Vector256.Load(dy + j + 8);
            var xh0 = Vector256.Load(x + j) * vr;
            var xh1 = Vector256.Load(x + j + 8) * vr;
            (Vector256.Load(dwPartial + j) + g0 * xh0).Store(dwPartial + j);
            (Vector256.Load(dwPartial + j + 8) + g1 * xh1).Store(dwPartial + j + 8);
            acc0 += g0 * (one + Vector256.Load(w + j)) * xh0;
            acc1 += g1 * (one + Vector256.Load(w + j + 8)) * xh1;
        }
        end = j;
        return Vector256.Sum(acc0 + acc1);
    }

    /// <summary>dx[j] (=|+=) r·(dy_j·(1 + w_j) − x_j·r·m).</summary>
    public static void NormBackwardInput<T>(T* dy, T* x, T* w, T r, T m, T* dx, int n, bool accumulate) where T : unmanaged, INumber<T>
    {
        int j = 0;
        if (typeof(T) == typeof(float) && Use512)
        {
            float* dyf = (float*)dy, xf = (float*)x, wf = (float*)w, dxf = (float*)dx;
            float rf = Unsafe.As<T, float>(ref r), mf = Unsafe.As<T, float>(ref m);
            var vr = Vector512.Create(rf);
            var vrm = Vector512.Create(rf * mf);
            for (; j + 16 <= n; j += 16)
            {
                var v = vr * (Vector512.Load(dyf + j) * (Vector512<float>.One + Vector512.Load(wf + j)) - Vector512.Load(xf + j) * vrm);
                if (accumulate) v += Vector512.Load(dxf + j);
                v.Store(dxf + j);
            }
        }
        else if (typeof(T) == typeof(float) && On256)
        {
            float* dyf = (float*)dy, xf = (float*)x, wf = (float*)w, dxf = (float*)dx;
            float rf = Unsafe.As<T, float>(ref r), mf = Unsafe.As<T, float>(ref m);
            var vr = Vector256.Create(rf);
            var vrm = Vector256.Create(rf * mf);
            for (; j + 8 <= n; j += 8)
            {
                var v = vr * (Vector256.Load(dyf + j) * (Vector256<float>.One + Vector256.Load(wf + j)) - Vector256.Load(xf + j) * vrm);
                if (accumulate) v += Vector256.Load(dxf + j);
                v.Store(dxf + j);
            }
        }
        T rm = r * m;
        for (; j < n; j++)
        {
            T v = r * (dy[j] * (T.One + w[j]) - x[j] * rm);
            dx[j] = accumulate ? dx[j] + v : v;
        }
    }

    // GELU, tanh form (spec §1.8): gelu(z) = ½·z·(1 + tanh(u)), u = √(2/π)·(z + 0.044715·z³).
    // d gelu/dz = ½·(1 + tanh u) + ½·z·(1 − tanh²u)·√(2/π)·(1 + 3·0.044715·z²).
    const double GeluC = 0.7978845608028654; // √(2/π)
    const double GeluA = 0.044715;

    /// <summary>h[i] = gelu(g[i])·u[i].</summary>
    public static void GeGlu<T>(T* g, T* u, T* h, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (typeof(T) == typeof(float) && Use512)
        {
            float* gf = (float*)g, uf = (float*)u, hf = (float*)h;
            for (; i + 16 <= n; i += 16)
            {
                var z = Vector512.Load(gf + i);
                var t = Tanh512(Vector512.Create((float)GeluC) * (z + Vector512.Create((float)GeluA) * z * z * z));
                (Vector512.Create(0.5f) * z * (Vector512<float>.One + t) * Vector512.Load(uf + i)).Store(hf + i);
            }
        }
        else if (typeof(T) == typeof(float) && On256) i = GeGlu256((float*)g, (float*)u, (float*)h, n);
        T c = T.CreateTruncating(GeluC), a = T.CreateTruncating(GeluA), half = T.CreateTruncating(0.5);
        for (; i < n; i++)
        {
            T z = g[i];
            T t = T.Tanh(c * (z + a * z * z * z));
            h[i] = half * z * (T.One + t) * u[i];
        }
    }

    /// <summary>
    /// <see cref="GeGlu{T}"/>'s float loop on <see cref="Use256"/>: the 512-bit loop's expression on 8 lanes with
    /// <see cref="Tanh256"/>, over the same first n/16·16 elements (the tail stays scalar on both paths, as
    /// <see cref="GeGluBackward{T}(T*, T*, T*, T*, T*, int, T*)"/> has it), so the same bits. Returns where the vector part ends.
    /// </summary>
    internal static int GeGlu256(float* g, float* u, float* h, int n)
    {
        var c = Vector256.Create((float)GeluC);
        var a = Vector256.Create((float)GeluA);
        var half = Vector256.Create(0.5f);
        int end = n / 16 * 16;
        for (int i = 0; i < end; i += 8)
        {
            var z = Vector256.Load(g + i);
            var t = Tanh256(c * (z + a * z * z * z));
            (half * z * (Vector256<float>.One + t) * Vector256.Load(u + i)).Store(h + i);
        }
        return end;
    }

    /// <summary>
    /// Backward of h = gelu(g)·u: dg[i] = dh·u·gelu'(g), du[i] = dh·gelu(g). When
    /// <paramref name="h"/> is given it also receives gelu(g)·u, bit-identical to <see cref="GeGlu{T}"/> (same
    /// operations in the same order): the backward computes gelu anyway, so the forward's output needs no
    /// separate recompute pass (or a stored copy per layer) for the down projection's weight gradient.
    /// g, u, du and h are distinct; dh may be dg (in place: each dh is read before its dg is written).
    /// </summary>
    public static void GeGluBackward<T>(T* g, T* u, T* dh, T* dg, T* du, int n, T* h = null) where T : unmanaged, IFloatingPointIeee754<T> =>
        GeGluBackward(g, u, dh, dg, du, h, n, n / 16 * 16);

    /// <summary>
    /// <see cref="GeGluBackward{T}(T*, T*, T*, T*, T*, int, T*)"/> over n elements of which the first
    /// <paramref name="vectorEnd"/> take the 16-lane float path and the rest the scalar one (the two round differently:
    /// their tanh differs). A whole row takes vectors for its first n/16·16 elements; a piece of a row starting at
    /// column j0 (GEMM epilogue blocks) passes that row's n/16·16 − j0, so every element rounds exactly as in the
    /// whole-row call. A vector piece shorter than 16 is computed in a padded 16-lane buffer: lanes are independent.
    /// <paramref name="prefetchRowGu"/> (elements from g, u and du to the same columns of the next row; 0 for none) and
    /// <paramref name="prefetchRowH"/> (the same for h) prefetch that row while this one computes. Never changes results.
    /// </summary>
    public static void GeGluBackward<T>(T* g, T* u, T* dh, T* dg, T* du, T* h, int n, int vectorEnd, long prefetchRowGu = 0, long prefetchRowH = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (typeof(T) == typeof(float) && Use512)
        {
            int vEnd = Math.Clamp(vectorEnd, 0, n);
            float* gf = (float*)g, uf = (float*)u, dhf = (float*)dh, dgf = (float*)dg, duf = (float*)du, hf = (float*)h;
            if (prefetchRowGu != 0)
                for (; i + 16 <= vEnd; i += 16)
                {
                    // One line of each of the next row's g, u, du (and h) per 16 lanes: that row's loads and stores find their lines in L1.
                    Sse.Prefetch0(gf + i + prefetchRowGu); Sse.Prefetch0(uf + i + prefetchRowGu); Sse.Prefetch0(duf + i + prefetchRowGu);
                    if (hf != null) Sse.Prefetch0(hf + i + prefetchRowH);
                    GeGluBackward16(gf + i, uf + i, dhf + i, dgf + i, duf + i, hf == null ? null : hf + i);
                }
            for (; i + 16 <= vEnd; i += 16) GeGluBackward16(gf + i, uf + i, dhf + i, dgf + i, duf + i, hf == null ? null : hf + i);
            if (i < vEnd) { GeGluBackwardPartial16(gf + i, uf + i, dhf + i, dgf + i, duf + i, hf == null ? null : hf + i, vEnd - i); i = vEnd; }
        }
        else if (typeof(T) == typeof(float) && On256)
        {
            i = Math.Clamp(vectorEnd, 0, n);
            GeGluBackward256((float*)g, (float*)u, (float*)dh, (float*)dg, (float*)du, (float*)h, i, prefetchRowGu, prefetchRowH);
        }
        T cc = T.CreateTruncating(GeluC), aa = T.CreateTruncating(GeluA), oneHalf = T.CreateTruncating(0.5), three = T.CreateTruncating(3);
        for (; i < n; i++)
        {
            T z = g[i], d = dh[i];
            T t = T.Tanh(cc * (z + aa * z * z * z));
            T gelu = oneHalf * z * (T.One + t);
            T dgelu = oneHalf * (T.One + t) + oneHalf * z * (T.One - t * t) * cc * (T.One + three * aa * z * z);
            dg[i] = d * u[i] * dgelu;
            du[i] = d * gelu;
            if (h != null) h[i] = gelu * u[i];
        }
    }

    /// <summary>
    /// <see cref="GeGluBackward{T}(T*, T*, T*, T*, T*, T*, int, int, long, long)"/>'s float loop on <see cref="Use256"/>:
    /// elements [0, <paramref name="vectorEnd"/>) in 8-lane pieces of <see cref="GeGluBackward16"/>'s expression
    /// (<see cref="GeGluBackward8"/>), a last piece shorter than 8 through a padded buffer. Lanes are independent, so every
    /// element is the same bits as on the 512-bit path wherever its 16-lane groups fall, and the vectorEnd contract (row
    /// pieces round as the whole row) holds unchanged. Prefetches as there: one line of the next row per 16 lanes.
    /// </summary>
    internal static void GeGluBackward256(float* g, float* u, float* dh, float* dg, float* du, float* h, int vectorEnd,
        long prefetchRowGu = 0, long prefetchRowH = 0)
    {
        int i = 0;
        if (prefetchRowGu != 0)
            for (; i + 16 <= vectorEnd; i += 16)
            {
                Sse.Prefetch0(g + i + prefetchRowGu); Sse.Prefetch0(u + i + prefetchRowGu); Sse.Prefetch0(du + i + prefetchRowGu);
                if (h != null) Sse.Prefetch0(h + i + prefetchRowH);
                GeGluBackward8(g + i, u + i, dh + i, dg + i, du + i, h == null ? null : h + i);
                GeGluBackward8(g + i + 8, u + i + 8, dh + i + 8, dg + i + 8, du + i + 8, h == null ? null : h + i + 8);
            }
        for (; i + 8 <= vectorEnd; i += 8) GeGluBackward8(g + i, u + i, dh + i, dg + i, du + i, h == null ? null : h + i);
        if (i < vectorEnd) GeGluBackwardPartial8(g + i, u + i, dh + i, dg + i, du + i, h == null ? null : h + i, vectorEnd - i);
    }

    /// <summary>The first <paramref name="r"/> &lt; 8 lanes of <see cref="GeGluBackward8"/>, through a zero-padded buffer.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    static void GeGluBackwardPartial8(float* g, float* u, float* dh, float* dg, float* du, float* h, int r)
    {
        float* pg = stackalloc float[8 * 6];
        float* pu = pg + 8, pd = pg + 16, pdg = pg + 24, pdu = pg + 32, ph = pg + 40;
        for (int k = 0; k < 8; k++) { pg[k] = k < r ? g[k] : 0; pu[k] = k < r ? u[k] : 0; pd[k] = k < r ? dh[k] : 0; }
        GeGluBackward8(pg, pu, pd, pdg, pdu, ph);
        for (int k = 0; k < r; k++) { dg[k] = pdg[k]; du[k] = pdu[k]; if (h != null) h[k] = ph[k]; }
    }

    /// <summary><see cref="GeGluBackward16"/> on 8 lanes with <see cref="Tanh256"/>, the same expressions; dh is loaded before dg is stored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void GeGluBackward8(float* g, float* u, float* dh, float* dg, float* du, float* h)
    {
        var c = Vector256.Create((float)GeluC);
        var a = Vector256.Create((float)GeluA);
        var a3 = Vector256.Create((float)(3 * GeluA));
        var half = Vector256.Create(0.5f);
        var one = Vector256<float>.One;
        var z = Vector256.Load(g);
        var z2 = z * z;
        var t = Tanh256(c * (z + a * z * z * z));
        var gelu = half * z * (one + t);
        var dgelu = half * (one + t) + half * z * (one - t * t) * c * (one + a3 * z2);
        var d = Vector256.Load(dh);
        var uv = Vector256.Load(u);
        (d * uv * dgelu).Store(dg);
        (d * gelu).Store(du);
        if (h != null) (gelu * uv).Store(h);
    }

    /// <summary>The first <paramref name="r"/> &lt; 16 lanes of <see cref="GeGluBackward16"/>, through a zero-padded buffer (lanes are independent).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    static void GeGluBackwardPartial16(float* g, float* u, float* dh, float* dg, float* du, float* h, int r)
    {
        float* pg = stackalloc float[16 * 6];
        float* pu = pg + 16, pd = pg + 32, pdg = pg + 48, pdu = pg + 64, ph = pg + 80;
        for (int k = 0; k < 16; k++) { pg[k] = k < r ? g[k] : 0; pu[k] = k < r ? u[k] : 0; pd[k] = k < r ? dh[k] : 0; }
        GeGluBackward16(pg, pu, pd, pdg, pdu, ph);
        for (int k = 0; k < r; k++) { dg[k] = pdg[k]; du[k] = pdu[k]; if (h != null) h[k] = ph[k]; }
    }

    /// <summary>16 lanes of <see cref="GeGluBackward{T}(T*, T*, T*, T*, T*, T*, int, int)"/>; dh is loaded before dg is stored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void GeGluBackward16(float* g, float* u, float* dh, float* dg, float* du, float* h)
    {
        var c = Vector512.Create((float)GeluC);
        var a = Vector512.Create((float)GeluA);
        var a3 = Vector512.Create((float)(3 * GeluA));
        var half = Vector512.Create(0.5f);
        var one = Vector512<float>.One;
        var z = Vector512.Load(g);
        var z2 = z * z;
        var t = Tanh512(c * (z + a * z * z * z)); // GeGlu's expression exactly, so h below matches the forward bit for bit
        var gelu = half * z * (one + t);
        var dgelu = half * (one + t) + half * z * (one - t * t) * c * (one + a3 * z2);
        var d = Vector512.Load(dh);
        var uv = Vector512.Load(u);
        (d * uv * dgelu).Store(dg);
        (d * gelu).Store(du);
        if (h != null) (gelu * uv).Store(h);
    }

    /// <summary>tanh(x) = 1 − 2/(exp(2x) + 1), saturating cleanly at ±1 for large |x|.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Tanh512(Vector512<float> x)
    {
        var e = Exp512(Vector512.Min(x + x, Vector512.Create(88f)));
        return Vector512<float>.One - Vector512.Create(2f) / (e + Vector512<float>.One);
    }
}
