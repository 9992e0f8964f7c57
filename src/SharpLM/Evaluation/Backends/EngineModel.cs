using SharpLM.Models.Gemma3;
using SharpLM.Tokenization;

namespace SharpLM.Evaluation.Backends;

/// <summary>Opens a SharpLM model with its tokenizer for evaluation.</summary>
public static class EngineModel
{
    /// <summary>
    /// Loads <paramref name="modelPath"/> (GGUF file or HF folder) and its tokenizer: <paramref name="tokenizerPath"/> when
    /// given, else the model folder's <c>tokenizer.json</c>, else the GGUF file's tokenizer metadata.
    /// </summary>
    public static (Gemma3Model Model, Gemma3Tokenizer Tokenizer) Open(string modelPath, string? tokenizerPath)
    {
        var model = Gemma3Model.Load(modelPath);
        try
        {
            if (tokenizerPath is not null) return (model, Gemma3Tokenizer.Load(tokenizerPath));
            if (model.TokenizerJsonPath is { } json) return (model, Gemma3Tokenizer.Load(json));
            if (model.GgufTokenizer is { } data) return (model, Gemma3Tokenizer.FromGguf(data, model.Path));
            throw new SharpLMDataException(modelPath, "the model has no tokenizer (no tokenizer.json beside it, no GGUF tokenizer metadata); pass --tokenizer tokenizer.json");
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Throws a clear error when <paramref name="ids"/> holds an id the model has no embedding row for (a wrong tokenizer).</summary>
    public static void CheckIds(Gemma3Model model, ReadOnlySpan<int> ids)
    {
        foreach (int id in ids)
            if ((uint)id >= (uint)model.Config.VocabSize)
                throw new SharpLMDataException(model.Path, $"the tokenizer produced id {id} but the model has only {model.Config.VocabSize} embedding rows (wrong tokenizer?)");
    }
}
