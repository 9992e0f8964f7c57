using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using SharpLM.Diagnostics;
using SharpLM.Evaluation.Backends;
using SharpLM.Evaluation.Runs;

namespace SharpLM.Evaluation.Perplexity;

/// <summary>
/// Perplexity and bits per byte of a model on documents, with sliding windows of a given length and stride.
/// Resumable: each finished window is appended to the per-sample JSONL (<c>doc</c>, <c>window</c>, <c>nll</c>,
/// <c>tokens</c>) and skipped when the same run is started again.
/// </summary>
public static partial class PerplexityEvaluator
{
    [GeneratedRegex(@"\s+")] private static partial Regex Whitespace();

    /// <summary>lm-eval's word count: <c>len(re.split(r"\s+", doc))</c>.</summary>
    public static int WordCount(string text) => Whitespace().Split(text).Length;

    /// <param name="model">Tokenizer and per-token log-probabilities.</param>
    /// <param name="documents">Texts to score, in order.</param>
    /// <param name="windowLength">Model positions per window (BOS included in the first).</param>
    /// <param name="stride">Positions between window starts (≤ window; equal = no overlap).</param>
    /// <param name="samplesPath">Per-window JSONL for resuming; null to keep nothing.</param>
    /// <param name="runKey">Identifies the settings (model, data, windows); records of another run are refused.</param>
    /// <param name="maxWindows">Score only the first N windows overall (null: all).</param>
    public static PerplexityResult Evaluate(ITokenLogProbSource model, IReadOnlyList<PerplexityDocument> documents,
        int windowLength, int stride, string? samplesPath, string runKey, int? maxWindows = null,
        ProgressReporter? progress = null, CancellationToken cancellation = default)
    {
        if (windowLength > model.ContextLength)
            throw new ArgumentOutOfRangeException(nameof(windowLength), $"window {windowLength} exceeds the model's {model.ContextLength} positions");

        // Plan every window first so progress has a total and resumed records can be checked against the plan.
        var sequences = new List<int[]>(documents.Count);
        var plans = new List<List<PerplexityWindow>>(documents.Count);
        int planned = 0;
        foreach (var d in documents)
        {
            var tokens = model.Tokenize(d.Text);
            var seq = model.BosToken is int bos ? [bos, .. tokens] : tokens;
            var plan = PerplexityWindow.Plan(seq.Length, windowLength, stride);
            if (maxWindows is int mw && planned + plan.Count > mw) plan = plan.Take(Math.Max(0, mw - planned)).ToList();
            planned += plan.Count;
            sequences.Add(seq);
            plans.Add(plan);
        }

        var done = new Dictionary<(int Doc, int Window), (double Nll, int Tokens)>();
        SampleLog? log = null;
        if (samplesPath is not null)
        {
            var (l, existing) = SampleLog.Open(samplesPath);
            log = l;
            foreach (var line in existing)
            {
                var o = line.Object;
                if (!o.TryGetProperty("run", out var r) || r.GetString() != runKey)
                    throw Data.JsonlFile.Bad(samplesPath, line.Index, "this per-window file belongs to a run with other settings; use another --out or delete it");
                done[(o.GetProperty("doc").GetInt32(), o.GetProperty("window").GetInt32())] = (o.GetProperty("nll").GetDouble(), o.GetProperty("tokens").GetInt32());
            }
        }
        using var _ = log;
        progress?.SetTotal(planned);
        progress?.SetResumedFrom(done.Count);

        double nll = 0;
        long tokensScored = 0, bytes = 0, words = 0;
        int windows = 0, docsScored = 0;
        bool complete = true;
        var buffer = new double[windowLength];
        try
        {
            for (int d = 0; d < documents.Count; d++)
            {
                if (plans[d].Count == 0) continue;
                docsScored++;
                bool wholeDoc = plans[d][^1].End == sequences[d].Length;
                for (int w = 0; w < plans[d].Count; w++)
                {
                    if (!done.TryGetValue((documents[d].Index, w), out var rec))
                    {
                        cancellation.ThrowIfCancellationRequested();
                        var win = plans[d][w];
                        var input = sequences[d].AsSpan(win.Begin, win.End - win.Begin);
                        model.LogProbs(input, buffer, cancellation);
                        double sum = 0;
                        for (int p = win.FirstTarget; p < win.End; p++) sum -= buffer[p - win.Begin - 1];
                        rec = (sum, win.End - win.FirstTarget);
                        done[(documents[d].Index, w)] = rec;
                        int docIndex = documents[d].Index, wi = w;
                        log?.Append([wr => WriteWindow(wr, runKey, docIndex, wi, rec.Nll, rec.Tokens)]);
                    }
                    nll += rec.Nll;
                    tokensScored += rec.Tokens;
                    windows++;
                    progress?.Report(windows, tokensScored > 0 ? string.Create(CultureInfo.InvariantCulture, $"ppl {Math.Exp(nll / tokensScored):F3}") : null);
                }
                // bytes and words are counted for the text whose tokens were all scored (a --limit can cut a document)
                if (wholeDoc)
                {
                    bytes += Encoding.UTF8.GetByteCount(documents[d].Text);
                    words += WordCount(documents[d].Text);
                }
                else
                {
                    var scoredText = ScoredPrefix(model, documents[d].Text, plans[d][^1].End - (model.BosToken is null ? 0 : 1));
                    bytes += Encoding.UTF8.GetByteCount(scoredText);
                    words += WordCount(scoredText);
                }
            }
        }
        catch (OperationCanceledException)
        {
            complete = false;
            throw;
        }
        finally
        {
            progress?.Finish(tokensScored > 0 ? string.Create(CultureInfo.InvariantCulture, $"ppl {Math.Exp(nll / tokensScored):F3}") : null);
        }
        return new PerplexityResult(docsScored, windows, tokensScored, bytes, words, nll, windowLength, stride, complete);
    }

    /// <summary>The text covered by the first <paramref name="tokenCount"/> tokens of a document (for byte counts under --limit).</summary>
    static string ScoredPrefix(ITokenLogProbSource model, string text, int tokenCount)
    {
        // Binary search the longest prefix whose tokenization is no longer than tokenCount tokens.
        int lo = 0, hi = text.Length;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (model.Tokenize(text[..mid]).Length <= tokenCount) lo = mid; else hi = mid - 1;
        }
        return text[..lo];
    }

    static void WriteWindow(Utf8JsonWriter w, string run, int doc, int window, double nll, int tokens)
    {
        w.WriteStartObject();
        w.WriteString("run", run);
        w.WriteNumber("doc", doc);
        w.WriteNumber("window", window);
        w.WriteNumber("nll", nll);
        w.WriteNumber("tokens", tokens);
        w.WriteEndObject();
    }
}
