using System.Text.Json.Serialization;

namespace SharpLM.Data.Classifier;

/// <summary>How text becomes a hashed feature vector; stored with the model so scoring matches training.</summary>
public sealed record FeatureOptions
{
    /// <summary>log2 of the number of hash buckets (weights). 2^20 = 1M floats = 4 MiB.</summary>
    [JsonPropertyName("hash_bits")] public int HashBits { get; set; } = 20;
    /// <summary>Longest word n-gram (1 = unigrams only, 2 = unigrams and bigrams…).</summary>
    [JsonPropertyName("word_ngrams")] public int WordNgrams { get; set; } = 2;
    /// <summary>Shortest and longest character n-gram taken inside each word (with boundary marks); 0 disables.</summary>
    [JsonPropertyName("char_ngram_min")] public int CharNgramMin { get; set; } = 4;
    [JsonPropertyName("char_ngram_max")] public int CharNgramMax { get; set; } = 4;
    /// <summary>Only the first tokens of a long page are featurised (bounds time per page).</summary>
    [JsonPropertyName("max_tokens")] public int MaxTokens { get; set; } = 2000;
}
