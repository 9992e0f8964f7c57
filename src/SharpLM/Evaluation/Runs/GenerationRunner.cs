using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SharpLM.Diagnostics;
using SharpLM.Evaluation.Backends;
using SharpLM.Evaluation.Scoring;
using SharpLM.Evaluation.Tasks;

namespace SharpLM.Evaluation.Runs;

/// <summary>
/// Runs a generation task end to end: resumes from the per-sample file, generates the remaining samples in
/// batches, scores and appends each batch as it finishes, reports progress, and writes the summary JSON
/// atomically at the end (also when interrupted, marked <c>"complete": false</c>).
/// </summary>
public static class GenerationRunner
{
    public static GenerationRunResult Run(GenerativeTask task, ITextGenerator generator, GenerationRunSettings settings,
        ProgressReporter? progress = null, CancellationToken cancellation = default)
    {
        if (settings.Batch < 1) throw new ArgumentOutOfRangeException(nameof(settings), "batch must be >= 1");
        if (settings.MaxTokens < 1) throw new ArgumentOutOfRangeException(nameof(settings), "max tokens must be >= 1");
        var clock = Stopwatch.StartNew();
        var started = DateTime.UtcNow;
        var dataHash = FileHash(settings.DataPath);
        var run = SampleLog.Fingerprint("generation-v1", task.Name, task.PromptFormat, task.Shots.ToString(CultureInfo.InvariantCulture),
            settings.Seed.ToString(CultureInfo.InvariantCulture), settings.MaxTokens.ToString(CultureInfo.InvariantCulture),
            string.Join("\u001e", task.StopSequences), generator.ModelIdentity, dataHash);
        var samplesPath = SampleLog.PathFor(settings.SummaryPath);

        var byIndex = task.Samples.ToDictionary(s => s.Index);
        var done = new Dictionary<int, SampleRecord>();
        var (log, existing) = SampleLog.Open(samplesPath);
        using (log)
        {
            foreach (var line in existing)
            {
                SampleRecord r;
                try { r = SampleRecord.Read(line.Object); }
                catch (FormatException e) { throw Data.JsonlFile.Bad(samplesPath, line.Index, e.Message); }
                if (r.Run != run)
                    throw Data.JsonlFile.Bad(samplesPath, line.Index,
                        "this per-sample file belongs to a run with other settings (task, prompt, shots, seed, max tokens, model or data differ); " +
                        "use another --out or delete it to start over");
                if (!byIndex.TryGetValue(r.Index, out var s)) continue; // outside the current --limit: kept in the file, not counted
                if (s.Prompt != r.Prompt)
                    throw Data.JsonlFile.Bad(samplesPath, line.Index, $"record for index {r.Index} has a different prompt than this run builds");
                done[r.Index] = r;
            }

            var pending = task.Samples.Where(s => !done.ContainsKey(s.Index)).ToList();
            int resumed = done.Count;
            progress?.SetTotal(task.Samples.Count);
            progress?.SetResumedFrom(resumed);
            int generated = 0;
            bool complete = true;
            try
            {
                SampleRecord RecordOf(TaskSample sample, GenerationResult result)
                {
                    var output = GenerativeTask.ApplyStops(result.Text, task.StopSequences);
                    var score = task.Score(sample, output);
                    return new SampleRecord
                    {
                        Index = sample.Index, Run = run, Prompt = sample.Prompt, Output = output,
                        Extracted = score.Extracted, Method = score.Method, Gold = sample.Gold, Correct = score.Correct,
                        Metrics = score.Metrics, FinishReason = result.FinishReason,
                        PromptTokens = result.PromptTokens, OutputTokens = result.OutputTokens,
                    };
                }
                void Write(IReadOnlyList<SampleRecord> records)
                {
                    log.Append(records.Select(r => (Action<Utf8JsonWriter>)r.WriteTo));
                    foreach (var r in records) done[r.Index] = r;
                    generated += records.Count;
                    progress?.Report(done.Count, AccuracyStatus(done.Values));
                }

                if (generator is IStreamingTextGenerator streaming)
                {
                    // The backend batches on its own (continuous batching over all pending samples): each sample is
                    // written the moment it finishes.
                    cancellation.ThrowIfCancellationRequested();
                    streaming.Generate(pending.Select(s => new GenerationRequest(s.Prompt, settings.MaxTokens, task.StopSequences)).ToList(),
                        (k, result) => Write([RecordOf(pending[k], result)]), cancellation);
                }
                else
                    for (int start = 0; start < pending.Count; start += settings.Batch)
                    {
                        cancellation.ThrowIfCancellationRequested();
                        var batch = pending.Skip(start).Take(settings.Batch).ToList();
                        var results = generator.Generate(
                            batch.Select(s => new GenerationRequest(s.Prompt, settings.MaxTokens, task.StopSequences)).ToList(), cancellation);
                        if (results.Count != batch.Count) throw new InvalidOperationException("backend returned a different number of results");
                        Write(batch.Select((s, k) => RecordOf(s, results[k])).ToList());
                    }
            }
            catch (Exception e) when (e is OperationCanceledException or SharpLMDataException)
            {
                // interrupted, or the backend failed for good: the summary of what finished is still written
                complete = false;
                Finish(task, generator, settings, done, resumed, generated, complete, samplesPath, dataHash, started, clock, run);
                throw;
            }
            progress?.Finish(AccuracyStatus(done.Values));
            return Finish(task, generator, settings, done, resumed, generated, complete, samplesPath, dataHash, started, clock, run);
        }
    }

    static GenerationRunResult Finish(GenerativeTask task, ITextGenerator generator, GenerationRunSettings settings,
        Dictionary<int, SampleRecord> done, int resumed, int generated, bool complete, string samplesPath, string dataHash,
        DateTime started, Stopwatch clock, string run)
    {
        var scores = task.Samples.Where(s => done.ContainsKey(s.Index))
            .Select(s => { var r = done[s.Index]; return new SampleScore(r.Extracted, r.Method, r.Correct, r.Metrics); })
            .ToList();
        var score = TaskScore.From(scores, task.SecondaryMetrics);
        complete &= scores.Count == task.Samples.Count;
        var result = new GenerationRunResult(score, resumed, generated, complete, samplesPath, clock.Elapsed.TotalSeconds);
        var finishReasons = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var r in done.Values) if (r.FinishReason is { } f) finishReasons[f] = finishReasons.GetValueOrDefault(f) + 1;
        SummaryWriter.WriteGeneration(settings.SummaryPath, task, generator.Description, settings, result, dataHash, run, started, finishReasons);
        return result;
    }

    static string AccuracyStatus(IEnumerable<SampleRecord> records)
    {
        int n = 0, c = 0;
        foreach (var r in records) { n++; if (r.Correct) c++; }
        return n == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $"acc {100.0 * c / n:F1}%");
    }

    /// <summary>SHA-256 of a file (hex), identifying the exact data evaluated.</summary>
    public static string FileHash(string path)
    {
        using var fs = File.OpenRead(path);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(fs));
    }
}
