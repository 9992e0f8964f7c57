using SharpLM.Models.Gemma3;
using SharpLM.Tensors;
using SharpLM.Tokenization;
using SharpLM.Tests.Models.Gemma3;

namespace SharpLM.Tests.Cli;

/// <summary>
/// A tiny random Gemma 3 (TinyModel's shape) with the real Gemma 3 tokenizer in its GGUF metadata and the released
/// checkpoints' 262,208 embedding rows, for CLI verbs that go from text to text (chat, annotate with --model).
/// </summary>
public static class RealVocabularyTinyModel
{
    public static readonly Lazy<(string Path, Gemma3Tokenizer Tokenizer)> Gguf = new(() =>
    {
        var tok = Gemma3Tokenizer.Load(TestPaths.GemmaTokenizerJson);
        return (Write(tok, vocabSize: 262_208), tok);   // 262,208: the released checkpoints' rows (spec §2)
    });

    /// <summary>Writes the model with <paramref name="vocabSize"/> embedding rows (at least the tokenizer's size).</summary>
    public static string Write(Gemma3Tokenizer tok, int vocabSize)
    {
        var config = TinyModel.Config with { VocabSize = vocabSize, MaxPositionEmbeddings = 1024 };
        string path = Path.Combine(TestPaths.NewTempDir("real-vocab-tiny"), "tiny.gguf");
        Gemma3CheckpointWriter.WriteGguf(path, config, TinyModel.Rows(3), tok.ToGguf(), typeOf: _ => TensorType.BF16);
        return path;
    }
}
