using SharpLM.Models.Gemma3;
using SharpLM.Quantization;

namespace SharpLM.Training;

/// <summary>
/// Copies a loaded model (an HF folder or a GGUF, through the engine's <see cref="Gemma3Model.Load"/>) into the
/// float training arena, for <c>sharplm train --init</c>: matrices decoded row by row from their stored
/// type, norm offsets w taken as stored (HF) or as stored − 1 (GGUF holds 1 + w).
/// </summary>
public static unsafe class ModelImport
{
    public static void CopyWeights(Gemma3Model source, Gemma3TrainingModel<float> target)
    {
        var c = target.Config;
        var w = source.Weights;
        var lay = target.Layout;
        CopyMatrix(w.Embedding, target.Parameters.At(lay.Embedding));
        for (int i = 0; i < c.NumLayers; i++)
        {
            var s = w.Layers[i];
            var o = lay.Layers[i];
            CopyMatrix(s.Q, target.Parameters.At(o.Q));
            CopyMatrix(s.K, target.Parameters.At(o.K));
            CopyMatrix(s.V, target.Parameters.At(o.V));
            CopyMatrix(s.O, target.Parameters.At(o.O));
            CopyMatrix(s.Gate, target.Parameters.At(o.Gate));
            CopyMatrix(s.Up, target.Parameters.At(o.Up));
            CopyMatrix(s.Down, target.Parameters.At(o.Down));
            CopyNorm(s.InputNorm, target.Parameters.At(o.InputNorm));
            CopyNorm(s.QNorm, target.Parameters.At(o.QNorm));
            CopyNorm(s.KNorm, target.Parameters.At(o.KNorm));
            CopyNorm(s.PostAttentionNorm, target.Parameters.At(o.PostAttentionNorm));
            CopyNorm(s.PreFeedForwardNorm, target.Parameters.At(o.PreFeedforwardNorm));
            CopyNorm(s.PostFeedForwardNorm, target.Parameters.At(o.PostFeedforwardNorm));
        }
        CopyNorm(w.FinalNorm, target.Parameters.At(lay.FinalNorm));
    }

    static void CopyMatrix(Tensors.WeightMatrix m, float* dst)
    {
        for (int r = 0; r < m.Rows; r++)
            TensorCodec.Decode(m.Type, m.Row(r), new Span<float>(dst + (long)r * m.Cols, m.Cols));
    }

    /// <summary>The engine holds norms as the multiplier 1 + w; training keeps the offset w.</summary>
    static void CopyNorm(float[] onePlusW, float* dst)
    {
        for (int i = 0; i < onePlusW.Length; i++) dst[i] = onePlusW[i] - 1f;
    }
}
