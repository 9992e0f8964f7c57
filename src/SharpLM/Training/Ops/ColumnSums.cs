using System.Numerics;
using System.Runtime.Intrinsics;
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
            int j0 = index * ColumnsPerTask, j1 = Math.Min(Cols, j0 + ColumnsPerTask), j = j0;
            if (typeof(T) == typeof(float) && Vector256.IsHardwareAccelerated && Vec.Loops256)
                j = SumColumns256((float*)Dst, (float*)Partials, Count, Cols, j0, j1);
            for (; j < j1; j++)
            {
                T s = T.Zero;
                for (int k = 0; k < Count; k++) s += Partials[(long)k * Cols + j];
                Dst[j] += s;
            }
        }
    }

    /// <summary>
    /// Columns [j0, j1) 32 and then 8 at a time: each lane sums its column over k in order from zero and adds it to dst, the
    /// scalar loop's operations, so the same bits. Four vectors are four add chains, and each partial row is read 128 bytes
    /// at a time instead of 4-byte loads a row's stride apart. Returns where the vector part ends.
    /// </summary>
    static int SumColumns256(float* dst, float* partials, int count, int cols, int j0, int j1)
    {
        int j = j0;
        for (; j + 32 <= j1; j += 32)
        {
            Vector256<float> s0 = Vector256<float>.Zero, s1 = s0, s2 = s0, s3 = s0;
            for (int k = 0; k < count; k++)
            {
                float* p = partials + (long)k * cols + j;
                s0 += Vector256.Load(p); s1 += Vector256.Load(p + 8); s2 += Vector256.Load(p + 16); s3 += Vector256.Load(p + 24);
            }
            (Vector256.Load(dst + j) + s0).Store(dst + j);
            (Vector256.Load(dst + j + 8) + s1).Store(dst + j + 8);
            (Vector256.Load(dst + j + 16) + s2).Store(dst + j + 16);
            (Vector256.Load(dst + j + 24) + s3).Store(dst + j + 24);
        }
        for (; j + 8 <= j1; j += 8)
        {
            var s = Vector256<float>.Zero;
            for (int k = 0; k < count; k++) s += Vector256.Load(partials + (long)k * cols + j);
            (Vector256.Load(dst + j) + s).Store(dst + j);
        }
        return j;
    }
}
