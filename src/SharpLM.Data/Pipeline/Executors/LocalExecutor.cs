using System.Diagnostics;
using System.Text.Json;
using SharpLM.Diagnostics;

namespace SharpLM.Data.Pipeline.Executors;

/// <summary>
/// Runs a <see cref="PipelineJob"/> on this machine, stage after stage: with one worker every rank runs in
/// this process; with more, each rank runs in its own worker process (<see cref="WorkerCommand"/>), at most
/// <see cref="PipelineConfig.Workers"/> at a time. Completed ranks are skipped, so running the same command
/// after a crash or a kill resumes the job.
/// </summary>
/// <param name="progressFor">Makes the progress display of a stage (e.g. <c>s => new ProgressReporter("pipeline " + s, 0, "pages")</c>); null for none.</param>
public sealed class LocalExecutor(PipelineJob job, WorkerCommand? worker, Func<string, ProgressReporter>? progressFor)
{
    public void Run(CancellationToken cancel = default)
    {
        job.Prepare();
        foreach (var stage in JobLayout.Stages)
        {
            var pending = Enumerable.Range(0, job.RanksOf(stage)).Where(r => !job.Layout.IsComplete(stage, r)).ToList();
            if (pending.Count == 0) continue;
            progress = progressFor?.Invoke(stage);
            try
            {
                if (job.Config.Workers <= 1 || worker is null || pending.Count == 1)
                    RunInProcess(stage, pending, cancel);
                else
                    RunWorkers(stage, pending, cancel);
                progress?.Finish(_lastStatus);
            }
            finally
            {
                progress?.Dispose();
                progress = null;
            }
        }
    }

    ProgressReporter? progress;
    string? _lastStatus;

    void RunInProcess(string stage, List<int> ranks, CancellationToken cancel)
    {
        var totals = new RankProgress();
        long basePages = 0, baseKept = 0;
        foreach (var rank in ranks)
        {
            var p = new RankProgress();
            using var timer = progress is null ? null : new Timer(_ => Report(stage, basePages + p.Pages, baseKept + p.Kept), null, 500, 500);
            job.RunRank(stage, rank, p, cancel);
            basePages += p.Pages;
            baseKept += p.Kept;
        }
        Report(stage, basePages, baseKept);
    }

    void RunWorkers(string stage, List<int> ranks, CancellationToken cancel)
    {
        var queue = new Queue<int>(ranks);
        var running = new List<(int Rank, Process Process)>();
        try
        {
            while (queue.Count > 0 || running.Count > 0)
            {
                cancel.ThrowIfCancellationRequested();
                while (running.Count < job.Config.Workers && queue.Count > 0)
                {
                    int rank = queue.Dequeue();
                    running.Add((rank, Start(stage, rank)));
                }
                Thread.Sleep(200);
                foreach (var (rank, process) in running.ToArray())
                {
                    if (!process.HasExited) continue;
                    running.RemoveAll(x => x.Rank == rank);
                    if (process.ExitCode != 0 || !job.Layout.IsComplete(stage, rank))
                        throw new RankFailedException(stage, rank, $"worker exit code {process.ExitCode}", job.Layout.Log(stage, rank));
                    process.Dispose();
                }
                ReportFromFiles(stage);
            }
        }
        finally
        {
            // On failure or cancellation, stop the other workers: their ranks rerun from scratch next time.
            foreach (var (_, p) in running)
            {
                try { if (!p.HasExited) p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                p.Dispose();
            }
        }
    }

    Process Start(string stage, int rank)
    {
        var psi = new ProcessStartInfo(worker!.FileName)
        {
            RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false,
        };
        foreach (var a in worker.ArgsFor(job.Layout.ExecutorJson, stage, rank.ToString(System.Globalization.CultureInfo.InvariantCulture))) psi.ArgumentList.Add(a);
        var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start worker " + worker.FileName);
        var log = job.Layout.Log(stage, rank);
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);
        void Append(string? line)
        {
            if (line is null) return;
            lock (this) File.AppendAllText(log, line + "\n");
        }
        p.OutputDataReceived += (_, e) => Append(e.Data);
        p.ErrorDataReceived += (_, e) => Append(e.Data);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    void ReportFromFiles(string stage)
    {
        if (progress is null) return;
        long pages = 0, kept = 0;
        for (int r = 0; r < job.RanksOf(stage); r++)
        {
            var path = job.Layout.Progress(stage, r);
            if (!File.Exists(path)) continue;
            try
            {
                var p = JsonSerializer.Deserialize(File.ReadAllText(path), DataJsonContext.Default.RankProgress);
                if (p is null) continue;
                pages += p.Pages;
                kept += p.Kept;
            }
            catch (Exception e) when (e is IOException or JsonException) { } // being replaced right now; next poll
        }
        Report(stage, pages, kept);
    }

    void Report(string stage, long pages, long kept)
    {
        int done = Enumerable.Range(0, job.RanksOf(stage)).Count(r => job.Layout.IsComplete(stage, r));
        _lastStatus = $"kept {kept} | ranks {done}/{job.RanksOf(stage)}";
        progress?.Report(pages, _lastStatus);
    }
}
