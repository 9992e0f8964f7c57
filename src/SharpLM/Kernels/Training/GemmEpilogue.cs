namespace SharpLM.Kernels.Training;

/// <summary>
/// Work a <see cref="Gemm"/> product does on each finished block of C while it is still in cache: called once per
/// strip of a tile (one micro-kernel height of rows × the tile's columns, at most 12 × 768 floats), right after the
/// strip's last K slice, by the worker that computed it.
/// </summary>
/// <remarks>
/// Fuses an element-wise pass that would otherwise read the whole of C back from memory (GeGLU's backward on the
/// dHidden product). Every element of C is handed over exactly once, with its final value; blocks arrive in no
/// particular order and on any worker, so an epilogue must be element-wise (or write only its own block's outputs).
/// It may overwrite the block (C as scratch) since nothing of the product reads it again.
/// </remarks>
public abstract unsafe class GemmEpilogue<T> where T : unmanaged
{
    /// <summary>Rows [<paramref name="i0"/>, +<paramref name="rows"/>) × columns [<paramref name="j0"/>, +<paramref name="cols"/>) of C, at <paramref name="c"/> with row stride <paramref name="ldc"/>.</summary>
    public abstract void Apply(T* c, int ldc, int i0, int rows, int j0, int cols);
}
