using System.Numerics;
using SharpLM.Kernels.Training;

namespace SharpLM.Training.Ops;

/// <summary>
/// QK-norm and RoPE for q and k in one pass per token (spec §1.3, §1.5): each head vector is read out of the fused
/// q|k|v projection row, normalised into its contiguous q or k row and rotated while it is still in L1. Replaces
/// two <see cref="RmsNorm"/> and two <see cref="Rope"/> calls each way (four passes over q and k, four jobs).
/// </summary>
/// <remarks>
/// Bit-identical to the unfused ops: the same <see cref="Vec"/> norm kernels and <see cref="Rope.RotateRow{T}"/>
/// on the same values in the same order, and the norm weights' gradients are summed over the same 32 norm-row
/// chunks as <see cref="RmsNorm.Backward{T}(Workers, T*, T*, T*, RmsNorm.RowLayout, T*, RmsNorm.RowLayout, T*, T*, int, int, bool)"/>
/// (a task is 32 tokens = whole chunks for any head count), then reduced in chunk order, so they do not depend
/// on the thread count either. Norm rows are (token, head): rstd [N·heads].
/// Backward: dq and dk (the attention's gradients, [N, heads, d]) are rotated back in place, then the norm
/// backward writes dx into the q and k parts of the dqkv rows (overwriting).
/// </remarks>
public static unsafe class QkNormRope
{
    const int TokensPerTask = 32;
    const int ChunkRows = RmsNorm.ChunkRows; // the norm weights' gradients are summed over the same row chunks

    public readonly record struct Shape(int Rows, int SeqLen, int Heads, int KvHeads, int HeadDim, int QkvWidth);

    public static void Forward<T>(Workers workers, T* q, T* qRstd, T* k, T* kRstd, T* qkv, T* qNorm, T* kNorm, T* cos, T* sin,
        in Shape s, double eps) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var job = workers.Shared<Job<T>>();
        job.Set(s, q, qRstd, k, kRstd, qkv, qNorm, kNorm, cos, sin);
        job.Eps = eps; job.Backward = false;
        workers.For(job, (s.Rows + TokensPerTask - 1) / TokensPerTask);
    }

    /// <param name="dq">dL/d(rotated q) [N, heads, d]; rotated back in place (scratch afterwards).</param>
    /// <param name="dqkv">Receives dL/dq and dL/dk in the q and k parts of its rows (overwritten; the v part is untouched).</param>
    public static void Backward<T>(Workers workers, T* dqkv, T* dqNorm, T* dkNorm, T* dq, T* dk, T* qkv, T* qRstd, T* kRstd,
        T* qNorm, T* kNorm, T* cos, T* sin, in Shape s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int qChunks = (s.Rows * s.Heads + ChunkRows - 1) / ChunkRows, kChunks = (s.Rows * s.KvHeads + ChunkRows - 1) / ChunkRows;
        var job = workers.Shared<Job<T>>();
        job.Set(s, dq, qRstd, dk, kRstd, qkv, qNorm, kNorm, cos, sin);
        job.Dqkv = dqkv; job.Backward = true;
        job.QPartials = workers.Shared<Scratch<T>>().Get((long)(qChunks + kChunks) * s.HeadDim);
        job.KPartials = job.QPartials + (long)qChunks * s.HeadDim;
        workers.For(job, (s.Rows + TokensPerTask - 1) / TokensPerTask);
        ColumnSums.AddInto(workers, dqNorm, job.QPartials, qChunks, s.HeadDim);
        ColumnSums.AddInto(workers, dkNorm, job.KPartials, kChunks, s.HeadDim);
    }

    sealed class Job<T> : ParallelJob where T : unmanaged, IFloatingPointIeee754<T>
    {
        Shape _s;
        T* _q, _qRstd, _k, _kRstd, _qkv, _qNorm, _kNorm, _cos, _sin;
        bool _vector;
        public T* Dqkv, QPartials, KPartials;
        public double Eps;
        public bool Backward;

        public void Set(in Shape s, T* q, T* qRstd, T* k, T* kRstd, T* qkv, T* qNorm, T* kNorm, T* cos, T* sin)
        {
            _s = s; _q = q; _qRstd = qRstd; _k = k; _kRstd = kRstd; _qkv = qkv; _qNorm = qNorm; _kNorm = kNorm; _cos = cos; _sin = sin;
            _vector = Rope.VectorApplies<T>(s.HeadDim);
        }

        public override void Run(int index, int worker)
        {
            var s = _s;
            int d = s.HeadDim, half = d / 2;
            for (int r = index * TokensPerTask, end = Math.Min(s.Rows, r + TokensPerTask); r < end; r++)
            {
                int pos = r % s.SeqLen;
                T* c = _cos + (long)pos * half, sn = _sin + (long)pos * half;
                T* qkvRow = _qkv + (long)r * s.QkvWidth;
                if (Backward)
                {
                    HeadsBackward(r, s.Heads, qkvRow, Dqkv + (long)r * s.QkvWidth, _q, _qRstd, _qNorm, QPartials, c, sn, d);
                    HeadsBackward(r, s.KvHeads, qkvRow + (long)s.Heads * d, Dqkv + (long)r * s.QkvWidth + (long)s.Heads * d, _k, _kRstd, _kNorm, KPartials, c, sn, d);
                }
                else
                {
                    HeadsForward(r, s.Heads, qkvRow, _q, _qRstd, _qNorm, c, sn, d);
                    HeadsForward(r, s.KvHeads, qkvRow + (long)s.Heads * d, _k, _kRstd, _kNorm, c, sn, d);
                }
            }
        }

        /// <summary>Token r's heads: y = RMSNorm(x)·(1 + w) per head (RmsNorm's forward row), then RoPE on all of them.</summary>
        void HeadsForward(int r, int heads, T* x, T* y, T* rstd, T* w, T* c, T* sn, int d)
        {
            T* yRow = y + (long)r * heads * d;
            for (int h = 0; h < heads; h++)
            {
                long row = (long)r * heads + h;
                T rs = RmsNorm.RowRstd(x + (long)h * d, d, Eps);
                rstd[row] = rs;
                Vec.ScaleByOnePlus(x + (long)h * d, rs, w, yRow + (long)h * d, d);
            }
            Rope.RotateRow(yRow, c, sn, heads, d, inverse: false, _vector);
        }

        /// <summary>Token r's heads: dy rotated back in place, then RmsNorm's backward row per head into dx.</summary>
        void HeadsBackward(int r, int heads, T* x, T* dx, T* dy, T* rstd, T* w, T* partials, T* c, T* sn, int d)
        {
            T* dyRow = dy + (long)r * heads * d;
            Rope.RotateRow(dyRow, c, sn, heads, d, inverse: true, _vector);
            T invC = T.One / T.CreateTruncating(d);
            for (int h = 0; h < heads; h++)
            {
                long row = (long)r * heads + h;
                T* part = partials + row / ChunkRows * d;
                if (row % ChunkRows == 0) new Span<T>(part, d).Clear();
                RmsNorm.BackwardRow(dyRow + (long)h * d, x + (long)h * d, w, rstd[row], invC, part, dx + (long)h * d, d, accumulate: false);
            }
        }
    }
}
