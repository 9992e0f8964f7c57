using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SharpLM.Tensors;

namespace SharpLM.Kernels;

/// <summary>
/// Dot product of one stored weight row (any <see cref="TensorType"/>, decoded on the fly) with an f32
/// vector: Σ_j w[j]·x[j] over n columns. Quantized rows sum each 32-block's codes·x first and multiply by
/// the block scale once (ggml's order). Each type has a scalar reference and a 256/512-bit version.
/// </summary>
public static unsafe class RowDot
{
    /// <summary>Σ w[j]·x[j] for the <paramref name="n"/>-column row at <paramref name="row"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Compute(TensorType type, byte* row, float* x, int n) => type switch
    {
        TensorType.F32 => Dot.Compute(new ReadOnlySpan<float>(row, n), new ReadOnlySpan<float>(x, n)),
        TensorType.BF16 => Vector512.IsHardwareAccelerated ? BF16V512(row, x, n) : Vector256.IsHardwareAccelerated ? BF16V256(row, x, n) : BF16Scalar(row, x, n),
        TensorType.F16 => Vector512.IsHardwareAccelerated ? F16V512(row, x, n) : Vector256.IsHardwareAccelerated ? F16V256(row, x, n) : F16Scalar(row, x, n),
        TensorType.Q8_0 => Vector512.IsHardwareAccelerated ? Q8_0V512(row, x, n) : Vector256.IsHardwareAccelerated ? Q8_0V256(row, x, n) : Q8_0Scalar(row, x, n),
        TensorType.Q4_0 => Vector512.IsHardwareAccelerated ? Q4_0V512(row, x, n) : Vector256.IsHardwareAccelerated ? Q4_0V256(row, x, n) : Q4_0Scalar(row, x, n),
        _ => throw new NotSupportedException($"no dot kernel for {type}"),
    };

    // ---------------- BF16: widening is a 16-bit shift ----------------

    internal static float BF16Scalar(byte* row, float* x, int n)
    {
        var w = (ushort*)row;
        float s = 0;
        for (int j = 0; j < n; j++) s += BFloat16.ToSingle(w[j]) * x[j];
        return s;
    }

    internal static float BF16V512(byte* row, float* x, int n)
    {
        var w = (ushort*)row;
        var acc0 = Vector512<float>.Zero;
        var acc1 = Vector512<float>.Zero;
        int j = 0;
        for (; j <= n - 32; j += 32)
        {
            var (lo, hi) = Vector512.Widen(Vector512.Load(w + j));
            acc0 = Vector512.FusedMultiplyAdd(Vector512.ShiftLeft(lo, 16).AsSingle(), Vector512.Load(x + j), acc0);
            acc1 = Vector512.FusedMultiplyAdd(Vector512.ShiftLeft(hi, 16).AsSingle(), Vector512.Load(x + j + 16), acc1);
        }
        float s = Vector512.Sum(acc0 + acc1);
        for (; j < n; j++) s += BFloat16.ToSingle(w[j]) * x[j];
        return s;
    }

    internal static float BF16V256(byte* row, float* x, int n)
    {
        var w = (ushort*)row;
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        int j = 0;
        for (; j <= n - 16; j += 16)
        {
            var (lo, hi) = Vector256.Widen(Vector256.Load(w + j));
            acc0 = Vector256.FusedMultiplyAdd(Vector256.ShiftLeft(lo, 16).AsSingle(), Vector256.Load(x + j), acc0);
            acc1 = Vector256.FusedMultiplyAdd(Vector256.ShiftLeft(hi, 16).AsSingle(), Vector256.Load(x + j + 8), acc1);
        }
        float s = Vector256.Sum(acc0 + acc1);
        for (; j < n; j++) s += BFloat16.ToSingle(w[j]) * x[j];
        return s;
    }

    // ---------------- F16: exact widening by bit placement and a power-of-two multiply ----------------

    internal static float F16Scalar(byte* row, float* x, int n)
    {
        var w = (Half*)row;
        float s = 0;
        for (int j = 0; j < n; j++) s += (float)w[j] * x[j];
        return s;
    }

    /// <summary>
    /// fp16 bits (widened to 32) → f32. Moving exponent+mantissa up 13 bits gives a float 2^112 too small
    /// (bias 127 vs 15); multiplying by 2^112 fixes normals and subnormals exactly. Inf/NaN (exponent 31)
    /// get the f32 all-ones exponent instead.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> HalfToSingle(Vector512<uint> h)
    {
        var em = h & Vector512.Create(0x7FFFu);
        var f = Vector512.ShiftLeft(em, 13).AsSingle() * Vector512.Create(BitConverter.Int32BitsToSingle(0x7780_0000)) /* 2^112 */;
        var special = Vector512.GreaterThanOrEqual(em, Vector512.Create(0x7C00u));
        var infNan = (Vector512.ShiftLeft(em, 13) | Vector512.Create(0x7F80_0000u)).AsSingle();
        f = Vector512.ConditionalSelect(special.AsSingle(), infNan, f);
        return (f.AsUInt32() | Vector512.ShiftLeft(h & Vector512.Create(0x8000u), 16)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> HalfToSingle(Vector256<uint> h)
    {
        var em = h & Vector256.Create(0x7FFFu);
        var f = Vector256.ShiftLeft(em, 13).AsSingle() * Vector256.Create(BitConverter.Int32BitsToSingle(0x7780_0000)) /* 2^112 */;
        var special = Vector256.GreaterThanOrEqual(em, Vector256.Create(0x7C00u));
        var infNan = (Vector256.ShiftLeft(em, 13) | Vector256.Create(0x7F80_0000u)).AsSingle();
        f = Vector256.ConditionalSelect(special.AsSingle(), infNan, f);
        return (f.AsUInt32() | Vector256.ShiftLeft(h & Vector256.Create(0x8000u), 16)).AsSingle();
    }

    internal static float F16V512(byte* row, float* x, int n)
    {
        var w = (ushort*)row;
        var acc0 = Vector512<float>.Zero;
        var acc1 = Vector512<float>.Zero;
        int j = 0;
        for (; j <= n - 32; j += 32)
        {
            var (lo, hi) = Vector512.Widen(Vector512.Load(w + j));
            acc0 = Vector512.FusedMultiplyAdd(HalfToSingle(lo), Vector512.Load(x + j), acc0);
            acc1 = Vector512.FusedMultiplyAdd(HalfToSingle(hi), Vector512.Load(x + j + 16), acc1);
        }
        float s = Vector512.Sum(acc0 + acc1);
        for (; j < n; j++) s += (float)((Half*)row)[j] * x[j];
        return s;
    }

    internal static float F16V256(byte* row, float* x, int n)
    {
        var w = (ushort*)row;
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        int j = 0;
        for (; j <= n - 16; j += 16)
        {
            var (lo, hi) = Vector256.Widen(Vector256.Load(w + j));
            acc0 = Vector256.FusedMultiplyAdd(HalfToSingle(lo), Vector256.Load(x + j), acc0);
            acc1 = Vector256.FusedMultiplyAdd(HalfToSingle(hi), Vector256.Load(x + j + 8), acc1);
        }
        float s = Vector256.Sum(acc0 + acc1);
        for (; j < n; j++) s += (float)((Half*)row)[j] * x[j];
        return s;
    }

    // ---------------- Q8_0: 34-byte blocks, x = q·d ----------------

    internal static float Q8_0Scalar(byte* row, float* x, int n)
    {
        float s = 0;
        for (int b = 0; b < n / 32; b++, row += 34, x += 32)
        {
            float d = (float)*(Half*)row;
            var q = (sbyte*)(row + 2);
            float bs = 0;
            for (int j = 0; j < 32; j++) bs += q[j] * x[j];
            s += bs * d;
        }
        return s;
    }

    internal static float Q8_0V512(byte* row, float* x, int n)
    {
        var acc = Vector512<float>.Zero;
        for (int b = 0; b < n / 32; b++, row += 34, x += 32)
        {
            var d = Vector512.Create((float)*(Half*)row);
            var q16 = Vector512.WidenLower(Vector256.Load((sbyte*)(row + 2)).ToVector512Unsafe()); // 32 × short
            var (q0, q1) = Vector512.Widen(q16);
            var block = Vector512.ConvertToSingle(q0) * Vector512.Load(x);
            block = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(q1), Vector512.Load(x + 16), block);
            acc = Vector512.FusedMultiplyAdd(block, d, acc);
        }
        return Vector512.Sum(acc);
    }

    internal static float Q8_0V256(byte* row, float* x, int n)
    {
        var acc = Vector256<float>.Zero;
        for (int b = 0; b < n / 32; b++, row += 34, x += 32)
        {
            var d = Vector256.Create((float)*(Half*)row);
            var (s0, s1) = Vector256.Widen(Vector256.Load((sbyte*)(row + 2))); // 2 × 16 shorts
            var (q0, q1) = Vector256.Widen(s0);
            var (q2, q3) = Vector256.Widen(s1);
            var block = Vector256.ConvertToSingle(q0) * Vector256.Load(x);
            block = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(q1), Vector256.Load(x + 8), block);
            block = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(q2), Vector256.Load(x + 16), block);
            block = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(q3), Vector256.Load(x + 24), block);
            acc = Vector256.FusedMultiplyAdd(block, d, acc);
        }
        return Vector256.Sum(acc);
    }

    // ---------------- Q4_0: 18-byte blocks, low nibbles = elements 0..15, high = 16..31, x = (q−8)·d ----------------

    internal static float Q4_0Scalar(byte* row, float* x, int n)
    {
        float s = 0;
        for (int b = 0; b < n / 32; b++, row += 18, x += 32)
        {
            float d = (float)*(Half*)row;
            byte* q = row + 2;
            float bs = 0;
            for (int j = 0; j < 16; j++)
                bs += ((q[j] & 0x0F) - 8) * x[j] + ((q[j] >> 4) - 8) * x[j + 16];
            s += bs * d;
        }
        return s;
    }

    internal static float Q4_0V512(byte* row, float* x, int n)
    {
        var acc = Vector512<float>.Zero;
        var eight = Vector512.Create(8);
        for (int b = 0; b < n / 32; b++, row += 18, x += 32)
        {
            var d = Vector512.Create((float)*(Half*)row);
            var v = Vector128.Load(row + 2);
            var lo = Vector512.WidenLower(Vector256.WidenLower((v & Vector128.Create((byte)0x0F)).ToVector256Unsafe()).ToVector512Unsafe());
            var hi = Vector512.WidenLower(Vector256.WidenLower(Vector128.ShiftRightLogical(v, 4).ToVector256Unsafe()).ToVector512Unsafe());
            var block = Vector512.ConvertToSingle(lo.AsInt32() - eight) * Vector512.Load(x);
            block = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(hi.AsInt32() - eight), Vector512.Load(x + 16), block);
            acc = Vector512.FusedMultiplyAdd(block, d, acc);
        }
        return Vector512.Sum(acc);
    }

    internal static float Q4_0V256(byte* row, float* x, int n)
    {
        var acc = Vector256<float>.Zero;
        var eight = Vector256.Create(8);
        for (int b = 0; b < n / 32; b++, row += 18, x += 32)
        {
            var d = Vector256.Create((float)*(Half*)row);
            var v = Vector128.Load(row + 2);
            var (l0, l1) = Vector128.Widen(v & Vector128.Create((byte)0x0F)); // 2 × 8 ushort
            var (h0, h1) = Vector128.Widen(Vector128.ShiftRightLogical(v, 4));
            var block = Vector256.ConvertToSingle(Vector256.WidenLower(l0.ToVector256Unsafe()).AsInt32() - eight) * Vector256.Load(x);
            block = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(Vector256.WidenLower(l1.ToVector256Unsafe()).AsInt32() - eight), Vector256.Load(x + 8), block);
            block = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(Vector256.WidenLower(h0.ToVector256Unsafe()).AsInt32() - eight), Vector256.Load(x + 16), block);
            block = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(Vector256.WidenLower(h1.ToVector256Unsafe()).AsInt32() - eight), Vector256.Load(x + 24), block);
            acc = Vector256.FusedMultiplyAdd(block, d, acc);
        }
        return Vector256.Sum(acc);
    }
}
