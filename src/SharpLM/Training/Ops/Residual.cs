using System.Numerics;
using SharpLM.Kernels.Training;

namespace SharpLM.Training.Ops;

/// <summary>
/// The residual add of the block (spec §1.3): h = r + branch. Shapes: all [N, H].
/// Backward is the identity into both inputs; the model keeps one running residual gradient, so there is
/// nothing to compute here.
/// </summary>
public static unsafe class Residual
{
    const int Chunk = 8192;

    /// <summary>y = a + b (y may alias a).</summary>
    public static void Forward<T>(Workers workers, T* y, T* a, T* b, long n) where T : unmanaged, INumber<T>
    {
        var job = workers.Shared<Job<T>>();
        job.Y = y; job.A = a; job.B = b; job.N = n;
        workers.For(job, checked((int)((n + Chunk - 1) / Chunk)));
    }

    sealed class Job<T> : ParallelJob where T : unmanaged, INumber<T>
    {
        public T* Y, A, B;
        public long N;

        public override void Run(int index, int worker)
        {
            long i = (long)index * Chunk;
            int len = (int)Math.Min(Chunk, N - i);
            if (Y != A) Buffer.MemoryCopy(A + i, Y + i, (long)len * sizeof(T), (long)len * sizeof(T));
            Vec.Add(B + i, Y + i, len);
        }
    }
}
