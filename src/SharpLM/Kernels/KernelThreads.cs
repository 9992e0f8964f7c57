using SharpLM.Threading;

namespace SharpLM.Kernels;

/// <summary>
/// How many threads the matrix kernels may use (the CLI's <c>--threads</c>). One process-wide setting,
/// so model code never threads a count through every call.
/// </summary>
public static class KernelThreads
{
    static int s_count = Environment.ProcessorCount;

    /// <summary>Threads for one kernel call (≥ 1); defaults to the machine's logical processors.</summary>
    public static int Count
    {
        get => s_count;
        set => s_count = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), "thread count must be at least 1");
    }

    static WorkerPool? s_pool;

    /// <summary>
    /// The persistent worker pool the kernels run on: <see cref="Count"/> threads, the caller included. A new
    /// pool is made when <see cref="Count"/> changes (a pool made for an earlier count is left parked: a call
    /// may still be using it).
    /// </summary>
    public static WorkerPool Pool
    {
        get
        {
            var p = s_pool;
            if (p is not null && p.ThreadCount == s_count) return p;
            lock (typeof(KernelThreads))
            {
                if (s_pool is null || s_pool.ThreadCount != s_count) s_pool = new WorkerPool(s_count);
                return s_pool;
            }
        }
    }

    internal static ParallelOptions Options(int parts) => new() { MaxDegreeOfParallelism = Math.Min(parts, s_count) };
}
