using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SharpLM.Bench.Llama;

/// <summary>
/// What one engine run in a child process reports on its last stdout line (one JSON object): prefill and
/// decode throughput, peak resident memory, and the managed bytes allocated per decoded token (SharpLM only).
/// </summary>
public sealed record RunResult
{
    [JsonPropertyName("engine")] public string Engine { get; init; } = "";
    [JsonPropertyName("pp_tokens")] public int PromptTokens { get; init; }
    [JsonPropertyName("tg_tokens")] public int GenTokens { get; init; }
    [JsonPropertyName("pp_tps")] public double PrefillTokensPerSecond { get; init; }
    [JsonPropertyName("tg_tps")] public double DecodeTokensPerSecond { get; init; }
    [JsonPropertyName("peak_rss_bytes")] public long PeakRssBytes { get; init; }
    [JsonPropertyName("load_seconds")] public double LoadSeconds { get; init; }
    [JsonPropertyName("alloc_bytes_per_token")] public double? AllocBytesPerToken { get; init; }
    [JsonPropertyName("note")] public string? Note { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, RunResultJson.Default.RunResult);

    public static RunResult? FromJsonLine(string line) =>
        line.StartsWith('{') ? JsonSerializer.Deserialize(line, RunResultJson.Default.RunResult) : null;

    /// <summary>The result a child run printed on its last stdout line; throws with its output when it failed.</summary>
    public static RunResult FromChild(string engine, int exitCode, string stdout, string stderr)
    {
        var line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
        if (exitCode != 0 || line is null || FromJsonLine(line) is not { } r)
            throw new InvalidOperationException($"{engine} run failed (exit {exitCode}):\n{stderr}\n{stdout}");
        return r;
    }

    /// <summary>VmHWM of this process (Linux): the peak resident set, mapped weight pages included.</summary>
    public static long PeakRss()
    {
        foreach (var l in File.ReadLines("/proc/self/status"))
            if (l.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(l[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        return 0;
    }
}

[JsonSerializable(typeof(RunResult))]
internal sealed partial class RunResultJson : JsonSerializerContext;
