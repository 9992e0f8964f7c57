using System.Numerics;
using System.Runtime.CompilerServices;
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
    /// <summary>Rows per dw partial sum (a fixed chunking, so dw does not depend on the thread count).</summary>
    internal const int ChunkRows = 32;

    /// <summary>r = (mean_j x_j² + eps)^−½ of one row: the forward's scale, computed the same way by every caller.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static T RowRstd<T>(T* x, int cols, double eps) where T : unmanaged, IFloatingPointIeee754<T> =>
        T.CreateTruncating(1.0 / Math.Sqrt(Vec.SumSquares(x, cols) / cols + eps));

    /// <summary>
    /// One row of the backward: mean(dx̂ ⊙ x̂) with dx̂ = dy ⊙ (1 + w), dw partial += dy ⊙ x̂, then dx (+)= r·(dx̂ − x̂·mean).
    /// <paramref name="invCols"/> is 1 / cols.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void BackwardRow<T>(T* dy, T* x, T* w, T rstd, T invCols, T* dwPartial, T* dx, int cols, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T m = Vec.NormBackwardDot(dy, x, w, rstd, dwPartial, cols) * invCols;
        Vec.NormBackwardInput(dy, x, w, rstd, m, dx, cols, accumulate);
    }

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
        => RunForward(workers, y, yLayout, rstd, x, xLayout, w, residual: null, next: null, nextRstd: null, nextW: null, rows, cols, eps);

    /// <summary>
    /// y = residual + RMSNorm(x) in one pass (the block's post-norm and residual add, spec §1.3): the normed
    /// branch is never stored. Bit-identical to <see cref="Forward{T}(Workers, T*, T*, T*, T*, int, int, double)"/>
    /// followed by <see cref="Residual.Forward{T}"/>. The backward needs nothing new: the residual gradient flows
    /// through unchanged and the norm's backward reads x and rstd.
    /// </summary>
    public static void ForwardAdd<T>(Workers workers, T* y, T* rstd, T* x, T* w, T* residual, int rows, int cols, double eps)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        RunForward(workers, y, RowLayout.Contiguous(cols), rstd, x, RowLayout.Contiguous(cols), w, residual, next: null, nextRstd: null, nextW: null, rows, cols, eps);

    /// <summary>
    /// <see cref="ForwardAdd{T}"/> and then the next norm of the residual stream, z = RMSNorm(y)·(1 + zw) (the
    /// block's pre-feedforward norm, the next block's input norm or the final norm), in one pass: each new
    /// residual row is normed while it is still in L1 instead of being read back from DRAM by a second job.
    /// Bit-identical to the two calls in sequence.
    /// </summary>
    public static void ForwardAddNorm<T>(Workers workers, T* y, T* rstd, T* x, T* w, T* residual, T* z, T* zRstd, T* zw,
        int rows, int cols, double eps)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        RunForward(workers, y, RowLayout.Contiguous(cols), rstd, x, RowLayout.Contiguous(cols), w, residual, z, zRstd, zw, rows, cols, eps);

    static void RunForward<T>(Workers workers, T* y, RowLayout yLayout, T* rstd, T* x, RowLayout xLayout, T* w, T* residual,
        T* next, T* nextRstd, T* nextW, int rows, int cols, double eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var job = workers.Shared<ForwardJob<T>>();
        job.Y = y; job.Rstd = rstd; job.X = x; job.W = w; job.Rows = rows; job.Cols = cols; job.Eps = eps;
        job.YLayout = yLayout; job.XLayout = xLayout; job.Residual = residual;
        job.Next = next; job.NextRstd = nextRstd; job.NextW = nextW;
        workers.For(job, (rows + ChunkRows - 1) / ChunkRows);
    }

    sealed class ForwardJob<T> : ParallelJob where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* Y, Rstd, X, W, Residual;
        public T* Next, NextRstd, NextW; // the following norm of y (contiguous), when fused
        public int Rows, Cols;
        public double Eps;
        public RowLayout YLayout, XLayout;

        public override void Run(int chunk, int worker)
        {
            int c = Cols;
            for (int r = chunk * ChunkRows, end = Math.Min(Rows, r + ChunkRows); r < end; r++)
            {
                T* x = X + XLayout.Offset(r, c), y = Y + YLayout.Offset(r, c);
                T rs = RowRstd(x, c, Eps);
                Rstd[r] = rs;
                if (Residual == null) Vec.ScaleByOnePlus(x, rs, W, y, c);
                else Vec.ScaleByOnePlusAdd(x, rs, W, Residual + (long)r * c, y, c);
                if (Next == null) continue;
                T rz = RowRstd(y, c, Eps);
                NextRstd[r] = rz;
                Vec.ScaleByOnePlus(y, rz, NextW, Next + (long)r * c, c);
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
        where T : unmanaged, IFloatingPointIeee754<T> =>
        RunBackward(workers, dx, dw, dy, yLayout, x, xLayout, rstd, w, accumulateDx, dx2: null, dw2: null, x2: null, rstd2: null, w2: null, rows, cols);

    /// <summary>
    /// Two norm backwards in one pass over the rows, the second reading the first's dx as its dy (contiguous
    /// layouts): the residual stream's gradient gets the first norm's contribution (<paramref name="accumulateDx"/>)
    /// and, while the row is hot, the norm that produced that residual input in the forward turns it into its own
    /// branch gradient dx2 (overwritten). The block backward's pre-feedforward norm followed by its post-attention
    /// norm, and a block's input norm followed by the previous block's post-feedforward norm (or the final norm
    /// followed by the last block's). Bit-identical to the two <see cref="Backward{T}(Workers, T*, T*, T*, T*, T*, T*, int, int, bool)"/>
    /// calls in sequence: same rows, same chunks for dw, same reduction order.
    /// </summary>
    public static void BackwardThen<T>(Workers workers, T* dx, T* dw, T* dy, T* x, T* rstd, T* w, bool accumulateDx,
        T* dx2, T* dw2, T* x2, T* rstd2, T* w2, int rows, int cols)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        RunBackward(workers, dx, dw, dy, RowLayout.Contiguous(cols), x, RowLayout.Contiguous(cols), rstd, w, accumulateDx, dx2, dw2, x2, rstd2, w2, rows, cols);

    /// <summary>The backward job, with a second norm (<paramref name="dx2"/> non-null) fused after the first.</summary>
    static void RunBackward<T>(Workers workers, T* dx, T* dw, T* dy, RowLayout yLayout, T* x, RowLayout xLayout, T* rstd, T* w, bool accumulateDx,
        T* dx2, T* dw2, T* x2, T* rstd2, T* w2, int rows, int cols)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int chunks = (rows + ChunkRows - 1) / ChunkRows, norms = dx2 == null ? 1 : 2;
        var job = workers.Shared<BackwardJob<T>>();
        job.Dx = dx; job.Dy = dy; job.X = x; job.Rstd = rstd; job.W = w; job.Rows = rows; job.Cols = cols;
        job.Accumulate = accumulateDx; job.XLayout = xLayout; job.YLayout = yLayout;
        job.Dx2 = dx2; job.X2 = x2; job.Rstd2 = rstd2; job.W2 = w2;
        job.Partials = workers.Shared<Scratch<T>>().Get(norms * (long)chunks * cols);
        job.Partials2 = job.Partials + (long)chunks * cols;
        workers.For(job, chunks);
        ColumnSums.AddInto(workers, dw, job.Partials, chunks, cols);
        if (dx2 != null) ColumnSums.AddInto(workers, dw2, job.Partials2, chunks, cols);
    }

    sealed class BackwardJob<T> : ParallelJob where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* Dx, Dy, X, Rstd, W, Partials;
        public T* Dx2, X2, Rstd2, W2, Partials2; // the second norm of BackwardThen (its dy is Dx)
        public int Rows, Cols;
        public bool Accumulate;
        public RowLayout XLayout, YLayout;

        public override void Run(int chunk, int worker)
        {
            int c = Cols;
            T* part = Partials + (long)chunk * c;
            for (int j = 0; j < c; j++) part[j] = T.Zero;
            T* part2 = Dx2 == null ? null : Partials2 + (long)chunk * c;
            if (part2 != null) new Span<T>(part2, c).Clear();
            T invC = T.One / T.CreateTruncating(c);
            for (int r = chunk * ChunkRows, end = Math.Min(Rows, r + ChunkRows); r < end; r++)
            {
                long xo = XLayout.Offset(r, c);
                T* x = X + xo, dx = Dx + xo, dy = Dy + YLayout.Offset(r, c);
                T rs = Rstd[r];
                BackwardRow(dy, x, W, rs, invC, part, dx, c, Accumulate);
                if (Dx2 == null) continue;
                BackwardRow(dx, X2 + (long)r * c, W2, Rstd2[r], invC, part2, Dx2 + (long)r * c, c, accumulate: false);
            }
        }
    }
}
