using System.Text.Json.Serialization;

namespace SharpLM.Data.Pipeline;

/// <summary>Live counters of one running rank, read by the executor for its progress line.</summary>
public sealed class RankProgress
{
    long _pages, _kept, _bytes;
    [JsonPropertyName("pages")] public long Pages { get => Interlocked.Read(ref _pages); set => Interlocked.Exchange(ref _pages, value); }
    [JsonPropertyName("kept")] public long Kept { get => Interlocked.Read(ref _kept); set => Interlocked.Exchange(ref _kept, value); }
    /// <summary>Input bytes consumed (finished files plus the position in the current one).</summary>
    [JsonPropertyName("bytes")] public long Bytes { get => Interlocked.Read(ref _bytes); set => Interlocked.Exchange(ref _bytes, value); }

    public void AddPage() => Interlocked.Increment(ref _pages);
    public void AddKept() => Interlocked.Increment(ref _kept);
}
