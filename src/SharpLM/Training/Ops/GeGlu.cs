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
/// a = √(2/π)(z + 0.044715 z³). The math lives in <see cref="Vec.GeGlu{T}"/> and <see cref="Vec.GeGluBackward{T}"/>.
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
