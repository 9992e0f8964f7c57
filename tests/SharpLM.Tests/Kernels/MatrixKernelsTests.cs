using SharpLM.Kernels;
using SharpLM.Tensors;
using SharpLM.Threading;

namespace SharpLM.Tests.Kernels;

/// <summary>
/// Every kernel level against the scalar path, and the scalar path against a double-precision reference
/// that decodes the weights by the format rules (llama.cpp test-quantize-fns style: odd lengths, every
/// remainder, 1 to 9 tokens so the 4-token tiles and their tails all run).
/// </summary>
public sealed unsafe class MatrixKernelsTests : IDisposable
{
    readonly WorkerPool _pool = new(2);
    public void Dispose() => _pool.Dispose();

    static readonly int[] FloatCols = [1, 2, 3, 5, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257, 1152];
    // Quantized rows are whole blocks of 32: 1–9 blocks cover every tail of the 4-block groups and 2-block pairs;
    // 36 is Gemma 1B's hidden size; 1029 crosses the 1024-block scale segment; 4100 is past the prefill chunk-scale scratch.
    static readonly int[] QuantBlocks = [1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 36, 1029, 4100];

    public static TheoryData<KernelIsa> Levels() => KernelTestData.Levels();

    static double Tolerance(double absSum) => 2e-5 * absSum + 1e-6;

    static (float[] y, byte[] w) Run(TensorType type, int rows, int cols, int tokens, float[] x, KernelIsa isa, WorkerPool pool, int seed)
    {
        var bytes = KernelTestData.RandomMatrix(type, rows, cols, seed);
        var y = new float[tokens * rows];
        fixed (byte* p = bytes)
        {
            var w = new WeightMatrix(p, type, rows, cols);
            MatrixKernels.MatMul(w, x, tokens, y, pool, isa);
        }
        return (y, bytes);
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public void FloatTypesAgreeWithScalar(KernelIsa isa)
    {
        foreach (var type in new[] { TensorType.F32, TensorType.F16, TensorType.BF16 })
            foreach (int cols in FloatCols)
                foreach (int tokens in new[] { 1, 4, 6 })
                {
                    var x = KernelTestData.RandomVector(tokens * cols, cols * 7 + tokens);
                    var (want, bytes) = Run(type, 5, cols, tokens, x, KernelIsa.Scalar, _pool, cols);
                    var (got, _) = Run(type, 5, cols, tokens, x, isa, _pool, cols);
                    for (int t = 0; t < tokens; t++)
                        for (int r = 0; r < 5; r++)
                        {
                            double abs = 0;
                            for (int i = 0; i < cols; i++) abs += Math.Abs(KernelTestData.Weight(type, Row(bytes, type, cols, r), i) * x[t * cols + i]);
                            Assert.True(Math.Abs(got[t * 5 + r] - want[t * 5 + r]) <= Tolerance(abs),
                                $"{type} {isa} cols={cols} tokens={tokens} t={t} r={r}: {got[t * 5 + r]} vs scalar {want[t * 5 + r]}");
                        }
                }
    }

    /// <summary>
    /// Prefill-sized calls, where BF16/F16 at V512 run the widened 32-row column-major panel and its 32-row × ≤12-token
    /// tile: rows below, at and past a panel (and past its first 16-row half), columns with every tail of the 16-wide
    /// transpose and blocks of FloatTile.MaxBlockCols (whole 16-column steps), token counts giving tiles of 8 to 12 tokens and more than one 64-token item.
    /// </summary>
    [Theory]
    [MemberData(nameof(Levels))]
    public void FloatPrefillAgreesWithScalar(KernelIsa isa)
    {
        foreach (var type in new[] { TensorType.BF16, TensorType.F16, TensorType.F32 })
            foreach (int rows in new[] { 1, 6, 16, 19, 32, 35 })
                foreach (int cols in new[] { 1, 15, 16, 33, 257, 2053 }) // 2053: column blocks of 688, 688 and 677 (a 16-column tail of 5)
                    foreach (int tokens in new[] { MatrixKernels.PrefillTileMinTokens, 19, 24, 65, 70 }) // tiles of 8, 10+9, 12+12, 6×(10–11)+1, 6×(10–11)+6
                    {
                        var x = KernelTestData.RandomVector(tokens * cols, cols * 3 + tokens + rows);
                        var (want, bytes) = Run(type, rows, cols, tokens, x, KernelIsa.Scalar, _pool, cols + rows);
                        var (got, _) = Run(type, rows, cols, tokens, x, isa, _pool, cols + rows);
                        for (int t = 0; t < tokens; t++)
                            for (int r = 0; r < rows; r++)
                            {
                                double abs = 0;
                                for (int i = 0; i < cols; i++) abs += Math.Abs(KernelTestData.Weight(type, Row(bytes, type, cols, r), i) * x[t * cols + i]);
                                Assert.True(Math.Abs(got[t * rows + r] - want[t * rows + r]) <= Tolerance(abs),
                                    $"{type} {isa} rows={rows} cols={cols} tokens={tokens} t={t} r={r}: {got[t * rows + r]} vs scalar {want[t * rows + r]}");
                            }
                    }
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public void QuantizedTypesAgreeWithScalar(KernelIsa isa)
    {
        foreach (var type in new[] { TensorType.Q4_0, TensorType.Q8_0 })
            foreach (int nb in QuantBlocks)
                foreach (int tokens in nb > 100 ? new[] { 1, 5 } : new[] { 1, 2, 3, 4, 5, 9 })
                {
                    int cols = nb * 32, rows = nb > 100 ? 3 : 7;
                    var x = KernelTestData.RandomVector(tokens * cols, nb * 13 + tokens, 3f);
                    var (want, _) = Run(type, rows, cols, tokens, x, KernelIsa.Scalar, _pool, nb);
                    var (got, _) = Run(type, rows, cols, tokens, x, isa, _pool, nb);
                    for (int i = 0; i < want.Length; i++)
                        Assert.True(Math.Abs(got[i] - want[i]) <= 1e-4 * Math.Abs(want[i]) + 1e-3,
                            $"{type} {isa} blocks={nb} tokens={tokens} i={i}: {got[i]} vs scalar {want[i]}");
                }
    }

    /// <summary>
    /// Prefill-sized calls (at least <see cref="MatrixKernels.PrefillTileMinTokens"/> tokens), where Q4_0 at V512 runs
    /// the repacked 16-row tile: row counts below, at and past one panel and past two (padded lanes), block counts
    /// with and without remainders, token counts with every tail of the 4-token step and more than one 64-token block.
    /// </summary>
    [Theory]
    [MemberData(nameof(Levels))]
    public void QuantizedPrefillAgreesWithScalar(KernelIsa isa)
    {
        foreach (var type in new[] { TensorType.Q4_0, TensorType.Q8_0 })
            foreach (int rows in new[] { 1, 7, 16, 17, 33 })
                foreach (int nb in new[] { 1, 3, 9, 36 })
                    foreach (int tokens in new[] { MatrixKernels.PrefillTileMinTokens, 19, 70 })
                    {
                        int cols = nb * 32;
                        var x = KernelTestData.RandomVector(tokens * cols, nb * 31 + tokens + rows, 3f);
                        var (want, _) = Run(type, rows, cols, tokens, x, KernelIsa.Scalar, _pool, nb + rows);
                        var (got, _) = Run(type, rows, cols, tokens, x, isa, _pool, nb + rows);
                        for (int i = 0; i < want.Length; i++)
                            Assert.True(Math.Abs(got[i] - want[i]) <= 1e-4 * Math.Abs(want[i]) + 1e-3,
                                $"{type} {isa} rows={rows} blocks={nb} tokens={tokens} i={i}: {got[i]} vs scalar {want[i]}");
                    }
    }

    /// <summary>
    /// F16 weights of every kind — ±0, subnormals, the largest finite, ±inf, NaN — at every level, one token and
    /// four (both loops of the float kernel), over lengths with and without a vector remainder. The vector paths
    /// widen f16 by a finite-only shortcut and must recompute rows holding inf/NaN.
    /// </summary>
    [Theory]
    [MemberData(nameof(Levels))]
    public void F16WeightsOfEveryKindAgreeWithScalar(KernelIsa isa)
    {
        Half[] kinds = [(Half)0, -(Half)0, Half.Epsilon, -(Half)6e-7, (Half)(-1.5e-5), Half.MaxValue, Half.MinValue, Half.PositiveInfinity, Half.NegativeInfinity, Half.NaN];
        foreach (int cols in new[] { 17, 64, 100, 1152 })
            foreach (int tokens in new[] { 1, 4, MatrixKernels.PrefillTileMinTokens + 1 })
            {
                int rows = 6;
                var bytes = KernelTestData.RandomMatrix(TensorType.F16, rows, cols, cols + 1);
                // Row r ≤ 3 gets kinds at stride 7 from r; rows 4, 5 only the finite ones.
                for (int r = 0; r < rows; r++)
                    for (int i = r; i < cols; i += 7)
                    {
                        var h = kinds[(r + i) % kinds.Length];
                        if (r >= 4 && !Half.IsFinite(h)) continue;
                        BitConverter.TryWriteBytes(bytes.AsSpan(2 * (r * cols + i)), h);
                    }
                var x = KernelTestData.RandomVector(tokens * cols, cols + tokens, 1f);
                var want = new float[tokens * rows];
                var got = new float[tokens * rows];
                fixed (byte* p = bytes)
                {
                    var w = new WeightMatrix(p, TensorType.F16, rows, cols);
                    MatrixKernels.MatMul(w, x, tokens, want, _pool, KernelIsa.Scalar);
                    MatrixKernels.MatMul(w, x, tokens, got, _pool, isa);
                }
                for (int i = 0; i < want.Length; i++)
                {
                    string what = $"F16 {isa} cols={cols} tokens={tokens} i={i}: {got[i]} vs scalar {want[i]}";
                    int t = i / rows, r = i % rows;
                    double abs = 0;
                    for (int c = 0; c < cols; c++) abs += Math.Abs(KernelTestData.Weight(TensorType.F16, Row(bytes, TensorType.F16, cols, r), c) * x[t * cols + c]);
                    if (!float.IsFinite(want[i])) Assert.False(float.IsFinite(got[i]), what);
                    else Assert.True(Math.Abs(got[i] - want[i]) <= Tolerance(abs), what);
                }
                Assert.Contains(want, v => !float.IsFinite(v));
                Assert.Contains(want, float.IsFinite);
            }
    }

    /// <summary>
    /// F16 decode (one token) multiplies raw f16 patterns by activations pre-scaled by 2¹¹² (FloatDot.F16PreScaledRow)
    /// when every |x| is below 2¹⁶: the products are the same real numbers, so the results must have the same bits
    /// as the ordinary F16 kernel at the same level, for weights of every kind (subnormal, ±0, largest finite,
    /// inf/NaN rows recomputed) and activations from subnormal to just under 2¹⁶. Four tokens (prefill) take the
    /// ordinary kernel and must give the same bits too. At or over 2¹⁶ (or NaN) the call keeps the ordinary kernel,
    /// which must still agree with the scalar path.
    /// </summary>
    [Theory]
    [MemberData(nameof(Levels))]
    public void F16PreScaledActivationsGiveTheSameBits(KernelIsa isa)
    {
        Half[] kinds = [(Half)0, -(Half)0, Half.Epsilon, -(Half)6e-7, (Half)(-1.5e-5), Half.MaxValue, Half.MinValue, Half.PositiveInfinity, Half.NaN];
        float[] xKinds = [1e-40f, -3e-39f, 65535.996f, -65000f, 0f, 1e-20f];
        float** xs = stackalloc float*[4];
        float* out4 = stackalloc float[4];
        foreach (int cols in new[] { 17, 64, 100, 1152 })
            foreach (int tokens in new[] { 1, 4 })
            {
                int rows = 5;
                var bytes = KernelTestData.RandomMatrix(TensorType.F16, rows, cols, cols + 3);
                for (int r = 0; r < rows; r++)
                    for (int i = r; i < cols; i += 5)
                    {
                        var h = kinds[(r + i) % kinds.Length];
                        if (r >= 2 && !Half.IsFinite(h)) continue; // rows 0, 1 may hold inf/NaN, rows 2–4 stay finite
                        BitConverter.TryWriteBytes(bytes.AsSpan(2 * (r * cols + i)), h);
                    }
                var x = KernelTestData.RandomVector(tokens * cols, cols + tokens + 7, 100f);
                for (int i = 3; i < x.Length; i += 11) x[i] = xKinds[i % xKinds.Length];
                var got = new float[tokens * rows];
                var want = new float[tokens * rows];
                fixed (byte* p = bytes)
                fixed (float* px = x)
                {
                    var w = new WeightMatrix(p, TensorType.F16, rows, cols);
                    MatrixKernels.MatMul(w, x, tokens, got, _pool, isa);
                    for (int k = 0; k < tokens; k++) xs[k] = px + k * cols;
                    for (int r = 0; r < rows; r++)
                    {
                        FloatDot.Dot(isa, TensorType.F16, p + 2L * r * cols, cols, xs, tokens, out4);
                        for (int k = 0; k < tokens; k++) want[k * rows + r] = out4[k];
                    }
                }
                for (int i = 0; i < want.Length; i++)
                {
                    string what = $"F16 {isa} cols={cols} tokens={tokens} i={i}: {got[i]} vs ordinary kernel {want[i]}";
                    if (float.IsNaN(want[i])) Assert.True(float.IsNaN(got[i]), what);
                    else Assert.Equal(BitConverter.SingleToInt32Bits(want[i]), BitConverter.SingleToInt32Bits(got[i]));
                }
                Assert.Contains(want, v => !float.IsFinite(v));
                Assert.Contains(want, float.IsFinite);

                // An activation at 2¹⁶ (the scaled value could overflow) or NaN: the ordinary kernel, still the scalar's results.
                foreach (float big in new[] { 65536f, -1e30f, float.NaN })
                {
                    var xb = (float[])x.Clone();
                    xb[x.Length / 2] = big;
                    var scalar = new float[tokens * rows];
                    var vec = new float[tokens * rows];
                    fixed (byte* p = bytes)
                    {
                        var w = new WeightMatrix(p, TensorType.F16, rows, cols);
                        MatrixKernels.MatMul(w, xb, tokens, scalar, _pool, KernelIsa.Scalar);
                        MatrixKernels.MatMul(w, xb, tokens, vec, _pool, isa);
                    }
                    for (int i = 0; i < scalar.Length; i++)
                    {
                        string what = $"F16 {isa} x={big} cols={cols} tokens={tokens} i={i}: {vec[i]} vs scalar {scalar[i]}";
                        int t = i / rows, r = i % rows;
                        double abs = 0;
                        for (int c = 0; c < cols; c++) abs += Math.Abs(KernelTestData.Weight(TensorType.F16, Row(bytes, TensorType.F16, cols, r), c) * xb[t * cols + c]);
                        if (!float.IsFinite(scalar[i]) || !double.IsFinite(abs)) Assert.Equal(float.IsFinite(scalar[i]), float.IsFinite(vec[i]));
                        else Assert.True(Math.Abs(vec[i] - scalar[i]) <= Tolerance(abs), what);
                    }
                }
            }
    }

    /// <summary>
    /// Block scales of every fp16 kind — negative, zero, subnormal, the largest finite, ±inf, NaN — at every
    /// level, one token (the decode kernels read the scales from the block bytes themselves), a few tokens and a prefill-sized call (the Q4_0 tile packs the scales).
    /// Rows 0–4 get one special scale each, rows 5–8 stay finite, so both the recompute of a row pair with a
    /// non-finite scale and its finite neighbours are checked; finite sums must agree, non-finite ones stay non-finite.
    /// </summary>
    [Theory]
    [MemberData(nameof(Levels))]
    public void QuantizedScalesOfEveryKindAgreeWithScalar(KernelIsa isa)
    {
        Half[] kinds = [(Half)(-0.0123), (Half)0, Half.Epsilon, (Half)(-3e-6), Half.MaxValue, Half.PositiveInfinity, Half.NegativeInfinity, Half.NaN];
        foreach (var type in new[] { TensorType.Q4_0, TensorType.Q8_0 })
            foreach (int nb in new[] { 4, 9, 36 })
                foreach (int tokens in new[] { 1, 3, MatrixKernels.PrefillTileMinTokens + 1 })
                {
                    int cols = nb * 32, rows = 9, bb = type.BlockBytes();
                    var bytes = KernelTestData.RandomMatrix(type, rows, cols, nb + 100);
                    for (int r = 0; r < 5; r++)
                        for (int b = r % 3; b < nb; b += 3)
                            BitConverter.TryWriteBytes(bytes.AsSpan((int)(r * type.RowBytes(cols) + b * bb)), kinds[(r * 3 + b) % kinds.Length]);
                    var x = KernelTestData.RandomVector(tokens * cols, nb * 5 + tokens, 2f);
                    var want = new float[tokens * rows];
                    var got = new float[tokens * rows];
                    fixed (byte* p = bytes)
                    {
                        var w = new WeightMatrix(p, type, rows, cols);
                        MatrixKernels.MatMul(w, x, tokens, want, _pool, KernelIsa.Scalar);
                        MatrixKernels.MatMul(w, x, tokens, got, _pool, isa);
                    }
                    for (int i = 0; i < want.Length; i++)
                    {
                        string what = $"{type} {isa} blocks={nb} tokens={tokens} i={i}: {got[i]} vs scalar {want[i]}";
                        // A non-finite scale gives a non-finite sum; whether inf or NaN depends on how the lanes split
                        // the block (inf · a zero partial sum is NaN), as it does between llama.cpp's own paths.
                        if (!float.IsFinite(want[i])) Assert.False(float.IsFinite(got[i]), what);
                        else Assert.True(Math.Abs(got[i] - want[i]) <= 1e-4 * Math.Abs(want[i]) + 1e-3, what);
                    }
                    Assert.Contains(want, v => float.IsNaN(v) || float.IsInfinity(v)); // the specials did reach the sums
                }
    }

    /// <summary>The scalar path itself, against Σ w·x decoded in double: exact for float types up to rounding;
    /// for quantized types x is the Q8 activation (d·q) the kernel multiplies with.</summary>
    [Fact]
    public void ScalarPathMatchesFormatRules()
    {
        foreach (var type in KernelTestData.AllTypes)
        {
            int cols = type.BlockSize() == 32 ? 33 * 32 : 257, rows = 4, tokens = 2;
            var x = KernelTestData.RandomVector(tokens * cols, 99, 2f);
            var (y, bytes) = Run(type, rows, cols, tokens, x, KernelIsa.Scalar, _pool, 5);
            double[] xs = x.Select(v => (double)v).ToArray();
            if (type.BlockSize() == 32)
            {
                var acts = new QuantizedActivations();
                acts.Quantize(x, tokens, cols);
                for (int t = 0; t < tokens; t++)
                {
                    var tok = acts.Token(t);
                    for (int i = 0; i < cols; i++) xs[t * cols + i] = (double)tok.Scale[i / 32] * tok.Natural[i];
                }
            }
            for (int t = 0; t < tokens; t++)
                for (int r = 0; r < rows; r++)
                {
                    double want = 0, abs = 0;
                    for (int i = 0; i < cols; i++)
                    {
                        double p = KernelTestData.Weight(type, Row(bytes, type, cols, r), i) * xs[t * cols + i];
                        want += p; abs += Math.Abs(p);
                    }
                    Assert.True(Math.Abs(y[t * rows + r] - want) <= Tolerance(abs), $"{type} t={t} r={r}: {y[t * rows + r]} vs {want}");
                }
        }
    }

    /// <summary>
    /// Decode work items: even row counts (row-pair kernels), every row covered, at most <see cref="MatrixKernels.DecodeItemBytes"/>
    /// plus a row pair, and — when the rows divide evenly — a count that is a multiple of the threads, at least 4 per thread.
    /// </summary>
    [Theory]
    [InlineData(6912, 1224, 2)]      // 1B gate/up, Q8_0
    [InlineData(1152, 7344, 2)]      // 1B down, Q8_0
    [InlineData(262144, 1224, 2)]    // 1B head, Q8_0
    [InlineData(256, 1224, 2)]       // 1B K/V
    [InlineData(7, 1224, 3)]
    [InlineData(2, 16, 1)]
    [InlineData(1000, 5_000_000, 2)] // rows larger than an item
    public void DecodeItemsAreEqualEvenAndCoverTheMatrix(int rows, long rowBytes, int threads)
    {
        int chunk = MatrixKernels.DecodeChunkRows(rows, rowBytes, threads);
        Assert.True(chunk >= 2 && chunk % 2 == 0, $"chunk {chunk}");
        long items = (rows + chunk - 1) / chunk;
        Assert.True(items * chunk >= rows);
        Assert.True(chunk * rowBytes <= MatrixKernels.DecodeItemBytes + 2 * rowBytes || chunk == 2, $"chunk {chunk} rows of {rowBytes} B");
        if (rows >= 8 * threads && rows % (chunk * threads) == 0) Assert.True(items % threads == 0 && items >= 4 * threads, $"{items} items");
    }

    [Fact]
    public void OneThreadAndTwoThreadsGiveTheSameBits()
    {
        using var one = new WorkerPool(1);
        foreach (var type in KernelTestData.AllTypes)
        {
            int cols = 1152, rows = 300, tokens = 7;
            var x = KernelTestData.RandomVector(tokens * cols, 3);
            var (a, _) = Run(type, rows, cols, tokens, x, KernelIsaInfo.Default, one, 11);
            var (b, _) = Run(type, rows, cols, tokens, x, KernelIsaInfo.Default, _pool, 11);
            Assert.Equal(a, b);
        }
    }

    /// <summary>
    /// Q4_0/Q8_0: a token's outputs have the same bits whether it is multiplied alone (the decode row-pair
    /// kernels) or inside a tile of 2–9 tokens (prefill, batched decode), at every level — batched decode
    /// (Gemma3Batch) promises results identical to one session per sequence.
    /// </summary>
    [Theory]
    [MemberData(nameof(Levels))]
    public void QuantizedResultsDoNotDependOnTheTokenCount(KernelIsa isa)
    {
        // Amplitude 3e7 puts the activation scales d_x above 2¹⁶, where one-token decode keeps the 2¹¹² on the weight
        // scales instead of folding it into d_x (QuantDecodeRows.ScaleUp): both must match the 4-token kernels.
        foreach (float amplitude in new[] { 2f, 3e7f })
        foreach (var type in new[] { TensorType.Q4_0, TensorType.Q8_0 })
            foreach (int nb in new[] { 3, 4, 9, 36 })
            {
                int cols = nb * 32, rows = 7, tokens = 9;
                var bytes = KernelTestData.RandomMatrix(type, rows, cols, nb + 7);
                var x = KernelTestData.RandomVector(tokens * cols, nb + 8, amplitude);
                var all = new float[tokens * rows];
                var one = new float[rows];
                fixed (byte* p = bytes)
                {
                    var w = new WeightMatrix(p, type, rows, cols);
                    MatrixKernels.MatMul(w, x, tokens, all, _pool, isa);
                    for (int t = 0; t < tokens; t++)
                    {
                        MatrixKernels.MatMul(w, x.AsSpan(t * cols, cols), 1, one, _pool, isa);
                        Assert.Equal(all.AsSpan(t * rows, rows).ToArray(), one);
                    }
                }
            }
    }

    [Fact]
    public void MatVecEqualsOneTokenMatMul()
    {
        var bytes = KernelTestData.RandomMatrix(TensorType.Q4_0, 70, 640, 1);
        var x = KernelTestData.RandomVector(640, 2);
        var y1 = new float[70];
        var y2 = new float[70];
        fixed (byte* p = bytes)
        {
            var w = new WeightMatrix(p, TensorType.Q4_0, 70, 640);
            MatrixKernels.MatVec(w, x, y1, _pool);
            MatrixKernels.MatMul(w, x, 1, y2, _pool);
        }
        Assert.Equal(y1, y2);
        Assert.Contains(y1, v => v != 0);
    }

    [Fact]
    public void RejectsShortBuffers()
    {
        var bytes = new byte[4 * 64 * 4];
        fixed (byte* p = bytes)
        {
            var w = new WeightMatrix(p, TensorType.F32, 4, 64);
            Assert.Throws<ArgumentException>(() => MatrixKernels.MatMul(w, new float[64 * 2 - 1], 2, new float[8], _pool));
            Assert.Throws<ArgumentException>(() => MatrixKernels.MatMul(w, new float[64 * 2], 2, new float[7], _pool));
            Assert.Throws<ArgumentOutOfRangeException>(() => MatrixKernels.MatMul(w, new float[64], -1, new float[8], _pool));
        }
    }

    [Fact]
    public void Q8BlockOfMinus128IsExact()
    {
        // Every weight −128 and every activation at the extreme: |w| = 128 meets |q| = 127, the largest
        // pair sum the 16-bit multiply-add must hold without saturating (2·128·127 = 32512).
        var bytes = new byte[34 * 2];
        for (int b = 0; b < 2; b++)
        {
            BitConverter.TryWriteBytes(bytes.AsSpan(b * 34), (Half)1);
            bytes.AsSpan(b * 34 + 2, 32).Fill(0x80);
        }
        var x = Enumerable.Repeat(-1f, 64).ToArray();
        foreach (var isa in KernelIsaInfo.Supported)
        {
            var y = new float[1];
            fixed (byte* p = bytes) MatrixKernels.MatMul(new WeightMatrix(p, TensorType.Q8_0, 1, 64), x, 1, y, _pool, isa);
            // x quantizes to q = −127 with d = 1/127, so each product is (−128)·(−127)·(1/127) = 128.
            Assert.Equal(64 * 128f, y[0], 0.01f);
        }
    }

    /// <summary>
    /// The one-token F16 loop's slow step (FloatDot.Rescaled, taken when 64 weights hold an f16 subnormal) must give
    /// w·2⁻¹⁰² exactly for every finite f16 — from the loader's pattern w·2⁻¹¹², without a denormal — and
    /// HasSubnormal must flag exactly the 64-weight steps holding a subnormal, over all 65,536 patterns.
    /// </summary>
    [Fact]
    public void F16SubnormalStepIsExactForEveryHalf()
    {
        if (!System.Runtime.Intrinsics.X86.Avx512F.IsSupported) return; // the V512 path only (CI's AVX-512-off rerun has no such step)
        var halves = new ushort[65536];
        for (int i = 0; i < halves.Length; i++) halves[i] = (ushort)i;
        fixed (ushort* h = halves)
            for (int start = 0; start < 65536; start += 64)
            {
                for (int v = 0; v < 4; v++)
                {
                    var w = FloatDot.Rescaled(FloatDot.F16PreScaledRow.Load512((byte*)h, start + 16 * v));
                    for (int l = 0; l < 16; l++)
                    {
                        var half = BitConverter.UInt16BitsToHalf((ushort)(start + 16 * v + l));
                        if (!Half.IsFinite(half)) continue;
                        float want = (float)((double)half * Math.Pow(2, -102));
                        Assert.True(BitConverter.SingleToInt32Bits(want) == BitConverter.SingleToInt32Bits(w[l]), $"0x{start + 16 * v + l:X4}: {w[l]} vs {want}");
                    }
                }
                bool any = false;
                for (int i = start; i < start + 64; i++) any |= Half.IsSubnormal(BitConverter.UInt16BitsToHalf((ushort)i));
                var h0 = System.Runtime.Intrinsics.Vector512.Load(h + start);
                var h1 = System.Runtime.Intrinsics.Vector512.Load(h + start + 32);
                Assert.Equal(any, FloatDot.HasSubnormal(h0, h1));
            }
    }

    /// <summary>
    /// The one-token F16 loop checks for inf/NaN with an OR of the stored halves; finite weights can set all five
    /// exponent bits of that OR (2.0 = 10000 and 1.5 = 01111 in one lane), which must not send the row to the scalar
    /// recompute, while a real inf must.
    /// </summary>
    [Theory]
    [MemberData(nameof(Levels))]
    public void F16OrCheckRecomputesOnlyRowsWithInfOrNaN(KernelIsa isa)
    {
        const int cols = 1152;
        var x = KernelTestData.RandomVector(cols, 5, 1f);
        var bytes = KernelTestData.RandomMatrix(TensorType.F16, 2, cols, 9);
        // Row 0: 2.0 at every 64th weight, 1.5 32 weights later: the same 16-bit lane of the OR, exponents 10000 | 01111.
        for (int i = 0; i < cols; i += 64)
        {
            BitConverter.TryWriteBytes(bytes.AsSpan(2 * i), (Half)2.0f);
            BitConverter.TryWriteBytes(bytes.AsSpan(2 * (i + 32)), (Half)1.5f);
        }
        BitConverter.TryWriteBytes(bytes.AsSpan(2 * (cols + 700)), Half.PositiveInfinity); // row 1: a real inf
        var y = new float[2];
        using var one = new WorkerPool(1); // the counter is per thread: run on this one
        fixed (byte* p = bytes)
        {
            var w = new WeightMatrix(p, TensorType.F16, 1, cols);
            int before = FloatDot.ExactRecomputes;
            MatrixKernels.MatMul(w, x, 1, y, one, isa);
            Assert.Equal(before, FloatDot.ExactRecomputes);
            Assert.True(float.IsFinite(y[0]));
            var both = new WeightMatrix(p, TensorType.F16, 2, cols);
            MatrixKernels.MatMul(both, x, 1, y, one, isa);
            Assert.False(float.IsFinite(y[1]));
            if (isa >= KernelIsa.V256) Assert.Equal(before + 1, FloatDot.ExactRecomputes);
        }
    }

    static ReadOnlySpan<byte> Row(byte[] bytes, TensorType type, int cols, int r)
    {
        long rb = type.RowBytes(cols);
        return bytes.AsSpan((int)(r * rb), (int)rb);
    }
}
