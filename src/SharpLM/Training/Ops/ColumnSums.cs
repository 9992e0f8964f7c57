using System.Numerics;
using SharpLM.Kernels.Training;

namespace SharpLM.Training.Ops;

/// <summary>
/// dst[j] += Σ_k partials[k, j], summing k in order: the fixed-order reduction that keeps parameter gradients
/// independent of how many threads produced the partials.
/// </summary>
public static unsafe class ColumnSums
{
    const int ColumnsPerTask = 256;

    public static void AddInto<T>(Workers workers, T* dst, T* partials, int count, int cols) where T : unmanaged, INumber<T>
    {
        var job = workers.Shared<Job<T>>();
        job.Dst = dst; job.Partials = partials; job.Count = count; job.Cols = cols;
        workers.For(job, (cols + ColumnsPerTask - 1) / ColumnsPerTask);
    }

    sealed class Job<T> : ParallelJob where T : unmanaged, INumber<T>
    {
        public T* Dst, Partials;
        public int Count, Cols;

        public override void Run(int index, int worker)
        {
            int j0 = index * ColumnsPerTask, j1 = Math.Min(Cols, j0 + ColumnsPerTask);
            for (int j = j0; j < j1; j++)
            {
                T s = T.Zero;
                for (int k = 0; k < Count; k++) s += Partials[(long)k * Cols + j];
                Dst[j] += s;
            }
        }
    }
}
