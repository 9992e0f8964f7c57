using SharpLM.Kernels.Training;

namespace SharpLM.Tests.Kernels;

public class TrainingWorkersTests
{
    sealed class SleepJob : ParallelJob
    {
        public int Ran;
        public override void Run(int index, int worker)
        {
            Interlocked.Increment(ref Ran);
            Thread.Sleep(index == 0 ? 40 : 1); // one long item: the other worker finishes early and waits
        }
    }

    [Fact]
    public void Profile_records_wall_time_calls_and_the_workers_busy_time_per_job_type()
    {
        using var workers = new Workers(2) { Profile = [] };
        var job = new SleepJob();
        workers.For(job, 4);
        workers.For(job, 4);
        Assert.Equal(8, job.Ran);
        var table = workers.Profile!;
        var (ticks, calls, busy) = table[typeof(SleepJob)];
        Assert.Equal(2, calls);
        // Busy is the workers' time inside items: at least the long items' 2 × 40 ms, at most wall × workers.
        Assert.True(busy >= 2 * 0.035 * System.Diagnostics.Stopwatch.Frequency, $"busy {busy} ticks");
        Assert.True(busy <= ticks * workers.Count, $"busy {busy} > wall {ticks} × {workers.Count}");
        // Without a profile nothing is recorded.
        workers.Profile = null;
        workers.For(job, 4);
        Assert.Equal(busy, table[typeof(SleepJob)].Busy);
    }
}
