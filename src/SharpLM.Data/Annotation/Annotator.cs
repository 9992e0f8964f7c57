using System.Text;
using System.Text.Json;
using SharpLM.Data.Parquet;
using SharpLM.Diagnostics;

namespace SharpLM.Data.Annotation;

/// <summary>Settings of <see cref="Annotator"/>.</summary>
public sealed record AnnotatorOptions
{
    public required Rubric Rubric { get; init; }
    /// <summary>Pages are cut to this many characters before prompting (bounds prompt length).</summary>
    public int MaxChars { get; init; } = 10_000;
    /// <summary>Attempts per page for transient failures (HTTP 429/5xx, timeouts), with exponential backoff.</summary>
    public int Retries { get; init; } = 5;
    public TimeSpan BackoffBase { get; init; } = TimeSpan.FromMilliseconds(500);
    /// <summary>Stop after this many pages in total (already annotated ones count); 0 = all.</summary>
    public long Limit { get; init; }
}

/// <summary>What an annotation run did.</summary>
public sealed record AnnotationSummary(long Total, long AlreadyDone, long Annotated, long Failed, IReadOnlyDictionary<int, long> ScoreCounts);

/// <summary>
/// <c>data annotate</c>: scores pages with an LLM and a rubric. Input: JSONL (objects with <c>text</c>, optional
/// <c>id</c>, <c>url</c>) or Parquet (a <c>text</c> column, optional <c>url</c>; ids are row numbers). Output: JSONL, one
/// object per page in input order: <c>id</c>, <c>url</c>, <c>text</c>, <c>score</c>, <c>rubric</c>, <c>model</c>,
/// <c>completion</c>.
/// </summary>
/// <remarks>
/// Resumable: pages whose id is already in the output are skipped; a half-written last line (a killed run)
/// is cut off first. Requests run concurrently (<see cref="IChatModel.MaxConcurrency"/>) but lines are
/// written in input order, so the same inputs and answers give the same file. A page whose request keeps
/// failing, or whose answer has no <c>Final score:</c>, is counted as failed and left for the next run.
/// </remarks>
public sealed class Annotator(IChatModel model, AnnotatorOptions options, Action<string>? log = null)
{
    public sealed record Page(string Id, string? Url, string Text);

    /// <summary>Pages of a JSONL or Parquet input. Ids default to the 0-based line/row index.</summary>
    public static IEnumerable<Page> ReadInput(string path)
    {
        if (!File.Exists(path)) throw new SharpLMDataException(path, "file not found");
        if (path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase))
        {
            var cols = ParquetTextReader.ColumnNames(path);
            bool hasUrl = cols.Contains("url");
            var wanted = hasUrl ? new[] { "text", "url" } : ["text"];
            long i = 0;
            foreach (var row in ParquetTextReader.ReadColumns(path, wanted))
            {
                yield return new Page(i.ToString(System.Globalization.CultureInfo.InvariantCulture), hasUrl ? row[1] : null, row[0] ?? "");
                i++;
            }
            yield break;
        }
        int line = 0;
        foreach (var raw in File.ReadLines(path))
        {
            int index = line++;
            if (string.IsNullOrWhiteSpace(raw)) continue;
            JsonElement o;
            try { o = JsonDocument.Parse(raw).RootElement; }
            catch (JsonException e) { throw new SharpLMDataException(path, "invalid JSON: " + e.Message, index + 1, offsetIsLine: true); }
            if (o.ValueKind != JsonValueKind.Object || !o.TryGetProperty("text", out var t) || t.ValueKind != JsonValueKind.String)
                throw new SharpLMDataException(path, "missing \"text\" string", index + 1, offsetIsLine: true);
            string id = o.TryGetProperty("id", out var idv) ? (idv.ValueKind == JsonValueKind.String ? idv.GetString()! : idv.GetRawText())
                : index.ToString(System.Globalization.CultureInfo.InvariantCulture);
            string? url = o.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
            yield return new Page(id, url, t.GetString()!);
        }
    }

    public async Task<AnnotationSummary> RunAsync(string input, string output, ProgressReporter? progress, CancellationToken cancel)
    {
        var done = PrepareOutput(output);
        var pages = ReadInput(input);
        if (options.Limit > 0) pages = pages.Take((int)Math.Min(int.MaxValue, options.Limit));
        var todo = new List<Page>();
        long total = 0, already = 0;
        foreach (var p in pages)
        {
            total++;
            if (done.Contains(p.Id)) already++;
            else todo.Add(p);
        }
        progress?.SetTotal(total);
        progress?.SetResumedFrom(already);

        var results = new Task<string?>[todo.Count];
        using var gate = new SemaphoreSlim(Math.Max(1, model.MaxConcurrency));
        var counts = new SortedDictionary<int, long>();
        long failed = 0, annotated = 0;
        await using var stream = new FileStream(output, FileMode.Append, FileAccess.Write, FileShare.Read);
        // Start requests as slots free up, but never more than a window ahead of the writer (bounded memory).
        int window = Math.Max(1, model.MaxConcurrency) * 4;
        int next = 0;
        for (int i = 0; i < todo.Count; i++)
        {
            while (next < todo.Count && next < i + window)
            {
                var page = todo[next];
                results[next] = AnnotateAsync(page, gate, cancel);
                next++;
            }
            var line = await results[i].ConfigureAwait(false);
            results[i] = null!;
            if (line is null) { failed++; continue; }
            var bytes = Encoding.UTF8.GetBytes(line + "\n");
            await stream.WriteAsync(bytes, cancel).ConfigureAwait(false);
            await stream.FlushAsync(cancel).ConfigureAwait(false);
            annotated++;
            var score = JsonDocument.Parse(line).RootElement.GetProperty("score").GetInt32();
            counts[score] = counts.GetValueOrDefault(score) + 1;
            progress?.Report(already + annotated + failed, failed > 0 ? $"{failed} failed" : null);
        }
        return new AnnotationSummary(total, already, annotated, failed, counts);
    }

    async Task<string?> AnnotateAsync(Page page, SemaphoreSlim gate, CancellationToken cancel)
    {
        var text = page.Text.Length > options.MaxChars ? page.Text[..options.MaxChars] : page.Text;
        var prompt = options.Rubric.Prompt(text);
        for (int attempt = 1; ; attempt++)
        {
            string? completion = null;
            TransientChatException? transient = null;
            await gate.WaitAsync(cancel).ConfigureAwait(false);
            try
            {
                completion = await model.CompleteAsync(prompt, cancel).ConfigureAwait(false);
            }
            catch (TransientChatException e)
            {
                transient = e;
            }
            catch (PermanentChatException e)
            {
                log?.Invoke($"page {page.Id}: {e.Message}");
                return null;
            }
            finally
            {
                gate.Release();
            }
            if (transient is not null)
            {
                if (attempt >= options.Retries)
                {
                    log?.Invoke($"page {page.Id}: giving up after {attempt} attempts: {transient.Message}");
                    return null;
                }
                // Exponential backoff: base · 2^(attempt-1), capped at 30 s.
                var delay = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(30).Ticks, options.BackoffBase.Ticks << Math.Min(20, attempt - 1)));
                await Task.Delay(delay, cancel).ConfigureAwait(false);
                continue;
            }
            var score = ScoreParser.Parse(completion!, options.Rubric.MaxScore);
            if (score is null)
            {
                log?.Invoke($"page {page.Id}: no 'Final score: N' in the answer");
                return null;
            }
            return Line(page, score.Value, completion!);
        }
    }

    string Line(Page page, int score, string completion)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("id", page.Id);
            if (page.Url is null) w.WriteNull("url"); else w.WriteString("url", page.Url);
            w.WriteString("text", page.Text);
            w.WriteNumber("score", score);
            w.WriteString("rubric", options.Rubric.Name);
            w.WriteString("model", model.Name);
            w.WriteString("completion", completion);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Cuts a half-written last line off <paramref name="output"/> and returns the ids it already holds.</summary>
    static HashSet<string> PrepareOutput(string output)
    {
        var done = new HashSet<string>(StringComparer.Ordinal);
        if (!File.Exists(output))
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(output));
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            return done;
        }
        using (var f = new FileStream(output, FileMode.Open, FileAccess.ReadWrite))
        {
            long length = f.Length, keep = length;
            if (length > 0)
            {
                // Find the last newline; everything after it is an unfinished line from a killed run.
                var buf = new byte[1];
                keep = 0;
                for (long p = length - 1; p >= 0; p--)
                {
                    f.Seek(p, SeekOrigin.Begin);
                    f.ReadExactly(buf);
                    if (buf[0] == '\n') { keep = p + 1; break; }
                }
            }
            if (keep < length) f.SetLength(keep);
        }
        int lineNo = 0;
        foreach (var line in File.ReadLines(output))
        {
            lineNo++;
            if (line.Length == 0) continue;
            try { done.Add(JsonDocument.Parse(line).RootElement.GetProperty("id").GetString()!); }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new SharpLMDataException(output, "not an annotation file written by data annotate (line has no \"id\")", lineNo, offsetIsLine: true);
            }
        }
        return done;
    }
}
