using System.Diagnostics;
using System.Globalization;
using System.Text;
using SharpLM.IO;

namespace SharpLM.Data.Pipeline.Executors;

/// <summary>
/// Submits a <see cref="PipelineJob"/> to Slurm: one job array per stage (<c>sbatch --array</c> over the
/// ranks not yet complete, <c>%workers</c> at a time), each stage depending on the previous one with
/// <c>--dependency=afterok</c>, then a one-task stats-merge job. Stages with nothing left are not submitted.
/// With <see cref="SlurmOptions.Wait"/> it then polls the completion markers until the merge is done or the
/// jobs have left the queue without finishing.
/// </summary>
public sealed class SlurmExecutor(PipelineJob job, WorkerCommand worker, Action<string> say)
{
    /// <summary>The sbatch/squeue programs (overridable for tests or unusual installs).</summary>
    public string Sbatch { get; init; } = "sbatch";
    public string Squeue { get; init; } = "squeue";
    /// <summary>Extra environment for sbatch/squeue (e.g. <c>SLURM_CONF</c> of a private cluster); jobs inherit it.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Submits; returns the job ids in stage order (stages with nothing to do have none).</summary>
    public List<string> Submit()
    {
        job.Prepare();
        var ids = new List<string>();
        string? previous = null;
        var dir = Path.Combine(job.Layout.Work, "slurm");
        Directory.CreateDirectory(dir);
        Directory.CreateDirectory(job.Layout.Logs);
        foreach (var stage in JobLayout.Stages)
        {
            var pending = Enumerable.Range(0, job.RanksOf(stage)).Where(r => !job.Layout.IsComplete(stage, r)).ToList();
            if (pending.Count == 0) continue;
            var script = Path.Combine(dir, stage + ".sbatch");
            AtomicFile.WriteAllText(script, Script(stage));
            var args = new List<string> { "--parsable", $"--job-name=sharplm-{stage}", $"--array={ArraySpecWithLimit(pending)}",
                "--output=" + Path.Combine(job.Layout.Logs, $"{stage}-%a.slurm.log") };
            var o = job.Config.Slurm;
            if (previous is not null) args.Add($"--dependency=afterok:{previous}");
            if (o.Partition is not null) args.Add("--partition=" + o.Partition);
            if (o.Time is not null) args.Add("--time=" + o.Time);
            args.Add("--cpus-per-task=" + o.CpusPerTask.ToString(CultureInfo.InvariantCulture));
            if (o.MemPerCpu is not null) args.Add("--mem-per-cpu=" + o.MemPerCpu);
            args.AddRange(o.SbatchArgs);
            args.Add(script);
            var output = RunTool(Sbatch, args);
            var id = output.Trim().Split(';')[0];
            if (id.Length == 0 || !id.All(char.IsAsciiDigit)) throw new InvalidOperationException($"sbatch printed '{output.Trim()}', not a job id");
            say($"submitted {stage}: job {id}, ranks {ArraySpec(pending)}" + (previous is null ? "" : $", after {previous}"));
            ids.Add(id);
            previous = id;
        }
        return ids;
    }

    /// <summary>Polls until the merge stage is complete; throws when the jobs left the queue without completing.</summary>
    public void Wait(IReadOnlyList<string> ids, CancellationToken cancel, TimeSpan? poll = null)
    {
        while (!job.Layout.IsComplete(JobLayout.Merge, 0))
        {
            cancel.ThrowIfCancellationRequested();
            Thread.Sleep(poll ?? TimeSpan.FromSeconds(2));
            if (job.Layout.IsComplete(JobLayout.Merge, 0)) break;
            if (ids.Count > 0 && RunTool(Squeue, ["-h", "-o", "%i", "-j", string.Join(",", ids)]).Trim().Length == 0
                && !job.Layout.IsComplete(JobLayout.Merge, 0))
            {
                var failed = JobLayout.Stages.SelectMany(s => Enumerable.Range(0, job.RanksOf(s)).Where(r => !job.Layout.IsComplete(s, r)).Select(r => (s, r))).First();
                throw new RankFailedException(failed.s, failed.r, "the Slurm jobs ended without completing it", Path.Combine(job.Layout.Logs, $"{failed.s}-{failed.r}.slurm.log"));
            }
        }
    }

    static string ArraySpec(List<int> ranks) => string.Join(",", Compress(ranks));

    string ArraySpecWithLimit(List<int> ranks) =>
        ArraySpec(ranks) + (job.Config.Workers < ranks.Count ? "%" + job.Config.Workers.ToString(CultureInfo.InvariantCulture) : "");

    // 0,1,2,3,7 → 0-3,7 (Slurm limits the length of --array).
    static IEnumerable<string> Compress(List<int> ranks)
    {
        for (int i = 0; i < ranks.Count;)
        {
            int j = i;
            while (j + 1 < ranks.Count && ranks[j + 1] == ranks[j] + 1) j++;
            yield return j == i ? ranks[i].ToString(CultureInfo.InvariantCulture) : $"{ranks[i]}-{ranks[j]}";
            i = j + 1;
        }
    }

    string Script(string stage)
    {
        var sb = new StringBuilder();
        sb.Append("#!/bin/bash\n");
        sb.Append("# Written by sharplm data pipeline: one rank of stage '").Append(stage).Append("' per array task.\n");
        sb.Append("set -euo pipefail\n");
        foreach (var line in job.Config.Slurm.Setup) sb.Append(line).Append('\n');
        sb.Append("exec ").Append(Quote(worker.FileName));
        foreach (var a in worker.ArgsFor(job.Layout.ExecutorJson, stage, "$SLURM_ARRAY_TASK_ID"))
            sb.Append(' ').Append(a == "$SLURM_ARRAY_TASK_ID" || a.EndsWith(":$SLURM_ARRAY_TASK_ID", StringComparison.Ordinal) ? "\"" + a + "\"" : Quote(a));
        sb.Append('\n');
        return sb.ToString();
    }

    static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";

    string RunTool(string tool, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in Environment) psi.Environment[k] = v;
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e) { throw new SharpLMDataException(tool, "cannot run (is Slurm installed and on PATH?): " + e.Message); }
        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new SharpLMDataException(tool, $"failed (exit {p.ExitCode}): {stderr.Result.Trim()}");
            return stdout.Result;
        }
    }
}
