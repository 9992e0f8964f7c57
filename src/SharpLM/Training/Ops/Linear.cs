using System.Numerics;
using SharpLM.Kernels.Training;

namespace SharpLM.Training.Ops;

/// <summary>
/// A bias-free Linear layer, PyTorch layout (spec conventions): y = x·Wᵀ.
/// </summary>
/// <remarks>
/// Shapes: x, dx [N, In]; W, dW [Out, In]; y, dy [N, Out].
/// Backward: dx (=, or += when accumulating several branches) dy·W;  dW += dyᵀ·x (= for a gradient's first write).
/// </remarks>
public static unsafe class Linear
{
    public static void Forward<T>(Workers workers, T* y, T* x, T* w, int n, int inFeatures, int outFeatures)
        where T : unmanaged, INumber<T> =>
        Gemm.Multiply(workers, n, outFeatures, inFeatures, x, inFeatures, false, w, inFeatures, true, y, outFeatures, false);

    /// <param name="dx">Input gradient, or null when the input needs none.</param>
    /// <param name="accumulateDw">False: dW = dyᵀ·x, overwriting (the first write of a gradient cleared only in name, see Gemma3TrainingModel.ZeroGradients).</param>
    public static void Backward<T>(Workers workers, T* dx, T* dw, T* dy, T* x, T* w, int n, int inFeatures, int outFeatures, bool accumulateDx, bool accumulateDw = true)
        where T : unmanaged, INumber<T>
    {
        if (dx != null) BackwardInput(workers, dx, dy, w, n, inFeatures, outFeatures, accumulateDx);
        BackwardWeight(workers, dw, dy, x, n, inFeatures, outFeatures, accumulateDw);
    }

    /// <summary>dx (=, or += when <paramref name="accumulate"/>) dy·W.</summary>
    public static void BackwardInput<T>(Workers workers, T* dx, T* dy, T* w, int n, int inFeatures, int outFeatures, bool accumulate)
        where T : unmanaged, INumber<T> =>
        Gemm.Multiply(workers, n, inFeatures, outFeatures, dy, outFeatures, false, w, inFeatures, false, dx, inFeatures, accumulate);

    /// <summary>dW += dyᵀ·x (or dW = dyᵀ·x when not <paramref name="accumulate"/>).</summary>
    public static void BackwardWeight<T>(Workers workers, T* dw, T* dy, T* x, int n, int inFeatures, int outFeatures, bool accumulate = true)
        where T : unmanaged, INumber<T> =>
        Gemm.Multiply(workers, outFeatures, inFeatures, n, dy, outFeatures, true, x, inFeatures, false, dw, inFeatures, accumulate);
}
