using SharpLM.Kernels.Training;
using SharpLM.Models.Gemma3;
using SharpLM.Training;

namespace SharpLM.Tests.Training;

/// <summary>
/// The whole training model — embedding, every block, final norm, tied head, loss — against float64 finite
/// differences, one parameter group (HF tensor) at a time, on a config small enough to check every entry.
/// </summary>
public unsafe class ModelGradientTests
{
    /// <summary>2 layers (local, global), GQA 2:1, window 3 &lt; T so the window matters.</summary>
    internal static Gemma3Config MicroConfig => new()
    {
        VocabSize = 11, HiddenSize = 8, IntermediateSize = 12, NumLayers = 2, NumHeads = 2, NumKvHeads = 1,
        HeadDim = 4, SlidingWindow = 3, QueryPreAttnScalar = 4, SlidingWindowPattern = 2, MaxPositionEmbeddings = 64,
    };

    internal static (int[] Inputs, int[] Targets) Batch(int batch, int seqLen, int vocab, int seed)
    {
        var r = new Random(seed);
        var inputs = new int[batch * seqLen];
        var targets = new int[batch * seqLen];
        for (int i = 0; i < inputs.Length; i++) { inputs[i] = r.Next(vocab); targets[i] = r.Next(vocab); }
        return (inputs, targets);
    }

    /// <summary>Random weights everywhere, norms included, so every path carries gradient.</summary>
    internal static void Randomize<T>(Gemma3TrainingModel<T> m, int seed, double scale) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var r = new Random(seed);
        var p = m.Parameters;
        foreach (var t in m.Layout.Tensors)
            for (long i = 0; i < t.Count; i++)
                p.At(t.Offset)[i] = T.CreateTruncating((r.NextDouble() * 2 - 1) * (t.Kind == ParameterKind.Norm ? 0.5 : scale));
    }

    [Fact]
    public void Every_parameter_group_matches_finite_differences()
    {
        var c = MicroConfig;
        int B = 2, T = 5;
        using var w = new Workers(2);
        using var m = new Gemma3TrainingModel<double>(c, w);
        Randomize(m, 1, 0.6);
        var (inputs, targets) = Batch(B, T, c.VocabSize, 2);
        targets[3] = -1; // an ignored target
        double scale = 1.0 / (B * T - 1);
        m.ZeroGradients();
        var (sum, count) = m.ForwardBackward(inputs, targets, B, T, scale);
        Assert.Equal(B * T - 1, count);
        Assert.True(double.IsFinite(sum));
        var grads = new double[m.Layout.Count];
        new Span<double>(m.Gradients.Pointer, grads.Length).CopyTo(grads);

        double Loss() => m.Evaluate(inputs, targets, B, T).LossSum * scale;
        foreach (var t in m.Layout.Tensors)
        {
            var x = new Span<double>(m.Parameters.At(t.Offset), (int)t.Count);
            GradCheck.Check(x, grads.AsSpan((int)t.Offset, (int)t.Count), Loss, t.Name, 1e-6);
        }
    }

    [Fact]
    public void Gradients_accumulate_across_micro_batches()
    {
        var c = MicroConfig;
        using var w = new Workers(2);
        using var m = new Gemma3TrainingModel<double>(c, w);
        Randomize(m, 3, 0.5);
        var (i1, t1) = Batch(2, 4, c.VocabSize, 4);
        var (i2, t2) = Batch(2, 4, c.VocabSize, 5);
        m.ZeroGradients();
        m.ForwardBackward(i1, t1, 2, 4, 0.5);
        var g1 = new Span<double>(m.Gradients.Pointer, (int)m.Layout.Count).ToArray();
        m.ZeroGradients();
        m.ForwardBackward(i2, t2, 2, 4, 0.5);
        var g2 = new Span<double>(m.Gradients.Pointer, (int)m.Layout.Count).ToArray();
        m.ZeroGradients();
        m.ForwardBackward(i1, t1, 2, 4, 0.5);
        m.ForwardBackward(i2, t2, 2, 4, 0.5);
        var both = new Span<double>(m.Gradients.Pointer, (int)m.Layout.Count);
        for (int i = 0; i < both.Length; i++) Assert.Equal(g1[i] + g2[i], both[i], 12);
    }

    [Fact]
    public void Float_model_agrees_with_double_model()
    {
        // The float path runs the SIMD kernels; the double path the scalar reference. Same weights, same batch.
        var c = MicroConfig with { VocabSize = 50, HiddenSize = 32, IntermediateSize = 48, HeadDim = 16, QueryPreAttnScalar = 16 };
        int B = 3, T = 7;
        using var w = new Workers(2);
        using var md = new Gemma3TrainingModel<double>(c, w);
        using var mf = new Gemma3TrainingModel<float>(c, w);
        Randomize(md, 6, 0.3);
        for (long i = 0; i < md.Layout.Count; i++) mf.Parameters.Pointer[i] = (float)md.Parameters.Pointer[i];
        for (long i = 0; i < md.Layout.Count; i++) md.Parameters.Pointer[i] = mf.Parameters.Pointer[i];
        var (inputs, targets) = Batch(B, T, c.VocabSize, 7);
        md.ZeroGradients();
        mf.ZeroGradients();
        var (ld, _) = md.ForwardBackward(inputs, targets, B, T, 1.0 / (B * T));
        var (lf, _) = mf.ForwardBackward(inputs, targets, B, T, 1.0 / (B * T));
        Assert.True(Math.Abs(ld - lf) < 1e-5 * Math.Abs(ld), $"loss {lf} vs {ld}");
        foreach (var t in md.Layout.Tensors)
        {
            double num = 0, den = 0;
            for (long i = 0; i < t.Count; i++)
            {
                double a = mf.Gradients.At(t.Offset)[i], b = md.Gradients.At(t.Offset)[i];
                num += (a - b) * (a - b);
                den += b * b;
            }
            Assert.True(Math.Sqrt(num / Math.Max(den, 1e-300)) < 1e-5, $"{t.Name}: relative error {Math.Sqrt(num / den):E2}");
        }
    }
}
