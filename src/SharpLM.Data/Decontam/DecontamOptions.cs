using System.Text.Json.Serialization;

namespace SharpLM.Data.Decontam;

/// <summary>One benchmark whose test items must not appear in the output.</summary>
public sealed record BenchmarkSource
{
    /// <summary>Name used in drop reasons (<c>contaminated:gsm8k</c>).</summary>
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    /// <summary>JSONL (one object per line) or Parquet file of test items.</summary>
    [JsonPropertyName("path")] public string Path { get; set; } = "";
    /// <summary>Fields whose text is an item; several fields are joined with a newline. Default by name: gsm8k → question, math → problem.</summary>
    [JsonPropertyName("fields")] public string[]? Fields { get; set; }
}

/// <summary>
/// Decontamination as in Qwen2.5-Math and FineMath: a page is dropped when it shares a 13-gram with a
/// benchmark item and the longest common subsequence between the item and the page around that hit covers
/// at least 60 % of the item.
/// </summary>
public sealed record DecontamOptions
{
    [JsonPropertyName("benchmarks")] public BenchmarkSource[] Benchmarks { get; set; } = [];
    [JsonPropertyName("ngram")] public int Ngram { get; set; } = 13;
    [JsonPropertyName("lcs_ratio")] public double LcsRatio { get; set; } = 0.6;
}
