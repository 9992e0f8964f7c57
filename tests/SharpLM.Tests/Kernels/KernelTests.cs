using SharpLM.Kernels;
using SharpLM.Quantization;
using SharpLM.Tensors;

namespace SharpLM.Tests.Kernels;

/// <summary>Every SIMD width against the scalar reference (the widths run in software where not accelerated).</summary>
public unsafe class KernelTests
{
    static float[] RandomFloats(int n, int seed, float scale = 1)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1) * scale).ToArray();
    }

    public static IEnumerable<object[]> Lengths() => new[] { 0, 1, 3, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 100, 255, 256, 257 }.Select(n => new object[] { n });

    [Theory]
    [MemberData(nameof(Lengths))]
    public void DotWidthsAgree(int n)
    {
        var a = RandomFloats(n, n);
        var b = RandomFloats(n, n + 1);
        double exact = 0;
        for (int i = 0; i < n; i++) exact += (double)a[i] * b[i];
        float tol = 1e-5f * (n + 1);
        Assert.Equal(exact, Dot.Scalar(a, b), tol);
        Assert.Equal(exact, Dot.V128(a, b), tol);
        Assert.Equal(exact, Dot.V256(a, b), tol);
        Assert.Equal(exact, Dot.V512(a, b), tol);
        Assert.Equal(exact, Dot.Compute(a, b), tol);
    }

    public static IEnumerable<object[]> RowCases() =>
        from t in new[] { TensorType.F32, TensorType.F16, TensorType.BF16, TensorType.Q8_0, TensorType.Q4_0 }
        from n in new[] { 32, 64, 96, 160, 512 }
        select new object[] { t, n };

    [Theory]
    [MemberData(nameof(RowCases))]
    public void RowDecodeMatchesTheCodec(TensorType type, int n)
    {
        var w = RandomFloats(n, 3, 2);
        var bytes = TensorCodec.Encode(type, w);
        var decoded = new float[n];
        TensorCodec.Decode(type, bytes, decoded);
        var back = new float[n];
        fixed (byte* row = bytes) RowDecode.Decode(type, row, back);
        Assert.Equal(decoded, back);
    }

    [Fact]
    public void HalfWideningIsExactForEveryHalf()
    {
        // All 65536 fp16 bit patterns through the SIMD widening, NaNs compared as NaN.
        for (int start = 0; start < 65536; start += 16)
        {
            var bits = System.Runtime.Intrinsics.Vector512.Create(Enumerable.Range(start, 16).Select(i => (uint)i).ToArray());
            var f = HalfBits.ToSingle(bits);
            for (int i = 0; i < 16; i++)
            {
                float want = (float)BitConverter.UInt16BitsToHalf((ushort)(start + i));
                if (float.IsNaN(want)) Assert.True(float.IsNaN(f[i]));
                else Assert.Equal(BitConverter.SingleToInt32Bits(want), BitConverter.SingleToInt32Bits(f[i]));
            }
        }
    }

    [Theory]
    [InlineData(TensorType.F32, 1)]
    [InlineData(TensorType.BF16, 2)]
    [InlineData(TensorType.Q4_0, 2)]
    [InlineData(TensorType.Q8_0, 2)]
    [InlineData(TensorType.F16, 1)]
    public void MatVecAndMatMatAgreeWithRowDots(TensorType type, int threads)
    {
        int rows = 67, cols = 96, t = 5;
        var w = RandomFloats(rows * cols, 7);
        var bytes = TensorCodec.Encode(type, w);
        var decoded = new float[w.Length];
        TensorCodec.Decode(type, bytes, decoded);
        var x = RandomFloats(t * cols, 8);
        int saved = KernelThreads.Count;
        try
        {
            KernelThreads.Count = threads;
            fixed (byte* p = bytes)
            {
                var m = new WeightMatrix(p, type, rows, cols);
                var y = new float[t * rows];
                MatMul.MatMat(m, x, t, y);
                var yv = new float[rows];
                for (int i = 0; i < t; i++)
                {
                    MatMul.MatVec(m, x.AsSpan(i * cols, cols), yv);
                    for (int r = 0; r < rows; r++)
                    {
                        double exact = 0, tol = 1e-3;
                        for (int j = 0; j < cols; j++) exact += (double)decoded[r * cols + j] * x[i * cols + j];
                        if (type is TensorType.Q4_0 or TensorType.Q8_0)
                        {
                            // Quantized weights multiply activations rounded to Q8_0 blocks (as llama.cpp does):
                            // each activation moves by at most half a step, amax(block)/127/2, so the dot moves by
                            // at most Σ |w_j| · amax(block(j)) / 254 (plus the scale's fp16 rounding, ~2^-11 relative).
                            for (int b = 0; b < cols; b += 32)
                            {
                                double amax = 0, wsum = 0;
                                for (int j = b; j < b + 32; j++)
                                {
                                    amax = Math.Max(amax, Math.Abs(x[i * cols + j]));
                                    wsum += Math.Abs(decoded[r * cols + j]);
                                }
                                tol += wsum * amax * (1.0 / 254 + 1.0 / 1024);
                            }
                        }
                        Assert.Equal(exact, y[i * rows + r], tol);
                        Assert.Equal(exact, yv[r], tol);
                    }
                }
                Assert.Throws<ArgumentException>(() => MatMul.MatVec(m, new float[cols + 1], yv));
            }
        }
        finally
        {
            KernelThreads.Count = saved;
        }
    }

    [Fact]
    public void NormRopeSoftmaxGeluMatchDoubleMath()
    {
        var x = RandomFloats(37, 9, 3);
        var w = RandomFloats(37, 10);
        var y = new float[37];
        RmsNorm.Apply(x, w, 1e-6f, y);
        double ms = x.Sum(v => (double)v * v) / 37;
        for (int i = 0; i < 37; i++) Assert.Equal(x[i] / Math.Sqrt(ms + 1e-6) * w[i], y[i], 1e-5);

        var s = RandomFloats(41, 11, 20);
        var p = (float[])s.Clone();
        Softmax.Apply(p);
        double max = s.Max(), sum = s.Sum(v => Math.Exp(v - max));
        for (int i = 0; i < s.Length; i++) Assert.Equal(Math.Exp(s[i] - max) / sum, p[i], 1e-6);

        var g = RandomFloats(45, 12, 6);
        var u = RandomFloats(45, 13);
        var o = new float[45];
        Gelu.GeGlu(g, u, o);
        for (int i = 0; i < 45; i++)
        {
            double z = g[i], gelu = 0.5 * z * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (z + 0.044715 * z * z * z)));
            Assert.Equal(gelu * u[i], o[i], 1e-5);
        }
        Assert.Equal(0f, Gelu.Scalar(0));
        Assert.Equal(-0f, Gelu.Scalar(-30), 1e-9);

        int d = 16;
        var h = RandomFloats(2 * d, 14);
        var inv = Rope.InverseFrequencies(d, 10000, 1);
        var cos = new float[d / 2];
        var sin = new float[d / 2];
        Rope.Angles(7, inv, cos, sin);
        var r = (float[])h.Clone();
        Rope.Apply(r, cos, sin);
        for (int head = 0; head < 2; head++)
            for (int i = 0; i < d / 2; i++)
            {
                double th = 7 * Math.Pow(10000, -2.0 * i / d);
                double a = h[head * d + i], b = h[head * d + i + d / 2];
                Assert.Equal(a * Math.Cos(th) - b * Math.Sin(th), r[head * d + i], 1e-5);
                Assert.Equal(b * Math.Cos(th) + a * Math.Sin(th), r[head * d + i + d / 2], 1e-5);
            }
    }
}
