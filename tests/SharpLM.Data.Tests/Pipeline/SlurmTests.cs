using SharpLM.Data.Pipeline;
using SharpLM.Data.Pipeline.Executors;

namespace SharpLM.Data.Tests.Pipeline;

/// <summary>The Slurm executor against a real local Slurm (munged + slurmctld + slurmd on loopback).</summary>
public class SlurmTests
{
    [Fact]
    public void TwoTaskPipelineRunsThroughSlurmAndMatchesALocalRun()
    {
        var root = TestPaths.NewTempDir();
        var input = PipelineTests.BuildCrawl(Path.Combine(root, "in"), hostile: false);
        var local = PipelineTests.Config(input, Path.Combine(root, "local"), tasks: 2);
        new LocalExecutor(new PipelineJob(local), null, null).Run();

        using var slurm = new LocalSlurm();
        var config = PipelineTests.Config(input, Path.Combine(root, "slurm"), tasks: 2) with { Executor = "slurm", Workers = 2 };
        var job = new PipelineJob(config);
        var messages = new List<string>();
        var executor = new SlurmExecutor(job, PipelineTests.Worker, messages.Add) { Environment = slurm.Environment };
        var ids = executor.Submit();
        Assert.Equal(4, ids.Count); // extract (array 0-1), dedup, finalize (array 0-1), merge
        Assert.Contains(messages, m => m.Contains("submitted finalize") && m.Contains("ranks 0-1") && m.Contains("after " + ids[1]));
        // A bound on the wait: if Slurm keeps requeueing a failing job, the test fails with a message instead of hanging CI.
        using (var limit = new CancellationTokenSource(TimeSpan.FromMinutes(5)))
        {
            try { executor.Wait(ids, limit.Token, TimeSpan.FromMilliseconds(300)); }
            catch (OperationCanceledException) { Assert.Fail($"the Slurm jobs {string.Join(",", ids)} did not complete within 5 minutes (requeued?); see {Path.Combine(config.Output, "logs")}"); }
        }

        Assert.Equal(PipelineTests.Snapshot(local.Output), PipelineTests.Snapshot(config.Output));
        Assert.True(File.Exists(Path.Combine(config.Output, "logs", "extract-1.slurm.log")));
        // Everything is complete: a second submission has nothing to do.
        Assert.Empty(new SlurmExecutor(new PipelineJob(config), PipelineTests.Worker, _ => { }) { Environment = slurm.Environment }.Submit());
    }
}
