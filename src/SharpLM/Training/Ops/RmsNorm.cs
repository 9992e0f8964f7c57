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
/// </remarks>
public static unsafe class RmsNorm
{
    const int ChunkRows = 32;

    public static void Forward<T>(Workers workers, T* y, T* rstd, T* x, T* w, int rows, int cols, double eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var job = workers.Shared<ForwardJob<T>>();
        job.Y = y; job.Rstd = rstd; job.X = x; job.W = w; job.Rows = rows; job.Cols = cols; job.Eps = eps;
        workers.For(job, (rows + ChunkRows - 1) / ChunkRows);
    }

    sealed class ForwardJob<T> : ParallelJob where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* Y, Rstd, X, W;
        public int Rows, Cols;
        public double Eps;

        public override void Run(int chunk, int worker)
        {
            int c = Cols;
            for (int r = chunk * ChunkRows, end = Math.Min(Rows, r + ChunkRows); r < end; r++)
            {
                T* x = X + (long)r * c, y = Y + (long)r * c;
                T rs = T.CreateTruncating(1.0 / Math.Sqrt(Vec.SumSquares(x, c) / c + Eps));
                Rstd[r] = rs;
                for (int j = 0; j < c; j++) y[j] = x[j] * rs * (T.One + W[j]);
            }
        }
    }

    /// <param name="accumulateDx">Add into <paramref name="dx"/> (the residual stream's gradient) instead of overwriting it.</param>
    public static void Backward<T>(Workers workers, T* dx, T* dw, T* dy, T* x, T* rstd, T* w, int rows, int cols, bool accumulateDx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int chunks = (rows + ChunkRows - 1) / ChunkRows;
        var job = workers.Shared<BackwardJob<T>>();
        job.Dx = dx; job.Dy = dy; job.X = x; job.Rstd = rstd; job.W = w; job.Rows = rows; job.Cols = cols;
        job.Accumulate = accumulateDx;
        job.Partials = workers.Shared<Scratch<T>>().Get((long)chunks * cols);
        workers.For(job, chunks);
        ColumnSums.AddInto(workers, dw, job.Partials, chunks, cols);
    }

    sealed class BackwardJob<T> : ParallelJob where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* Dx, Dy, X, Rstd, W, Partials;
        public int Rows, Cols;
        public bool Accumulate;

        public override void Run(int chunk, int worker)
        {
            int c = Cols;
            T* part = Partials + (long)chunk * c;
            for (int j = 0; j < c; j++) part[j] = T.Zero;
            T invC = T.One / T.CreateTruncating(c);
            for (int r = chunk * ChunkRows, end = Math.Min(Rows, r + ChunkRows); r < end; r++)
            {
                T* x = X + (long)r * c, dy = Dy + (long)r * c, dx = Dx + (long)r * c;
                T rs = Rstd[r];
                // mean(dx̂ ⊙ x̂), with dx̂ = dy ⊙ (1 + w)
                T dot = T.Zero;
                for (int j = 0; j < c; j++)
                {
                    T xh = x[j] * rs;
                    part[j] += dy[j] * xh;
                    dot += dy[j] * (T.One + W[j]) * xh;
                }
                T m = dot * invC;
                if (Accumulate)
                    for (int j = 0; j < c; j++) dx[j] += rs * (dy[j] * (T.One + W[j]) - x[j] * rs * m);
                else
                    for (int j = 0; j < c; j++) dx[j] = rs * (dy[j] * (T.One + W[j]) - x[j] * rs * m);
            }
        }
    }
}
