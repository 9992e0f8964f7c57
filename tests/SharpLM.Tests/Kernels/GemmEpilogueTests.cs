using SharpLM.Kernels.Training;

namespace SharpLM.Tests.Kernels;

/// <summary>The GEMM's epilogue hook: every element of C handed over exactly once, with its final value, on every path and schedule.</summary>
public unsafe class GemmEpilogueTests
{
    /// <summary>Copies each block it sees into <see cref="Seen"/> and counts the visits per element.</summary>
    sealed class Recorder(int m, int n) : GemmEpilogue<float>
    {
        public readonly float[] Seen = new float[m * n];
        public readonly int[] Visits = new int[m * n];

        public override void Apply(float* c, int ldc, int i0, int rows, int j0, int cols)
        {
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < cols; j++)
                {
                    int e = (i0 + r) * n + j0 + j;
                    Seen[e] = c[(long)r * ldc + j];
                    Interlocked.Increment(ref Visits[e]);
                }
        }
    }

    static float[] Random(int n, int seed)
    {
        var r = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(r.NextDouble() * 2 - 1);
        return x;
    }

    [Theory]
    [InlineData("Float512", 301, 700, 450, false, true)]  // several K slices, blocks and chunks
    [InlineData("Float512", 250, 97, 530, true, false)]   // transposed A, ragged last panel, accumulating
    [InlineData("Float256", 37, 70, 5, false, false)]
    [InlineData("Float256", 301, 700, 450, false, true)]  // earlier K slices columns outer, the last (with the epilogue) rows outer
    [InlineData("Float256", 250, 97, 531, true, false)]
    [InlineData("Scalar", 45, 33, 300, false, true)]
    [InlineData("Float512", 13, 40, 0, false, false)]     // K = 0: C cleared, then still handed over
    public void Sees_every_final_element_once(string path, int M, int N, int K, bool ta, bool tb)
    {
        var p = Enum.Parse<Gemm.Path>(path);
        if (p == Gemm.Path.Float512 && !System.Runtime.Intrinsics.X86.Avx512F.IsSupported) return;
        if (p == Gemm.Path.Float256 && !System.Runtime.Intrinsics.X86.Fma.IsSupported) return;
        var a = Random(M * Math.Max(K, 1), 1);
        var b = Random(Math.Max(K, 1) * N, 2);
        var c0 = Random(M * N, 3);
        foreach (var (schedule, threads) in new[] { (Gemm.Schedule.Sweep, 2), (Gemm.Schedule.Tiles, 3), (Gemm.Schedule.Sweep, 1) })
        {
            var plain = (float[])c0.Clone();
            var hooked = (float[])c0.Clone();
            var rec = new Recorder(M, N);
            TrainingGemmTests.WithGemmKnobs(() => (Gemm.Scheduling, Gemm.ForcedPath) = (schedule, p), () =>
            {
                using var w = new Workers(threads);
                fixed (float* pa = a, pb = b, pc = plain, ph = hooked)
                {
                    Gemm.Multiply(w, M, N, K, pa, ta ? M : K, ta, pb, tb ? K : N, tb, pc, N, accumulate: ta);
                    Gemm.Multiply(w, M, N, K, pa, ta ? M : K, ta, pb, tb ? K : N, tb, ph, N, accumulate: ta, rec);
                }
            });
            Assert.Equal(plain, hooked);     // the hook changes nothing of the product
            Assert.Equal(plain, rec.Seen);   // and saw the final values
            Assert.All(rec.Visits, v => Assert.Equal(1, v));
        }
    }
}
