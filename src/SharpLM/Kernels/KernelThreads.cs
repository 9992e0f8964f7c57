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

    internal static ParallelOptions Options(int parts) => new() { MaxDegreeOfParallelism = Math.Min(parts, s_count) };
}
