using System.Text;
using System.Text.Json;
using SharpLM.IO;
using SharpLM.Training.Checkpoints;

namespace SharpLM.Training;

/// <summary>
/// <c>metrics.jsonl</c>: one JSON object per training step and per evaluation, appended and flushed as they
/// happen. On resume the file is cut back to the checkpoint's step (a killed run may have logged steps past
/// it, and a torn last line), so the log always describes the trajectory the weights came from.
/// </summary>
public sealed class TrainingMetrics : IDisposable
{
    public const string FileName = "metrics.jsonl";
    public const string PlotFileName = "loss.svg";

    readonly string _path;
    readonly FileStream _stream;
    readonly List<(long, double)> _train = [];
    readonly List<(long, double)> _eval = [];

    public IReadOnlyList<(long Step, double Loss)> Train => _train;
    public IReadOnlyList<(long Step, double Loss)> Eval => _eval;

    /// <summary>Opens OUT/metrics.jsonl, keeping only records with step ≤ <paramref name="keepThroughStep"/> (−1: start afresh).</summary>
    public TrainingMetrics(string outDir, long keepThroughStep)
    {
        _path = Path.Combine(outDir, FileName);
        var kept = new StringBuilder();
        if (keepThroughStep >= 0 && File.Exists(_path))
        {
            foreach (var line in File.ReadLines(_path))
            {
                MetricsRecord? r;
                try { r = JsonSerializer.Deserialize(line, TrainingJsonLineContext.Default.MetricsRecord); }
                catch (JsonException) { continue; } // torn line from a kill
                if (r is null) continue;
                // A record's step counts completed updates, the same count a checkpoint is named by.
                if (r.Step > keepThroughStep) continue;
                Remember(r);
                kept.Append(line).Append('\n');
            }
        }
        AtomicFile.WriteAllText(_path, kept.ToString());
        _stream = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.Read);
    }

    void Remember(MetricsRecord r)
    {
        if (r.Loss is { } l) _train.Add((r.Step, l));
        if (r.EvalLoss is { } e) _eval.Add((r.Step, e));
    }

    public void Append(MetricsRecord r)
    {
        Remember(r);
        _stream.Write(JsonSerializer.SerializeToUtf8Bytes(r, TrainingJsonLineContext.Default.MetricsRecord));
        _stream.WriteByte((byte)'\n');
        _stream.Flush();
    }

    /// <summary>Writes OUT/loss.svg (atomically).</summary>
    public void WritePlot(string outDir, string title) =>
        AtomicFile.WriteAllText(Path.Combine(outDir, PlotFileName), LossCurveSvg.Render(_train, _eval, title));

    public void Dispose() => _stream.Dispose();
}
