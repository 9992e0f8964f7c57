using SharpLM.Tensors;

namespace SharpLM.Kernels;

/// <summary>
/// Matrix products against a stored weight matrix W [Rows, Cols] (any <see cref="TensorType"/>), in f32.
/// <see cref="MatVec"/> is decode's y = W·x; <see cref="MatMul"/> is prefill's Y = X·Wᵀ for a chunk of
/// t tokens. Both run <see cref="MatrixKernels"/> (Q8 integer dots for Q4_0/Q8_0, widening FMA for
/// F16/BF16, cache-blocked 4-token tiles for prefill) on <see cref="KernelThreads.Pool"/>. These are the
/// entry points model code calls; the loops behind them may change, the signatures not.
/// </summary>
public static class MatMul
{
    /// <summary>y[Rows] = W · x[Cols].</summary>
    public static void MatVec(in WeightMatrix w, ReadOnlySpan<float> x, Span<float> y)
    {
        if (x.Length != w.Cols || y.Length != w.Rows)
            throw new ArgumentException($"MatVec: W is [{w.Rows}, {w.Cols}], x has {x.Length}, y has {y.Length}");
        MatrixKernels.MatMul(w, x, 1, y, KernelThreads.Pool);
    }

    /// <summary>
    /// y[t, Rows] = x[t, Cols] · Wᵀ (row i of y is W · row i of x). (TEAM.md calls this <c>MatMul.MatMul</c>;
    /// C# forbids a method named like its class, hence <c>MatMat</c>.)
    /// </summary>
    public static void MatMat(in WeightMatrix w, ReadOnlySpan<float> x, int t, Span<float> y)
    {
        if (t < 0 || x.Length != (long)t * w.Cols || y.Length != (long)t * w.Rows)
            throw new ArgumentException($"MatMat: W is [{w.Rows}, {w.Cols}], t = {t}, x has {x.Length}, y has {y.Length}");
        if (t == 0) return;
        MatrixKernels.MatMul(w, x, t, y, KernelThreads.Pool);
    }
}
