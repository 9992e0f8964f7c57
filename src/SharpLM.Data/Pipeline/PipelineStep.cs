using System.Diagnostics;

namespace SharpLM.Data.Pipeline;

/// <summary>
/// One step of a pipeline: takes documents and lazily yields those it keeps (datatrove's
/// <c>PipelineStep.run</c>). A step writes one method, <see cref="Apply"/>: change the document and return
/// null to keep it, or return the reason to drop it. The base counts in/out/dropped-by-reason and times the
/// step's own work. A document that makes a step throw is dropped with reason <c>error:TYPE</c> and the
/// run continues: one hostile page must not stop a crawl.
/// </summary>
public abstract class PipelineStep
{
    public abstract string Name { get; }

    /// <summary>Keep (null) or drop (reason) <paramref name="doc"/>, possibly changing it.</summary>
    protected abstract string? Apply(Document doc);

    public IEnumerable<Document> Run(IEnumerable<Document> input, StepStats stats, Action<Document, Exception>? onError = null)
    {
        stats.Step = Name;
        Stats = stats;
        foreach (var doc in input)
        {
            stats.In++;
            long start = Stopwatch.GetTimestamp();
            string? reason;
            try
            {
                reason = Apply(doc);
            }
            catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
            {
                reason = "error:" + e.GetType().Name;
                onError?.Invoke(doc, e);
            }
            stats.Seconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (reason is null)
            {
                stats.Out++;
                yield return doc;
            }
            else
            {
                stats.Drop(reason);
            }
        }
    }

    /// <summary>The stats of the current run, for counters besides drops.</summary>
    protected StepStats? Stats { get; private set; }
}
