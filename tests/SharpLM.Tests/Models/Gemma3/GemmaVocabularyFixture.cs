using System.Text.Json;
using SharpLM.Tokenization;

namespace SharpLM.Tests.Models.Gemma3;

/// <summary>
/// The real 262,144-entry Gemma 3 vocabulary (TestPaths.GemmaTokenizerJson) as GGUF tokenizer metadata, for
/// test models that llama.cpp must load. Pieces and ids come from tokenizer.json; special tokens are typed
/// CONTROL and byte pieces BYTE. Scores are −id: llama.cpp needs a number per piece but the oracle tests
/// feed token ids and never ask llama.cpp to tokenize. (The tokenizer area's Gemma3Tokenizer.ToGguf is the
/// real mapping; this fixture only needs to be loadable.)
/// </summary>
public static class GemmaVocabularyFixture
{
    static readonly Lazy<GgufTokenizerData> s_data = new(Build);

    public static GgufTokenizerData Data => s_data.Value;

    static GgufTokenizerData Build()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(TestPaths.GemmaTokenizerJson));
        var vocab = doc.RootElement.GetProperty("model").GetProperty("vocab");
        var tokens = new string[vocab.EnumerateObject().Count()];
        foreach (var p in vocab.EnumerateObject()) tokens[p.Value.GetInt32()] = p.Name;
        var types = new int[tokens.Length];
        for (int i = 0; i < tokens.Length; i++)
            types[i] = tokens[i].Length == 6 && tokens[i].StartsWith("<0x", StringComparison.Ordinal) && tokens[i].EndsWith('>')
                ? GgufTokenizerData.TokenType.Byte : GgufTokenizerData.TokenType.Normal;
        foreach (var t in doc.RootElement.GetProperty("added_tokens").EnumerateArray())
        {
            int id = t.GetProperty("id").GetInt32();
            if (id < tokens.Length && t.GetProperty("special").GetBoolean()) types[id] = GgufTokenizerData.TokenType.Control;
        }
        var scores = new float[tokens.Length];
        for (int i = 0; i < scores.Length; i++) scores[i] = -i;
        return new GgufTokenizerData { Tokens = tokens, Scores = scores, TokenTypes = types };
    }
}
