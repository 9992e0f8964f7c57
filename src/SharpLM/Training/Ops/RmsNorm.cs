using System.Numerics;
using SharpLM.Kernels.Training;

namespace SharpLM.Training.Ops;

/// <summary>
/// Gemma's RMSNorm over the last axis, scaled by (1 + w) (spec §1.2). Used for the four block norms, the
/// final norm, and QK-norm (rows = tokens·heads, cols = head_dim, one weight vector shared by all heads).
/// </summary>
/// <remarks>
/// Shapes: x, y, dx, dy [R, C]; rstd [R]; w, dw [C].
/// Forward:  r = (mean_j x_j² + eps)^−½,  x̂ = x·r,  y = x̂ ⊙ (1 + w).
/// Backward (from the forward line): dw_j += Σ_rows dy_j·x̂_j;  dx̂ = dy ⊙ (1 + w);
///           dx = r·(dx̂ − x̂·mean_j(dx̂_j·x̂_j))   — since ∂r/∂x_j = −r³·x_j / C.
/// dw is summed per fixed 32-row chunk, then over chunks in order, so it does not depend on threads.
/// x and dx share one <see cref="RowLayout"/>, y and dy another: QK-norm reads q straight out of the fused
/// q|k|v projection rows and writes a contiguous normed copy. dx may alias dy when the layouts agree.
/// </remarks>
public static unsafe class RmsNorm
{
    const int ChunkRows = 32;

    /// <summary>Where row r of C values starts: (r / GroupRows)·GroupStride + (r mod GroupRows)·C.</summary>
    public readonly record struct RowLayout(int GroupRows, long GroupStride)
    {
        public static RowLayout Contiguous(int cols) => new(1, cols);
        public long Offset(int row, int cols) => (long)(row / GroupRows) * GroupStride + (long)(row % GroupRows) * cols;
    }

    public static void Forward<T>(Workers workers, T* y, T* rstd, T* x, T* w, int rows, int cols, double eps)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Forward(workers, y, RowLayout.Contiguous(cols), rstd, x, RowLayout.Contiguous(cols), w, rows, cols, eps);

    public static void Forward<T>(Workers workers, T* y, RowLayout yLayout, T* rstd, T* x, RowLayout xLayout, T* w, int rows, int cols, double eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var job = workers.Shared<ForwardJob<T>>();
        job.Y = y; job.Rstd = rstd; job.X = x; job.W = w; job.Rows = rows; job.Cols = cols; job.Eps = eps;
        job.YLayout = yLayout; job.XLayout = xLayout; job.Residual = null;
        workers.For(job, (rows + ChunkRows - 1) / ChunkRows);
    }

    /// <summary>
    /// y = residual + RMSNorm(x) in one pass (the block's post-norm and residual add, spec §1.3): the normed
    /// branch is never stored. Bit-identical to <see cref="Forward{T}(Workers, T*, T*, T*, T*, int, int, double)"/>
    /// followed by <see cref="Residual.Forward{T}"/>. The backward needs nothing new: the residual gradient flows
    /// through unchanged and the norm's backward reads x and rstd.
    /// </summary>
    public static void ForwardAdd<T>(Workers workers, T* y, T* rstd, T* x, T* w, T* residual, int rows, int cols, double eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var job = workers.Shared<ForwardJob<T>>();
        job.Y = y; job.Rstd = rstd; job.X = x; job.W = w; job.Rows = rows; job.Cols = cols; job.Eps = eps;
        job.YLayout = RowLayout.Contiguous(cols); job.XLayout = RowLayout.Contiguous(cols); job.Residual = residual;
        workers.For(job, (rows + ChunkRows - 1) / ChunkRows);
    }

    sealed class ForwardJob<T> : ParallelJob where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* Y, Rstd, X, W, Residual;
        public int Rows, Cols;
        public double Eps;
        public RowLayout YLayout, XLayout;

        public override void Run(int chunk, int worker)
        {
            int c = Cols;
            for (int r = chunk * ChunkRows, end = Math.Min(Rows, r + ChunkRows); r < end; r++)
            {
                T* x = X + XLayout.Offset(r, c), y = Y + YLayout.Offset(r, c);
                T rs = T.CreateTruncating(1.0 / Math.Sqrt(Vec.SumSquares(x, c) / c + Eps));
                Rstd[r] = rs;
                if (Residual == null) Vec.ScaleByOnePlus(x, rs, W, y, c);
                else Vec.ScaleByOnePlusAdd(x, rs, W, Residual + (long)r * c, y, c);
            }
        }
    }

    /// <param name="accumulateDx">Add into <paramref name="dx"/> (the residual stream's gradient) instead of overwriting it.</param>
    public static void Backward<T>(Workers workers, T* dx, T* dw, T* dy, T* x, T* rstd, T* w, int rows, int cols, bool accumulateDx)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Backward(workers, dx, dw, dy, RowLayout.Contiguous(cols), x, RowLayout.Contiguous(cols), rstd, w, rows, cols, accumulateDx);

    /// <param name="xLayout">Layout of x and dx.</param>
    /// <param name="yLayout">Layout of dy.</param>
    public static void Backward<T>(Workers workers, T* dx, T* dw, T* dy, RowLayout yLayout, T* x, RowLayout xLayout, T* rstd, T* w,
        int rows, int cols, bool accumulateDx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int chunks = (rows + ChunkRows - 1) / ChunkRows;
        var job = workers.Shared<BackwardJob<T>>();
        job.Dx = dx; job.Dy = dy; job.X = x; job.Rstd = rstd; job.W = w; job.Rows = rows; job.Cols = cols;
        job.Accumulate = accumulateDx; job.XLayout = xLayout; job.YLayout = yLayout;
        job.Partials = workers.Shared<Scratch<T>>().Get((long)chunks * cols);
        workers.For(job, chunks);
        ColumnSums.AddInto(workers, dw, job.Partials, chunks, cols);
    }

    sealed class BackwardJob<T> : ParallelJob where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* Dx, Dy, X, Rstd, W, Partials;
        public int Rows, Cols;
        public bool Accumulate;
        public RowLayout XLayout, YLayout;

        public override void Run(int chunk, int worker)
        {
            int c = Cols;
            T* part = Partials + (long)chunk * c;
            for (int j = 0; j < c; j++) part[j] = T.Zero;
            T invC = T.One / T.CreateTruncating(c);
            for (int r = chunk * ChunkRows, end = Math.Min(Rows, r + ChunkRows); r < end; r++)
            {
                long xo = XLayout.Offset(r, c);
                T* x = X + xo, dx = Dx + xo, dy = Dy + YLayout.Offset(r, c);
                T rs = Rstd[r];
                // mean(dx̂ ⊙ x̂) with dx̂ = dy ⊙ (1 + w); dw partial += dy ⊙ x̂
                T m = Vec.NormBackwardDot(dy, x, W, rs, part, c) * invC;
                Vec.NormBackwardInput(dy, x, W, rs, m, dx, c, Accumulate);
            }
        }
    }
}
