using SharpLM.Models.Gemma3;

namespace SharpLM.Training;

/// <summary>
/// Model shapes for <c>sharplm train --preset NAME</c>. <c>tiny</c> and <c>small</c> are Gemma 3 in
/// miniature (same blocks, 5 local : 1 global, QK-norm, tied head) sized for a CPU; their vocabulary is taken
/// from the training data (a tokenizer from <c>sharplm tokenizer train</c>). <c>270m</c> and <c>1b</c> are the
/// released shapes (spec §2) with the full 262,144-token vocabulary.
/// </summary>
/// <remarks>
/// Hidden sizes are perfect squares (256 = 16², 576 = 24²) so sqrt(H) is exact in bf16 and f32 alike: the
/// embedding scale then agrees between our engine (bf16-rounded by default), llama.cpp (exact f32) and HF
/// transformers in float32.
/// </remarks>
public static class TrainingPresets
{
    public static IReadOnlyList<string> Names { get; } = ["tiny", "small", "270m", "1b"];

    /// <summary>~10M parameters at an 8,192-token vocabulary: 6 layers (5 local, 1 global), H 256, 4 query heads over 1 KV head of 64.</summary>
    public static Gemma3Config Tiny { get; } = new()
    {
        VocabSize = 8192, HiddenSize = 256, IntermediateSize = 1536, NumLayers = 6,
        NumHeads = 4, NumKvHeads = 1, HeadDim = 64, SlidingWindow = 128, QueryPreAttnScalar = 64,
        MaxPositionEmbeddings = 4096,
    };

    /// <summary>~50M parameters at a 16,384-token vocabulary: 12 layers (10 local, 2 global), H 576, 8 query heads over 2 KV heads of 64.</summary>
    public static Gemma3Config Small { get; } = new()
    {
        VocabSize = 16384, HiddenSize = 576, IntermediateSize = 1536, NumLayers = 12,
        NumHeads = 8, NumKvHeads = 2, HeadDim = 64, SlidingWindow = 256, QueryPreAttnScalar = 64,
        MaxPositionEmbeddings = 8192,
    };

    /// <summary>The preset called <paramref name="name"/>, or null.</summary>
    public static Gemma3Config? Get(string name) => name.ToLowerInvariant() switch
    {
        "tiny" => Tiny,
        "small" => Small,
        "270m" => Gemma3Config.Gemma3_270M,
        "1b" => Gemma3Config.Gemma3_1B,
        _ => null,
    };

    /// <summary>Whether the preset's vocabulary follows the data (tiny, small) rather than being fixed (270m, 1b).</summary>
    public static bool VocabularyFromData(string name) => name.ToLowerInvariant() is "tiny" or "small";
}
