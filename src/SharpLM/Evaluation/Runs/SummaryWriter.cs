using System.Buffers;
using System.Reflection;
using System.Text.Json;
using SharpLM.Evaluation.Scoring;
using SharpLM.Evaluation.Tasks;
using SharpLM.IO;

namespace SharpLM.Evaluation.Runs;

/// <summary>
/// Writes the summary JSON of a run or a scoring (atomically). Keys every summary has: <c>task</c>,
/// <c>accuracy</c>, <c>correct</c>, <c>total</c>, <c>stderr</c>, <c>metrics</c> (name → value/stderr); runs add the
/// settings that produced the number (<c>prompt_format</c>, <c>shots</c>, <c>seed</c>, <c>model</c>, <c>data_sha256</c>, ...).
/// </summary>
public static class SummaryWriter
{
    public static void WriteGeneration(string path, GenerativeTask task, string model, GenerationRunSettings s, GenerationRunResult r,
        string dataHash, string run, DateTime started, IReadOnlyDictionary<string, int> finishReasons)
    {
        Write(path, w =>
        {
            w.WriteString("task", task.Name);
            WriteScore(w, r.Score);
            w.WriteBoolean("complete", r.Complete);
            w.WriteString("prompt_format", task.PromptFormat);
            w.WriteNumber("shots", task.Shots);
            w.WriteNumber("seed", s.Seed);
            if (s.Limit is { } l) w.WriteNumber("limit", l); else w.WriteNull("limit");
            w.WriteNumber("max_tokens", s.MaxTokens);
            w.WriteStartArray("stop");
            foreach (var stop in task.StopSequences) w.WriteStringValue(stop);
            w.WriteEndArray();
            w.WriteString("model", model);
            if (s.Step is { } step) w.WriteNumber("step", step);
            w.WriteString("data", Path.GetFullPath(s.DataPath));
            w.WriteString("data_sha256", dataHash);
            w.WriteString("run", run);
            w.WriteString("samples_file", Path.GetFileName(r.SamplesPath));
            w.WriteNumber("samples_resumed", r.Resumed);
            w.WriteNumber("samples_generated", r.Generated);
            w.WriteStartObject("finish_reasons");
            foreach (var (k, v) in finishReasons) w.WriteNumber(k, v);
            w.WriteEndObject();
            w.WriteString("started_utc", started.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            w.WriteNumber("seconds", Math.Round(r.Seconds, 3));
            w.WriteString("sharplm_version", Version);
        });
    }

    public static void WriteScore(string path, PredictionScoreResult result, string dataPath, string predictionsPath)
    {
        Write(path, w => WriteScoreBody(w, result, dataPath, predictionsPath));
    }

    /// <summary>The <c>eval score</c> summary as a JSON string (what <c>--json</c> prints).</summary>
    public static string ScoreJson(PredictionScoreResult result, string dataPath, string predictionsPath) =>
        System.Text.Encoding.UTF8.GetString(Build(w => WriteScoreBody(w, result, dataPath, predictionsPath)));

    static void WriteScoreBody(Utf8JsonWriter w, PredictionScoreResult result, string dataPath, string predictionsPath)
    {
        w.WriteString("task", result.Task);
        WriteScore(w, result.Score);
        w.WriteNumber("data_records", result.DataRecords);
        w.WriteString("data", Path.GetFullPath(dataPath));
        w.WriteString("predictions", Path.GetFullPath(predictionsPath));
        w.WriteString("sharplm_version", Version);
    }

    static void WriteScore(Utf8JsonWriter w, TaskScore score)
    {
        w.WriteNumber("accuracy", score.Accuracy.Mean);
        w.WriteNumber("correct", score.Correct);
        w.WriteNumber("total", score.Total);
        WriteNullable(w, "stderr", score.Accuracy.Stderr);
        w.WriteStartObject("metrics");
        WriteMetric(w, "accuracy", score.Accuracy);
        foreach (var (name, m) in score.Metrics) WriteMetric(w, name, m);
        w.WriteEndObject();
        w.WriteStartObject("extraction");
        foreach (var (method, n) in score.ExtractionMethods) w.WriteNumber(method, n);
        w.WriteEndObject();
    }

    static void WriteMetric(Utf8JsonWriter w, string name, MeanStderr m)
    {
        w.WriteStartObject(name);
        w.WriteNumber("value", m.Mean);
        WriteNullable(w, "stderr", m.Stderr);
        w.WriteEndObject();
    }

    public static void WriteNullable(Utf8JsonWriter w, string name, double? v)
    {
        if (v is { } x && double.IsFinite(x)) w.WriteNumber(name, x); else w.WriteNull(name);
    }

    /// <summary>Writes one JSON object (pretty, relaxed escaping, trailing newline) atomically.</summary>
    public static void Write(string path, Action<Utf8JsonWriter> body) => AtomicFile.WriteAllBytes(path, Build(body));

    static byte[] Build(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = SampleLog.Encoder }))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        return [.. buffer.WrittenSpan, (byte)'\n'];
    }

    static string Version =>
        (Assembly.GetEntryAssembly() ?? typeof(SummaryWriter).Assembly).GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?";
}
