using SharpLM.Kernels.Training;
using SharpLM.Training;

namespace SharpLM.Tests.Training;

/// <summary>
/// <see cref="Gemma3TrainingModel{T}.ZeroGradients"/> with <see cref="Gemma3TrainingModel{T}.OverwriteFirstGradients"/>:
/// only what no GEMM writes is cleared, and each weight matrix's first GEMM overwrites. Whatever the arena held before
/// (here NaN everywhere), the gradients must be bit for bit those of a fully cleared arena, over several micro-batches
/// and steps, on the SIMD (float) and scalar (double) paths.
/// </summary>
public unsafe class GradientOverwriteTests
{
    [Fact]
    public void Overwriting_first_gives_the_bits_of_clearing_everything_float() => Check<float>(small: true);

    [Fact]
    public void Overwriting_first_gives_the_bits_of_clearing_everything_double() => Check<double>(small: false);

    static void Check<TF>(bool small) where TF : unmanaged, System.Numerics.IFloatingPointIeee754<TF>
    {
        // A config with odd sizes (padding between tensors) and, for float, shapes that take the SIMD GEMM paths and
        // more than one head chunk would not: the head's first chunk is what overwrites the embedding gradient.
        var c = small
            ? ModelGradientTests.MicroConfig with { VocabSize = 70, HiddenSize = 36, IntermediateSize = 52, HeadDim = 12, QueryPreAttnScalar = 12 }
            : ModelGradientTests.MicroConfig;
        int B = 2, S = 6;
        using var w = new Workers(2);
        using var cleared = new Gemma3TrainingModel<TF>(c, w) { OverwriteFirstGradients = false };
        using var overwritten = new Gemma3TrainingModel<TF>(c, w) { OverwriteFirstGradients = true };
        ModelGradientTests.Randomize(cleared, 11, 0.5);
        new Span<TF>(cleared.Parameters.Pointer, (int)cleared.Layout.Count).CopyTo(new Span<TF>(overwritten.Parameters.Pointer, (int)cleared.Layout.Count));
        new Span<TF>(overwritten.Gradients.Pointer, (int)overwritten.Layout.Count).Fill(TF.NaN); // stale garbage
        new Span<TF>(cleared.Gradients.Pointer, (int)cleared.Layout.Count).Fill(TF.NaN);
        for (int step = 0; step < 2; step++)
        {
            cleared.ZeroGradients();
            overwritten.ZeroGradients();
            for (int micro = 0; micro < 3; micro++) // grad accumulation: the first micro-batch overwrites, the others add
            {
                var (inputs, targets) = ModelGradientTests.Batch(B, S, c.VocabSize, 100 * step + micro);
                targets[micro] = -1;
                cleared.ForwardBackward(inputs, targets, B, S, 0.1);
                overwritten.ForwardBackward(inputs, targets, B, S, 0.1);
                if (micro == 0) cleared.Evaluate(inputs, targets, B, S); // evaluation between micro-batches changes nothing
            }
            var expected = new Span<TF>(cleared.Gradients.Pointer, (int)cleared.Layout.Count);
            var actual = new Span<TF>(overwritten.Gradients.Pointer, (int)overwritten.Layout.Count);
            for (int i = 0; i < expected.Length; i++)
                if (!expected[i].Equals(actual[i]) || TF.IsNaN(actual[i]))
                    Assert.Fail($"step {step}: gradient {i} is {actual[i]}, expected {expected[i]} ({Tensor(cleared.Layout, i)})");
        }
    }

    static string Tensor(ParameterLayout layout, long i) =>
        layout.Tensors.LastOrDefault(t => t.Offset <= i)?.Name ?? "before the first tensor";
}
