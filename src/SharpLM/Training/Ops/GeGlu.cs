using System.Numerics;
using SharpLM.Kernels.Training;

namespace SharpLM.Training.Ops;

/// <summary>
/// The MLP's gated activation (spec §1.8): h = gelu_tanh(g) ⊙ u, with g = x·W_gateᵀ, u = x·W_upᵀ.
/// </summary>
/// <remarks>
/// Shapes: g, u, h, dg, du, dh [N, I].
/// Backward: du = dh ⊙ gelu(g);  dg = dh ⊙ u ⊙ gelu'(g), gelu'(z) = ½(1 + tanh a) + ½·z·(1 − tanh² a)·√(2/π)·(1 + 3·0.044715·z²),
/// a = √(2/π)(z + 0.044715 z³). The math lives in <see cref="Vec.GeGlu{T}"/> and <see cref="Vec.GeGluBackward{T}"/>.
/// </remarks>
public static unsafe class GeGlu
{
    const int Chunk = 4096;

    public static void Forward<T>(Workers workers, T* h, T* g, T* u, long n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var job = workers.Shared<Job<T>>();
        job.H = h; job.G = g; job.U = u; job.N = n; job.Backward = false;
        workers.For(job, checked((int)((n + Chunk - 1) / Chunk)));
    }

    public static void Backward<T>(Workers workers, T* dg, T* du, T* dh, T* g, T* u, long n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var job = workers.Shared<Job<T>>();
        job.H = dh; job.G = g; job.U = u; job.Dg = dg; job.Du = du; job.N = n; job.Backward = true;
        workers.For(job, checked((int)((n + Chunk - 1) / Chunk)));
    }

    sealed class Job<T> : ParallelJob where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* H, G, U, Dg, Du;
        public long N;
        public bool Backward;

        public override void Run(int index, int worker)
        {
            long i = (long)index * Chunk;
            int len = (int)Math.Min(Chunk, N - i);
            if (Backward) Vec.GeGluBackward(G + i, U + i, H + i, Dg + i, Du + i, len);
            else Vec.GeGlu(G + i, U + i, H + i, len);
        }
    }
}
