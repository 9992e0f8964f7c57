using SharpLM.Kernels.Training;

namespace SharpLM.Training.Optimization;

/// <summary>
/// Zeroes a float arena with all workers in pieces of <see cref="PieceElements"/> (<see cref="Vec.ClearStreaming"/>): the
/// gradient arena before each step's accumulation. One thread's memset of small's 200 MB ran outside every parallel job,
/// bound by one core's share of memory bandwidth and reading each line before overwriting it.
/// </summary>
public static unsafe class ParallelClear
{
    const long PieceElements = 1 << 20;

    /// <summary>Whether <see cref="Clear"/> splits the work over the workers; SHARPLM_ZERO_PARALLEL=0 is one thread's memset (A/B).</summary>
    internal static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("SHARPLM_ZERO_PARALLEL") != "0";

    public static void Clear(Workers workers, NativeArray<float> array)
    {
        if (!Enabled) { array.Clear(); return; }
        var job = workers.Shared<Job>();
        job.X = array.Pointer; job.Length = array.Length;
        workers.For(job, checked((int)((array.Length + PieceElements - 1) / PieceElements)));
    }

    sealed class Job : ParallelJob
    {
        public float* X;
        public long Length;

        public override void Run(int index, int worker)
        {
            long start = index * PieceElements;
            Vec.ClearStreaming(X + start, Math.Min(PieceElements, Length - start));
        }
    }
}
