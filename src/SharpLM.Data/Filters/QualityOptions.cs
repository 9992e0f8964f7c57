using System.Text.Json.Serialization;

namespace SharpLM.Data.Filters;

/// <summary>
/// Thresholds of <see cref="QualityHeuristics"/>. Defaults combine OpenWebMath's manual filters (text of at
/// least 100 characters, at most 1.5 % accented letters) with Gopher-style rules loosened for math text, whose
/// "words" are often symbols (Gopher wants 80 % of words alphabetic; formulas break that).
/// </summary>
public sealed record QualityOptions
{
    [JsonPropertyName("min_chars")] public int MinChars { get; set; } = 100;
    [JsonPropertyName("max_chars")] public int MaxChars { get; set; } = 1_000_000;
    [JsonPropertyName("min_words")] public int MinWords { get; set; } = 20;
    [JsonPropertyName("max_accented_fraction")] public double MaxAccentedFraction { get; set; } = 0.015;
    [JsonPropertyName("min_mean_word_length")] public double MinMeanWordLength { get; set; } = 2.0;
    [JsonPropertyName("max_mean_word_length")] public double MaxMeanWordLength { get; set; } = 12.0;
    [JsonPropertyName("min_alpha_word_fraction")] public double MinAlphaWordFraction { get; set; } = 0.5;
    [JsonPropertyName("max_duplicate_line_fraction")] public double MaxDuplicateLineFraction { get; set; } = 0.3;
    [JsonPropertyName("max_bullet_line_fraction")] public double MaxBulletLineFraction { get; set; } = 0.9;
    [JsonPropertyName("max_ellipsis_line_fraction")] public double MaxEllipsisLineFraction { get; set; } = 0.3;
}
