using System.Text.Json.Serialization;

namespace SharpLM.Data.Dedup;

/// <summary>
/// MinHash-LSH settings. FineMath used one band of 10 hashes (two pages collide only if all 10 min-hashes
/// agree: P = J^10, a high Jaccard bar); datatrove's default is 14 bands × 8 rows over word 5-grams.
/// </summary>
public sealed record MinHashOptions
{
    [JsonPropertyName("enabled")] public bool Enabled { get; set; } = true;
    /// <summary>Words per shingle.</summary>
    [JsonPropertyName("shingle_words")] public int ShingleWords { get; set; } = 5;
    [JsonPropertyName("bands")] public int Bands { get; set; } = 1;
    [JsonPropertyName("rows")] public int Rows { get; set; } = 10;
    [JsonPropertyName("seed")] public int Seed { get; set; } = 1;

    public void Validate(string where)
    {
        if (ShingleWords is < 1 or > 64) throw new SharpLMDataException(where, $"dedup.shingle_words {ShingleWords} outside 1..64");
        if (Bands is < 1 or > 64 || Rows is < 1 or > 64) throw new SharpLMDataException(where, $"dedup bands×rows {Bands}×{Rows} outside 1..64 each");
    }
}
