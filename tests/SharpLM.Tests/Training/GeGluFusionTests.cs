using SharpLM.Kernels.Training;
using SharpLM.Training;
using SharpLM.Training.Ops;
using SharpLM.Tests.Kernels;

namespace SharpLM.Tests.Training;

/// <summary>
/// GeGLU's backward fused into the down projection's input-gradient GEMM (epilogue) against the unfused pair it
/// replaces (GEMM into dHidden, then the row-wise backward): the same bytes, for the op and for the whole model.
/// </summary>
public unsafe class GeGluFusionTests
{
    static float[] Random(int n, int seed, float scale = 1)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 2 - 1) * scale;
        return a;
    }

    [Theory]
    [InlineData(1541, 32)]   // the GEMM epilogue's 512-bit blocks, a partial block and a scalar tail
    [InlineData(1536, 16)]   // all vector (the small preset's width), 256-bit blocks
    [InlineData(45, 4)]      // the scalar micro-kernel's 4-column blocks: vector pieces shorter than 16
    [InlineData(61, 7)]      // pieces straddling the 16-lane groups and the vector end
    public void Row_pieces_round_exactly_as_the_whole_row(int n, int piece)
    {
        var g = Random(n, 1, 8);
        var u = Random(n, 2);
        var dh = Random(n, 3);
        float[] dg = new float[n], du = new float[n], h = new float[n];
        float[] dg2 = (float[])dh.Clone(), du2 = new float[n], h2 = new float[n]; // in place: dh in dg's slot, as the epilogue has it
        fixed (float* pg = g, pu = u, pdh = dh, pdg = dg, pdu = du, ph = h, pdg2 = dg2, pdu2 = du2, ph2 = h2)
        {
            Vec.GeGluBackward(pg, pu, pdh, pdg, pdu, n, ph);
            for (int j0 = 0; j0 < n; j0 += piece)
                Vec.GeGluBackward(pg + j0, pu + j0, pdg2 + j0, pdg2 + j0, pdu2 + j0, ph2 + j0, Math.Min(piece, n - j0), n / 16 * 16 - j0);
        }
        Assert.Equal(dg, dg2);
        Assert.Equal(du, du2);
        Assert.Equal(h, h2);
    }

    [Theory]
    [InlineData("Float512", 37, 45, 70, 2)]    // odd rows and width: partial panels, scalar tail of every row
    [InlineData("Float512", 300, 1541, 64, 3)] // several sweep chunks and column blocks; K in one slice
    [InlineData("Float512", 50, 96, 800, 1)]   // several K slices: the epilogue only after the last
    [InlineData("Float256", 29, 61, 100, 2)]
    [InlineData("Scalar", 13, 45, 30, 2)]
    public void Fused_backward_is_bit_identical_to_gemm_then_backward(string path, int rows, int width, int outFeatures, int threads)
    {
        var p = Enum.Parse<Gemm.Path>(path);
        if (p == Gemm.Path.Float512 && !System.Runtime.Intrinsics.X86.Avx512F.IsSupported) return;
        if (p == Gemm.Path.Float256 && !System.Runtime.Intrinsics.X86.Fma.IsSupported) return;
        var dy = Random(rows * outFeatures, 4);
        var w = Random(outFeatures * width, 5, 0.3f);
        var gu = Random(rows * 2 * width, 6, 4);
        float[] dHidden = new float[rows * width], dgu = new float[rows * 2 * width], h = new float[rows * width];
        float[] dgu2 = Random(rows * 2 * width, 7), h2 = new float[rows * width]; // garbage in dgu: all of it must be written
        TrainingGemmTests.WithGemmKnobs(() => Gemm.ForcedPath = p, () =>
        {
            using var workers = new Workers(threads);
            fixed (float* pdy = dy, pw = w, pgu = gu, pdH = dHidden, pdgu = dgu, ph = h, pdgu2 = dgu2, ph2 = h2)
            {
                Linear.BackwardInput(workers, pdH, pdy, pw, rows, width, outFeatures, accumulate: false);
                GeGlu.Backward(workers, pdgu, pdH, pgu, rows, width, ph);
                GeGlu.BackwardThroughDown(workers, pdgu2, pdy, pw, pgu, rows, width, outFeatures, ph2);
            }
        });
        Assert.Equal(dgu, dgu2);
        Assert.Equal(h, h2);
    }

    [Fact]
    public void Fused_backward_matches_in_double()
    {
        int rows = 9, width = 21, outFeatures = 13;
        var r = new Random(8);
        double[] Rand(int n) { var a = new double[n]; for (int i = 0; i < n; i++) a[i] = r.NextDouble() * 2 - 1; return a; }
        double[] dy = Rand(rows * outFeatures), w = Rand(outFeatures * width), gu = Rand(rows * 2 * width);
        double[] dHidden = new double[rows * width], dgu = new double[rows * 2 * width], dgu2 = new double[rows * 2 * width];
        using var workers = new Workers(2);
        fixed (double* pdy = dy, pw = w, pgu = gu, pdH = dHidden, pdgu = dgu, pdgu2 = dgu2)
        {
            Linear.BackwardInput(workers, pdH, pdy, pw, rows, width, outFeatures, accumulate: false);
            GeGlu.Backward(workers, pdgu, pdH, pgu, rows, width);
            GeGlu.BackwardThroughDown(workers, pdgu2, pdy, pw, pgu, rows, width, outFeatures);
        }
        Assert.Equal(dgu, dgu2);
    }

    [Fact]
    public void Model_step_is_bit_identical_with_and_without_the_fusion()
    {
        // Width 72: four 16-lane groups and a scalar tail per row, several epilogue blocks per row.
        var c = ModelGradientTests.MicroConfig with { VocabSize = 50, HiddenSize = 32, IntermediateSize = 72, HeadDim = 16, QueryPreAttnScalar = 16 };
        int B = 3, T = 7;
        var (inputs, targets) = ModelGradientTests.Batch(B, T, c.VocabSize, 9);
        (double Loss, float[] Grads) Step(bool fused)
        {
            using var w = new Workers(2);
            using var m = new Gemma3TrainingModel<float>(c, w);
            ModelGradientTests.Randomize(m, 10, 0.3);
            m.ZeroGradients();
            bool saved = GeGlu.FusedBackward;
            GeGlu.FusedBackward = fused;
            try
            {
                var (loss, _) = m.ForwardBackward(inputs, targets, B, T, 1.0 / (B * T));
                return (loss, new Span<float>(m.Gradients.Pointer, (int)m.Layout.Count).ToArray());
            }
            finally { GeGlu.FusedBackward = saved; }
        }
        var fusedStep = Step(true);
        var plainStep = Step(false);
        Assert.Equal(plainStep.Loss, fusedStep.Loss);
        Assert.Equal(plainStep.Grads, fusedStep.Grads);
    }
}
