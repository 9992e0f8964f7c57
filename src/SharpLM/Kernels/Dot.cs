using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SharpLM.Kernels;

/// <summary>f32 dot product Σ a[i]·b[i] — the inner loop of attention scores and of every F32 matrix row.</summary>
public static class Dot
{
    public static float Compute(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) ThrowLength();
        if (Vector512.IsHardwareAccelerated && a.Length >= 16) return V512(a, b);
        if (Vector256.IsHardwareAccelerated && a.Length >= 8) return V256(a, b);
        if (Vector128.IsHardwareAccelerated && a.Length >= 4) return V128(a, b);
        return Scalar(a, b);
    }

    static void ThrowLength() => throw new ArgumentException("dot product of spans of different lengths");

    /// <summary>The reference: a plain sequential sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Scalar(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        float s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float V512(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        ref float pa = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(a);
        ref float pb = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(b);
        int n = a.Length, i = 0;
        var acc0 = Vector512<float>.Zero;
        var acc1 = Vector512<float>.Zero;
        for (; i <= n - 32; i += 32)
        {
            acc0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref pa, (nuint)i), Vector512.LoadUnsafe(ref pb, (nuint)i), acc0);
            acc1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref pa, (nuint)(i + 16)), Vector512.LoadUnsafe(ref pb, (nuint)(i + 16)), acc1);
        }
        for (; i <= n - 16; i += 16)
            acc0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref pa, (nuint)i), Vector512.LoadUnsafe(ref pb, (nuint)i), acc0);
        float s = Vector512.Sum(acc0 + acc1);
        for (; i < n; i++) s += Unsafe.Add(ref pa, i) * Unsafe.Add(ref pb, i);
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float V256(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        ref float pa = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(a);
        ref float pb = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(b);
        int n = a.Length, i = 0;
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        for (; i <= n - 16; i += 16)
        {
            acc0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref pa, (nuint)i), Vector256.LoadUnsafe(ref pb, (nuint)i), acc0);
            acc1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref pa, (nuint)(i + 8)), Vector256.LoadUnsafe(ref pb, (nuint)(i + 8)), acc1);
        }
        for (; i <= n - 8; i += 8)
            acc0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref pa, (nuint)i), Vector256.LoadUnsafe(ref pb, (nuint)i), acc0);
        float s = Vector256.Sum(acc0 + acc1);
        for (; i < n; i++) s += Unsafe.Add(ref pa, i) * Unsafe.Add(ref pb, i);
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float V128(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        ref float pa = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(a);
        ref float pb = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(b);
        int n = a.Length, i = 0;
        var acc = Vector128<float>.Zero;
        for (; i <= n - 4; i += 4)
            acc = Vector128.FusedMultiplyAdd(Vector128.LoadUnsafe(ref pa, (nuint)i), Vector128.LoadUnsafe(ref pb, (nuint)i), acc);
        float s = Vector128.Sum(acc);
        for (; i < n; i++) s += Unsafe.Add(ref pa, i) * Unsafe.Add(ref pb, i);
        return s;
    }

    /// <summary>y += a·x (the attention's weighted sum of values).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddScaled(ReadOnlySpan<float> x, float a, Span<float> y)
    {
        if (x.Length != y.Length) ThrowLength();
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(a);
            ref float px = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
            ref float py = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(y);
            for (; i <= x.Length - 8; i += 8)
                Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref px, (nuint)i), va, Vector256.LoadUnsafe(ref py, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
        }
        for (; i < x.Length; i++) y[i] += a * x[i];
    }

    /// <summary>y[i] += x[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Add(ReadOnlySpan<float> x, Span<float> y)
    {
        if (x.Length != y.Length) ThrowLength();
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float px = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
            ref float py = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(y);
            for (; i <= x.Length - 8; i += 8)
                (Vector256.LoadUnsafe(ref px, (nuint)i) + Vector256.LoadUnsafe(ref py, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
        }
        for (; i < x.Length; i++) y[i] += x[i];
    }

    /// <summary>y[i] = x[i]·a.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scale(ReadOnlySpan<float> x, float a, Span<float> y)
    {
        if (x.Length != y.Length) ThrowLength();
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(a);
            ref float px = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
            ref float py = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(y);
            for (; i <= x.Length - 8; i += 8)
                (Vector256.LoadUnsafe(ref px, (nuint)i) * va).StoreUnsafe(ref py, (nuint)i);
        }
        for (; i < x.Length; i++) y[i] = x[i] * a;
    }
}
