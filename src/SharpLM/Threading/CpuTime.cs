using System.Runtime.InteropServices;

namespace SharpLM.Threading;

/// <summary>
/// CPU time from the kernel's clocks (Linux <c>clock_gettime</c>): the calling thread's or the whole process's,
/// in seconds, NaN where the clock is not available. Benchmarks and diagnostics read it because a busy machine
/// disturbs CPU time far less than wall time.
/// </summary>
internal static partial class CpuTime
{
    const int ClockProcessCpuTime = 2, ClockThreadCpuTime = 3; // CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID

    /// <summary>CPU time of the calling thread, NaN off Linux.</summary>
    public static double ThreadSeconds() => Read(ClockThreadCpuTime);

    /// <summary>CPU time of the whole process (all threads), NaN off Linux.</summary>
    public static double ProcessSeconds() => Read(ClockProcessCpuTime);

    static double Read(int clock) =>
        OperatingSystem.IsLinux() && ClockGetTime(clock, out var t) == 0 ? t.Seconds + t.Nanoseconds * 1e-9 : double.NaN;

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec value);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec { public long Seconds; public long Nanoseconds; }
}
