using Xunit.Abstractions;
using SharpLM.Kernels.Training;
using SharpLM.Models.Gemma3;
using SharpLM.Training;

namespace SharpLM.Tests.Training;

/// <summary>
/// A whole training step of our float32 model against PyTorch autograd on the same weights and batch:
/// loss and every gradient tensor within 1e-4 relative error (‖ours − torch‖ / ‖torch‖), against torch in
/// float64 (the truth) and in float32 (what a PyTorch user gets).
/// </summary>
[Trait("Category", "Oracle")]
public unsafe class TorchOracleTests(ITestOutputHelper output)
{
    public static TheoryData<string> Configs() => ["tiny-shape", "gqa-odd-shape"];

    static Gemma3Config ConfigFor(string name) => name switch
    {
        // The tiny preset's architecture exactly (6 layers, 5 local + 1 global, MQA, window 128 < T), smaller vocabulary.
        "tiny-shape" => TrainingPresets.Tiny with { VocabSize = 512 },
        // GQA with 2 KV heads, H whose sqrt is not a bf16 value (scale rounding), explicit layer types, global first.
        _ => new Gemma3Config
        {
            VocabSize = 300, HiddenSize = 96, IntermediateSize = 160, NumLayers = 3, NumHeads = 4, NumKvHeads = 2, HeadDim = 32,
            SlidingWindow = 40, QueryPreAttnScalar = 24, MaxPositionEmbeddings = 512,
            LayerTypes = [AttentionKind.Global, AttentionKind.Local, AttentionKind.Local],
        },
    };

    [Theory]
    [MemberData(nameof(Configs))]
    public void Whole_step_matches_pytorch(string name)
    {
        var c = ConfigFor(name);
        int B = 2, T = name == "tiny-shape" ? 160 : 70;
        using var w = new Workers(2);
        using var m = new Gemma3TrainingModel<float>(c, w);
        m.InitializeWeights(11);
        var r = new Random(12);
        foreach (var t in m.Layout.Tensors.Where(t => t.Kind == ParameterKind.Norm))
            for (long i = 0; i < t.Count; i++) m.Parameters.At(t.Offset)[i] = (float)(r.NextDouble() * 0.4 - 0.2);
        var (inputs, targets) = ModelGradientTests.Batch(B, T, c.VocabSize, 13);
        targets[5] = -1;

        m.ZeroGradients();
        var (sum, count) = m.ForwardBackward(inputs, targets, B, T, 1.0 / (B * T - 1));
        double ours = sum / count;
        var weights = new ReadOnlySpan<float>(m.Parameters.Pointer, (int)m.Layout.Count);

        var dir = TestPaths.NewTempDir("torch-oracle");
        var results = TorchOracle.Step(dir, m.Layout, weights, inputs, targets, B, T, "float64", "float32");
        foreach (var (dtype, (loss, grads)) in results)
        {
            double worst = 0;
            string worstName = "";
            Assert.True(Math.Abs(ours - loss) <= 1e-4 * Math.Abs(loss), $"{dtype}: loss {ours} vs torch {loss}");
            foreach (var t in m.Layout.Tensors)
            {
                double num = 0, den = 0;
                for (long i = 0; i < t.Count; i++)
                {
                    double a = m.Gradients.At(t.Offset)[i], b = grads[t.Offset + i];
                    num += (a - b) * (a - b);
                    den += b * b;
                }
                double rel = Math.Sqrt(num / den);
                if (rel > worst) (worst, worstName) = (rel, t.Name);
                Assert.True(den > 0, $"{t.Name}: torch gradient is zero");
                Assert.True(rel <= 1e-4, $"{dtype}: {t.Name}: relative gradient error {rel:E2}");
            }
            output.WriteLine($"{name} vs torch {dtype}: loss {ours:R} vs {loss:R}; worst gradient error {worst:E2} ({worstName})");
        }
    }
}
