using SharpLM.Kernels.Training;
using SharpLM.Training;
using SharpLM.Training.Optimization;

namespace SharpLM.Tests.Training;

/// <summary>The SIMD AdamW update against the update rule written out element by element in float.</summary>
public unsafe class OptimizerTests
{
    [Fact]
    public void AdamW_matches_the_scalar_rule_bit_for_bit()
    {
        var layout = new ParameterLayout(TrainingFixtures.SmallConfig(vocab: 61));
        long n = layout.Count;
        var rng = new Random(7);
        using var p = new NativeArray<float>(n);
        using var g = new NativeArray<float>(n);
        for (long i = 0; i < n; i++) { p.Pointer[i] = (float)(rng.NextDouble() - 0.5); g.Pointer[i] = (float)(rng.NextDouble() - 0.5) * 1e-2f; }
        var expectP = new float[n];
        var expectM = new float[n];
        var expectV = new float[n];
        for (long i = 0; i < n; i++) expectP[i] = p.Pointer[i];
        var options = new OptimizerOptions { WeightDecay = 0.1 };
        using var opt = new Optimizer(layout, options);
        using var workers = new Workers(2);
        var decays = new bool[n];
        foreach (var t in layout.Tensors)
            for (long i = t.Offset; i < t.Offset + t.Count; i++) decays[i] = t.Kind != ParameterKind.Norm;
        for (int step = 1; step <= 3; step++)
        {
            double lr = 1e-3 * step, gradScale = 0.75;
            opt.Update(workers, p, g, lr, gradScale);
            float b1 = 0.9f, b2 = 0.95f, eps = 1e-8f, flr = (float)lr, gs = (float)gradScale;
            float c1 = (float)(1 / (1 - Math.Pow(0.9, step))), c2 = (float)(1 / (1 - Math.Pow(0.95, step)));
            for (long i = 0; i < n; i++)
            {
                float wd = decays[i] ? 0.1f : 0f;
                float gi = g.Pointer[i] * gs;
                float m = expectM[i] = b1 * expectM[i] + (1 - b1) * gi;
                float v = expectV[i] = b2 * expectV[i] + (1 - b2) * gi * gi;
                float pi = expectP[i] * (1 - flr * wd);
                expectP[i] = pi - flr * (m * c1) / (MathF.Sqrt(v * c2) + eps);
            }
        }
        for (long i = 0; i < n; i++)
        {
            Assert.Equal(expectM[i], opt.M!.Pointer[i]);
            Assert.Equal(expectV[i], opt.V!.Pointer[i]);
            Assert.Equal(expectP[i], p.Pointer[i]);
        }
    }

    [Fact]
    public void Gradient_norm_over_four_ranges_per_task_is_bit_identical_and_exact_enough()
    {
        // A layout with tensors above and below the 2^20-element range size, so ranges of many lengths group together.
        var layout = new ParameterLayout(TrainingFixtures.SmallConfig(vocab: 3000) with { HiddenSize = 384 });
        long n = layout.Count;
        Assert.True(n > 1 << 20);
        var rng = new Random(11);
        using var g = new NativeArray<float>(n);
        for (long i = 0; i < n; i++) g.Pointer[i] = (float)((rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-4, 1)));
        using var opt = new Optimizer(layout, new OptimizerOptions());
        double expected = 0;
        for (long i = 0; i < n; i++) expected += (double)g.Pointer[i] * g.Pointer[i];
        expected = Math.Sqrt(expected);
        bool saved = Optimizer.FourRangesPerTask;
        try
        {
            foreach (int threads in new[] { 1, 3 })
            {
                using var workers = new Workers(threads);
                Optimizer.FourRangesPerTask = true;
                double four = opt.GradientNorm(workers, g);
                Optimizer.FourRangesPerTask = false;
                double one = opt.GradientNorm(workers, g);
                Assert.Equal(one, four);
                Assert.Equal(expected, four, expected * 1e-12);
            }
        }
        finally { Optimizer.FourRangesPerTask = saved; }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Parallel_clear_zeroes_the_whole_arena(int threads)
    {
        long n = (3L << 20) + 37; // several pieces and an odd tail
        using var a = new NativeArray<float>(n);
        for (long i = 0; i < n; i++) a.Pointer[i] = i + 1;
        using var workers = new Workers(threads);
        Assert.True(ParallelClear.Enabled);
        ParallelClear.Clear(workers, a);
        for (long i = 0; i < n; i++) Assert.Equal(0f, a.Pointer[i]);
    }
}
