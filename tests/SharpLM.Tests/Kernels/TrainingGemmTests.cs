using SharpLM.Kernels.Training;

namespace SharpLM.Tests.Kernels;

/// <summary>The training GEMM against a plain triple loop in double, on every micro-kernel path and odd shapes.</summary>
public unsafe class TrainingGemmTests
{
    static double[] Reference(int M, int N, int K, float[] a, bool ta, float[] b, bool tb)
    {
        var c = new double[M * N];
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++)
            {
                double s = 0;
                for (int k = 0; k < K; k++)
                    s += (double)(ta ? a[k * M + i] : a[i * K + k]) * (tb ? b[j * K + k] : b[k * N + j]);
                c[i * N + j] = s;
            }
        return c;
    }

    static float[] Random(int n, int seed)
    {
        var r = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(r.NextDouble() * 2 - 1);
        return x;
    }

    public static TheoryData<string, int, int, int, bool, bool, bool> Cases()
    {
        var d = new TheoryData<string, int, int, int, bool, bool, bool>();
        var shapes = new (int M, int N, int K)[] { (1, 1, 1), (7, 33, 5), (17, 31, 200), (100, 65, 193), (9, 530, 17), (200, 40, 400), (50, 64, 300), (13, 96, 600), (401, 600, 40), (800, 70, 300) }; // the last two: several MC-row tiles, evened out
        foreach (var path in new[] { "Scalar", "Float256", "Float512" })
            foreach (var (M, N, K) in shapes)
                foreach (var (ta, tb) in new[] { (false, false), (false, true), (true, false) })
                    d.Add(path, M, N, K, ta, tb, M % 2 == 1);
        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_reference(string path, int M, int N, int K, bool ta, bool tb, bool accumulate)
    {
        var p = Enum.Parse<Gemm.Path>(path);
        if (p == Gemm.Path.Float512 && !System.Runtime.Intrinsics.X86.Avx512F.IsSupported) return; // needs the ISA to execute
        if (p == Gemm.Path.Float256 && !System.Runtime.Intrinsics.X86.Fma.IsSupported) return;
        var a = Random(M * K, 1);
        var b = Random(K * N, 2);
        var c = Random(M * N, 3);
        var expect = Reference(M, N, K, a, ta, b, tb);
        if (accumulate) for (int i = 0; i < expect.Length; i++) expect[i] += c[i];
        using var w = new Workers(2);
        WithGemmKnobs(() => Gemm.ForcedPath = p, () =>
        {
            fixed (float* pa = a, pb = b, pc = c)
                Gemm.Multiply(w, M, N, K, pa, ta ? M : K, ta, pb, tb ? K : N, tb, pc, N, accumulate);
        });
        for (int i = 0; i < expect.Length; i++)
            Assert.True(Math.Abs(c[i] - expect[i]) <= 1e-5 * (1 + Math.Abs(expect[i])) * Math.Sqrt(K),
                $"C[{i / N},{i % N}] = {c[i]}, expected {expect[i]}");
    }

    static readonly object ForcedPathLock = new();

    /// <summary>
    /// Runs <paramref name="multiply"/> with Gemm's process-wide tuning knobs as <paramref name="set"/> leaves them (forced
    /// micro-kernel path, schedule, sweep sizes, packing, slice phases, B prefetch distance, the 256-bit tile order), under
    /// <see cref="ForcedPathLock"/> so that no other test sees them; every knob is back at its old value afterwards.
    /// </summary>
    internal static void WithGemmKnobs(Action set, Action multiply)
    {
        lock (ForcedPathLock)
        {
            var saved = (Gemm.ForcedPath, Gemm.Scheduling, Gemm.SweepRows, Gemm.SweepCols, Gemm.Packing, Gemm.SlicePhases, Gemm.PrefetchIterations, Gemm.ColumnsOuter256);
            try
            {
                set();
                multiply();
            }
            finally
            {
                (Gemm.ForcedPath, Gemm.Scheduling, Gemm.SweepRows, Gemm.SweepCols, Gemm.Packing, Gemm.SlicePhases, Gemm.PrefetchIterations, Gemm.ColumnsOuter256) = saved;
            }
        }
    }

    [Fact]
    public void Same_bits_for_any_thread_count()
    {
        int M = 301, N = 700, K = 450;
        var a = Random(M * K, 4);
        var b = Random(N * K, 5);
        var c1 = new float[M * N];
        var c2 = new float[M * N];
        using (var w = new Workers(1))
            fixed (float* pa = a, pb = b, pc = c1) Gemm.Multiply(w, M, N, K, pa, K, false, pb, K, true, pc, N, false);
        using (var w = new Workers(3))
            fixed (float* pa = a, pb = b, pc = c2) Gemm.Multiply(w, M, N, K, pa, K, false, pb, K, true, pc, N, false);
        Assert.Equal(c1, c2);
    }

    [Fact]
    public void Same_bits_for_any_thread_count_on_a_weight_gradient()
    {
        // dW += dyᵀ·x: A transposed, K = B·T long (five K slices), more rows than one tile; tiles even out differently per worker count.
        int M = 500, N = 300, K = 1100;
        var a = Random(K * M, 6);
        var b = Random(K * N, 7);
        float[]? first = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            var c = Random(M * N, 8);
            using (var w = new Workers(threads))
                fixed (float* pa = a, pb = b, pc = c) Gemm.Multiply(w, M, N, K, pa, M, true, pb, N, false, pc, N, true);
            if (first is null) first = c;
            else Assert.Equal(first, c);
        }
    }

    [Fact]
    public void B_prefetch_distance_never_changes_results()
    {
        // The micro-kernel's two loops (prefetching ahead in the panel, then the next panel) split K differently
        // for each distance, including distances longer than the K slice (K = 5) and none at all.
        foreach (var (M, N, K) in new[] { (37, 70, 5), (30, 100, 300), (25, 64, 17) })
        {
            var a = Random(M * K, 9);
            var b = Random(K * N, 10);
            float[]? first = null;
            foreach (int ahead in new[] { 0, 1, 16, 1000 })
            {
                var c = new float[M * N];
                WithGemmKnobs(() => Gemm.PrefetchIterations = ahead, () =>
                {
                    using var w = new Workers(2);
                    fixed (float* pa = a, pb = b, pc = c) Gemm.Multiply(w, M, N, K, pa, K, false, pb, N, false, pc, N, false);
                });
                if (first is null) first = c;
                else Assert.Equal(first, c);
            }
            var expect = Reference(M, N, K, a, false, b, false);
            for (int i = 0; i < expect.Length; i++) Assert.True(Math.Abs(first![i] - expect[i]) <= 1e-5 * (1 + Math.Abs(expect[i])) * Math.Sqrt(K));
        }
    }

    [Fact]
    public void Schedule_chunks_and_blocks_never_change_results()
    {
        // Tiles vs sweeps, tiny sweep chunks and column blocks (many blocks, chunks cut mid-way by the guided share,
        // workers helping with each other's blocks), 1–3 workers, each layout including the weight gradient's
        // transposed A (packed k-outer with prefetch, and its partial micro-panel): identical bits throughout.
        foreach (var (M, N, K, ta, tb) in new[] { (301, 700, 450, false, true), (250, 97, 530, true, false), (37, 70, 5, false, false), (611, 64, 300, true, false) })
        {
            var a = Random(M * K, 11);
            var b = Random(K * N, 12);
            var c0 = Random(M * N, 13);
            SameBitsUnderEveryKnobAndNearReference(M, N, K, a, ta, b, tb, c0,
                from x in new[] {
                    (Gemm.Schedule.Tiles, 240, 640, 2), (Gemm.Schedule.Sweep, 240, 640, 2), (Gemm.Schedule.Sweep, 240, 640, 1),
                    (Gemm.Schedule.Sweep, 24, 64, 3), (Gemm.Schedule.Sweep, 12, 32, 2), (Gemm.Schedule.Sweep, 50, 100, 2) }
                select ((Action)(() => (Gemm.Scheduling, Gemm.SweepRows, Gemm.SweepCols) = (x.Item1, x.Item2, x.Item3)), x.Item4));
        }
    }

    /// <summary>
    /// C (+)= A·B (accumulating into <paramref name="c0"/> when A is transposed, as the weight gradients do) once per knob
    /// setting, each on its own worker count: every run must give the bits of the first, and the first must be within
    /// float rounding of the float64 reference.
    /// </summary>
    static void SameBitsUnderEveryKnobAndNearReference(int M, int N, int K, float[] a, bool ta, float[] b, bool tb, float[] c0,
        IEnumerable<(Action Set, int Threads)> settings)
    {
        float[]? first = null;
        foreach (var (set, threads) in settings)
        {
            var c = (float[])c0.Clone();
            WithGemmKnobs(set, () =>
            {
                using var w = new Workers(threads);
                fixed (float* pa = a, pb = b, pc = c)
                    Gemm.Multiply(w, M, N, K, pa, ta ? M : K, ta, pb, tb ? K : N, tb, pc, N, accumulate: ta);
            });
            if (first is null) first = c;
            else Assert.Equal(first, c);
        }
        var expect = Reference(M, N, K, a, ta, b, tb);
        for (int i = 0; i < expect.Length; i++)
        {
            double e = expect[i] + (ta ? c0[i] : 0);
            Assert.True(Math.Abs(first![i] - e) <= 1e-5 * (1 + Math.Abs(e)) * Math.Sqrt(K), $"C[{i / N},{i % N}] = {first[i]}, expected {e}");
        }
    }

    [Theory]
    [InlineData("Scalar")]
    [InlineData("Float256")]
    [InlineData("Float512")]
    public void Packing_once_per_product_or_per_tile_gives_the_same_bits(string path)
    {
        // A packed once for all column blocks (GemmPackedA, several workers claiming micro-panel runs that chunks cut
        // differently per block; 8+4-row transposes) vs per tile (8+8), B's rows copied in registers vs by Memmove: identical bits on every
        // micro-kernel path, for all three operand layouts, partial micro-panels and K slices, 1–3 workers.
        var p = Enum.Parse<Gemm.Path>(path);
        if (p == Gemm.Path.Float512 && !System.Runtime.Intrinsics.X86.Avx512F.IsSupported) return;
        if (p == Gemm.Path.Float256 && !System.Runtime.Intrinsics.X86.Fma.IsSupported) return;
        foreach (var (M, N, K, ta, tb) in new[] { (301, 700, 450, false, true), (250, 197, 530, true, false), (37, 170, 5, false, false), (611, 96, 300, true, false), (100, 300, 800, false, false) })
        {
            var a = Random(M * K, 14);
            var b = Random(K * N, 15);
            var c0 = Random(M * N, 16);
            SameBitsUnderEveryKnobAndNearReference(M, N, K, a, ta, b, tb, c0,
                from x in new[] {
                    (Gemm.Schedule.Sweep, 240, 768, 2, false), (Gemm.Schedule.Sweep, 24, 64, 2, true), (Gemm.Schedule.Sweep, 36, 32, 3, true),
                    (Gemm.Schedule.Sweep, 240, 96, 1, true), (Gemm.Schedule.Tiles, 240, 768, 2, true), (Gemm.Schedule.Sweep, 60, 64, 2, false) }
                select ((Action)(() => (Gemm.Scheduling, Gemm.SweepRows, Gemm.SweepCols, Gemm.Packing, Gemm.ForcedPath) =
                    (x.Item1, x.Item2, x.Item3, x.Item5 ? Gemm.PackingScheme.Shared : Gemm.PackingScheme.PerTile, p)), x.Item4));
        }
    }

    [Theory]
    [InlineData("Scalar")]
    [InlineData("Float256")]
    [InlineData("Float512")]
    public void Sweeping_one_K_slice_at_a_time_gives_the_same_bits(string path)
    {
        // Gemm.SlicePhases: a deep product (K > M over several K slices: the weight gradients) swept slice by slice, vs
        // every row chunk walking all of K: identical bits on every path, all three layouts, A rows longer than K (lda > K),
        // accumulating or not, ragged micro-panels and slices, 1–3 workers; and both against the double reference.
        var p = Enum.Parse<Gemm.Path>(path);
        if (p == Gemm.Path.Float512 && !System.Runtime.Intrinsics.X86.Avx512F.IsSupported) return;
        if (p == Gemm.Path.Float256 && !System.Runtime.Intrinsics.X86.Fma.IsSupported) return;
        foreach (var (M, N, K, ta, tb, accumulate) in new[] {
            (77, 130, 1000, true, false, true), (13, 45, 800, false, true, false), (100, 33, 777, false, false, true), (250, 70, 1100, true, false, false) })
        {
            int lda = (ta ? M : K) + 3; // padded rows: the packing must honour lda
            var a = Random((ta ? K : M) * lda, 21);
            var b = Random(K * N, 22);
            var c0 = Random(M * N, 23);
            float[]? first = null;
            foreach (var (phases, threads, rows, cols) in new[] { (false, 2, 240, 768), (true, 2, 240, 768), (true, 1, 240, 768), (true, 3, 24, 64), (false, 3, 24, 64), (true, 2, 36, 32) })
            {
                var c = (float[])c0.Clone();
                WithGemmKnobs(() => (Gemm.SlicePhases, Gemm.SweepRows, Gemm.SweepCols, Gemm.ForcedPath) = (phases, rows, cols, p), () =>
                {
                    using var w = new Workers(threads);
                    fixed (float* pa = a, pb = b, pc = c)
                        Gemm.Multiply(w, M, N, K, pa, lda, ta, pb, tb ? K : N, tb, pc, N, accumulate);
                });
                if (first is null) first = c;
                else Assert.Equal(first, c);
            }
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++)
                {
                    double e = accumulate ? c0[i * N + j] : 0;
                    for (int k = 0; k < K; k++) e += (double)(ta ? a[k * lda + i] : a[i * lda + k]) * (tb ? b[j * K + k] : b[k * N + j]);
                    Assert.True(Math.Abs(first![i * N + j] - e) <= 1e-5 * (1 + Math.Abs(e)) * Math.Sqrt(K), $"C[{i},{j}] = {first[i * N + j]}, expected {e}");
                }
        }
    }

    [Fact]
    public void Tile_order_of_the_256_bit_path_never_changes_results()
    {
        // Gemm.ColumnsOuter256: B panels outer (the panel in L1) vs rows outer, on the 256-bit path: identical bits for
        // all three layouts, odd K (the micro-kernel's two-k loop and its last single k), ragged micro-panels, several K
        // slices, both schedules, 1–3 workers; and against the double reference.
        if (!System.Runtime.Intrinsics.X86.Fma.IsSupported) return;
        foreach (var (M, N, K, ta, tb) in new[] { (301, 700, 451, false, true), (250, 197, 530, true, false), (37, 170, 5, false, false), (611, 96, 300, true, false), (100, 300, 801, false, false) })
        {
            var a = Random(M * K, 31);
            var b = Random(K * N, 32);
            var c0 = Random(M * N, 33);
            SameBitsUnderEveryKnobAndNearReference(M, N, K, a, ta, b, tb, c0,
                from x in new[] {
                    (false, Gemm.Schedule.Sweep, 240, 768, 2), (true, Gemm.Schedule.Sweep, 240, 768, 2), (true, Gemm.Schedule.Sweep, 24, 64, 3),
                    (true, Gemm.Schedule.Tiles, 240, 768, 2), (true, Gemm.Schedule.Sweep, 240, 96, 1), (false, Gemm.Schedule.Sweep, 36, 32, 3) }
                select ((Action)(() => (Gemm.ColumnsOuter256, Gemm.Scheduling, Gemm.SweepRows, Gemm.SweepCols, Gemm.ForcedPath) =
                    (x.Item1, x.Item2, x.Item3, x.Item4, Gemm.Path.Float256)), x.Item5));
        }
    }

    [Theory]
    [InlineData(6)]
    [InlineData(12)]
    public void PackA_writes_every_micro_panel_element_and_nothing_else(int mr)
    {
        // The vector packings (6×8 and 8×8 + 4×8 register transposes, k-outer runs for a transposed A) against the
        // definition: element (r, k) of micro-panel p at p·panelStride + k·MR + r, zero past mc; every other float of
        // the destination (the gap between panels, the guard past the last) keeps its canary.
        const float Canary = -12345.5f;
        foreach (var (mc, kc, transposed) in new[] { (6, 8, false), (12, 16, true), (13, 37, false), (13, 37, true), (30, 7, false), (30, 9, true), (240, 384, false), (240, 342, true), (5, 20, false), (5, 20, true) })
        {
            int i0 = 3, pc = 5, M = i0 + mc + 2, K = pc + kc + 3;
            int lda = transposed ? M + 1 : K + 2;
            var a = Random((transposed ? K : M) * lda, 7);
            int panels = (mc + mr - 1) / mr;
            long panelStride = (long)mr * kc + 10; // a gap between panels, as GemmPackedA's stride MR·K leaves
            var dst = new float[panels * panelStride + 64];
            Array.Fill(dst, Canary);
            fixed (float* pa = a, pd = dst)
                Gemm.PackA(pd, panelStride, pa, lda, transposed, i0, mc, pc, kc, mr);
            var expect = new float[dst.Length];
            Array.Fill(expect, Canary);
            for (int p = 0; p < panels; p++)
                for (int k = 0; k < kc; k++)
                    for (int r = 0; r < mr; r++)
                    {
                        int i = p * mr + r;
                        expect[p * panelStride + k * mr + r] = i >= mc ? 0f
                            : transposed ? a[(long)(pc + k) * lda + i0 + i] : a[(long)(i0 + i) * lda + pc + k];
                    }
            for (int i = 0; i < dst.Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(expect[i]) == BitConverter.SingleToInt32Bits(dst[i]),
                    $"mr {mr}, mc {mc}, kc {kc}, transposed {transposed}: dst[{i}] = {dst[i]}, expected {expect[i]}");
        }
    }

    [Fact]
    public void Double_path_is_exact_on_integers()
    {
        int M = 13, N = 11, K = 300;
        var a = new double[M * K];
        var b = new double[K * N];
        for (int i = 0; i < a.Length; i++) a[i] = i % 7 - 3;
        for (int i = 0; i < b.Length; i++) b[i] = i % 5 - 2;
        var c = new double[M * N];
        using var w = new Workers(2);
        fixed (double* pa = a, pb = b, pc = c) Gemm.Multiply(w, M, N, K, pa, K, false, pb, N, false, pc, N, false);
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++)
            {
                double s = 0;
                for (int k = 0; k < K; k++) s += a[i * K + k] * b[k * N + j];
                Assert.Equal(s, c[i * N + j]);
            }
    }
}
