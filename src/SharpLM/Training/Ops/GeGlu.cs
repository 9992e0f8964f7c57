using System.Numerics;
using SharpLM.Kernels.Training;

namespace SharpLM.Training.Ops;

/// <summary>
/// The MLP's gated activation (spec §1.8): h = gelu_tanh(g) ⊙ u, with g = x·W_gateᵀ, u = x·W_upᵀ computed by
/// one fused projection whose rows hold g then u.
/// </summary>
/// <remarks>
/// Shapes: gu, dgu [N, 2I] (row r: g_r = gu[r, 0..I), u_r = gu[r, I..2I)); h, dh [N, I].
/// Backward: du = dh ⊙ gelu(g);  dg = dh ⊙ u ⊙ gelu'(g), gelu'(z) = ½(1 + tanh a) + ½·z·(1 − tanh² a)·√(2/π)·(1 + 3·0.044715·z²),
/// a = √(2/π)(z + 0.044715 z³). The math lives in <see cref="Vec.GeGlu{T}"/> and <see cref="Vec.GeGluBackward{T}(T*, T*, T*, T*, T*, T*, int, int)"/>.
/// </remarks>
public static unsafe class GeGlu
{
    const int RowsPerTask = 8;

    public static void Forward<T>(Workers workers, T* h, T* gu, int rows, int width) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var job = workers.Shared<Job<T>>();
        job.H = h; job.Dh = null; job.Gu = gu; job.Rows = rows; job.Width = width; job.Backward = false;
        workers.For(job, (rows + RowsPerTask - 1) / RowsPerTask);
    }

    /// <summary>dgu is overwritten; <paramref name="h"/>, when given, receives the forward's output gelu(g)⊙u again (bit-identical), computed on the way.</summary>
    public static void Backward<T>(Workers workers, T* dgu, T* dh, T* gu, int rows, int width, T* h = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var job = workers.Shared<Job<T>>();
        job.Dh = dh; job.H = h; job.Gu = gu; job.Dgu = dgu; job.Rows = rows; job.Width = width; job.Backward = true;
        workers.For(job, (rows + RowsPerTask - 1) / RowsPerTask);
    }

    /// <summary>
    /// Whether the model runs the backward fused into the down projection's input-gradient GEMM
    /// (<see cref="BackwardThroughDown{T}"/>); SHARPLM_GEGLU_FUSED=0 selects the unfused pair (GEMM into dHidden, then
    /// <see cref="Backward{T}"/>) for A/B runs. Both give the same bits.
    /// </summary>
    public static bool FusedBackward { get; set; } = Environment.GetEnvironmentVariable("SHARPLM_GEGLU_FUSED") != "0";

    /// <summary>
    /// dh = dy·W_down (dy [N,Out], W_down [Out,I]) and then <see cref="Backward{T}"/> on it, in one pass: the GEMM
    /// writes each strip of dh into the dg half of <paramref name="dgu"/> and its epilogue, while the strip is in cache,
    /// turns it into dg and du (and h = gelu(g)⊙u when <paramref name="h"/> is given). dh is never stored as an array
    /// of its own or read back from memory. Bit-identical to the unfused pair: the product's sums are the same, and
    /// each element takes the same vector or scalar path as in a whole-row <see cref="Vec.GeGluBackward{T}(T*, T*, T*, T*, T*, int, T*)"/>.
    /// </summary>
    public static void BackwardThroughDown<T>(Workers workers, T* dgu, T* dy, T* wDown, T* gu, int rows, int width, int outFeatures, T* h = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var epilogue = workers.Shared<BackwardEpilogue<T>>();
        epilogue.Gu = gu; epilogue.Dgu = dgu; epilogue.H = h; epilogue.Width = width;
        Gemm.Multiply(workers, rows, width, outFeatures, dy, outFeatures, false, wDown, width, false, dgu, 2 * width, false, epilogue);
    }

    /// <summary>The GeGLU backward of one finished strip of dh (held in dg's place, row stride 2I).</summary>
    sealed class BackwardEpilogue<T> : GemmEpilogue<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* Gu, Dgu, H;
        public int Width;

        public override void Apply(T* c, int ldc, int i0, int rows, int j0, int cols)
        {
            int I = Width, vectorEnd = I / 16 * 16 - j0; // the whole row's vector/scalar split, seen from column j0
            for (int r = 0; r < rows; r++)
            {
                long row = i0 + r;
                T* g = Gu + row * 2 * I + j0, dg = Dgu + row * 2 * I + j0, h = H == null ? null : H + row * I + j0;
                // g, u, du and h of the row below (the next row of this strip, or the first of the next strip) are
                // fetched while this row computes: short runs that the hardware prefetchers would start late
                // (measured: the fused pass 0.91–0.93× the unfused one without, 0.96–1.12× with).
                Vec.GeGluBackward(g, g + I, c + (long)r * ldc, dg, dg + I, h, cols, vectorEnd, prefetchRowGu: 2L * I, prefetchRowH: I);
            }
        }
    }

    sealed class Job<T> : ParallelJob where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* H, Dh, Gu, Dgu;
        public int Rows, Width;
        public bool Backward;

        public override void Run(int index, int worker)
        {
            int I = Width;
            for (int r = index * RowsPerTask, end = Math.Min(Rows, r + RowsPerTask); r < end; r++)
            {
                T* g = Gu + (long)r * 2 * I, u = g + I, h = H == null ? null : H + (long)r * I;
                if (Backward)
                {
                    T* dg = Dgu + (long)r * 2 * I;
                    Vec.GeGluBackward(g, u, Dh + (long)r * I, dg, dg + I, I, h);
                }
                else Vec.GeGlu(g, u, h, I);
            }
        }
    }
}
