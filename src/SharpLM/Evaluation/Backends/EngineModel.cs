using SharpLM.Models.Gemma3;
using SharpLM.Tokenization;

namespace SharpLM.Evaluation.Backends;

/// <summary>Opens a SharpLM model with its tokenizer for evaluation.</summary>
public static class EngineModel
{
    /// <summary>
    /// Loads <paramref name="modelPath"/> (GGUF file or HF folder) and its tokenizer: <paramref name="tokenizerPath"/> when
    /// given, else the model folder's <c>tokenizer.json</c>.
    /// </summary>
    public static (Gemma3Model Model, Gemma3Tokenizer Tokenizer) Open(string modelPath, string? tokenizerPath)
    {
        var model = Gemma3Model.Load(modelPath);
        try
        {
            var source = tokenizerPath ?? model.TokenizerJsonPath
                ?? throw new SharpLMDataException(modelPath,
                    "no tokenizer.json beside this model; pass --tokenizer tokenizer.json (reading the tokenizer from GGUF metadata is not in this build yet)");
            return (model, Gemma3Tokenizer.Load(source));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
