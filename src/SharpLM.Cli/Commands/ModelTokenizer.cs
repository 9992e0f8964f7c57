using SharpLM.Cli.CommandLine;
using SharpLM.Models.Gemma3;
using SharpLM.Tokenization;

namespace SharpLM.Cli.Commands;

/// <summary>One chat turn as the inference verbs pass it to the template.</summary>
internal sealed record ChatTurn(string Role, string Content);

/// <summary>
/// Text ⇄ ids for the inference verbs through the model's own tokenizer: <c>--tokenizer PATH</c> when given,
/// else the HF folder's tokenizer.json. The one place the verbs touch the tokenizer.
/// </summary>
internal sealed class ModelTokenizer
{
    readonly Gemma3Tokenizer _tok;
    readonly int[] _forbidden;

    ModelTokenizer(Gemma3Tokenizer tok)
    {
        _tok = tok;
        // Never generated as text: image placeholders (spec §4.3) and HF's added <image_soft_token>.
        _forbidden = new[] { "<start_of_image>", "<end_of_image>", "<image_soft_token>" }
            .Select(tok.TokenId).Where(id => id >= 0).ToArray();
    }

    /// <summary>The tokenizer for <paramref name="model"/>; <paramref name="explicitPath"/> is <c>--tokenizer</c>.</summary>
    public static ModelTokenizer For(Gemma3Model model, string? explicitPath)
    {
        if (explicitPath is not null) return new ModelTokenizer(Gemma3Tokenizer.Load(explicitPath));
        if (model.TokenizerJsonPath is { } json) return new ModelTokenizer(Gemma3Tokenizer.Load(json));
        if (model.GgufTokenizer is not null)
            // Gemma3Tokenizer cannot be built from GGUF metadata yet (Gemma3Tokenizer.FromGguf, tokenizer area).
            throw new UsageException($"{model.Path}: reading the tokenizer from GGUF metadata is not supported in this build yet; pass --tokenizer path/to/tokenizer.json (the model's HF tokenizer)");
        throw new UsageException($"{model.Path}: the model has no tokenizer; pass --tokenizer path/to/tokenizer.json");
    }

    public int VocabSize => _tok.VocabSize;
    public int EosId => _tok.EosId;
    public int EndOfTurnId => _tok.EndOfTurnId;
    public IReadOnlyList<int> ForbiddenIds => _forbidden;
    /// <summary>Encodes <paramref name="text"/>, checking every id has a row in <paramref name="model"/>'s embedding.</summary>
    public int[] Encode(Gemma3Model model, string text, bool addBos)
    {
        var ids = _tok.Encode(text, addBos);
        foreach (int id in ids)
            if (id >= model.Config.VocabSize)
                throw new SharpLMDataException(model.Path, $"the tokenizer produced id {id} but the model has only {model.Config.VocabSize} embedding rows (wrong tokenizer?)");
        return ids;
    }
    public StreamingDetokenizer NewStream() => _tok.NewStreamingDetokenizer(skipSpecialTokens: true);

    /// <summary>The Gemma 3 chat prompt for <paramref name="turns"/> (spec §4.2).</summary>
    public string RenderChat(IReadOnlyList<ChatTurn> turns, bool addGenerationPrompt) =>
        // The chat template belongs to the tokenizer area (ChatTemplate.Render); it is not in this build yet.
        throw new UsageException("chat needs the Gemma 3 chat template (tokenizer area), which is not in this build yet; use 'run' meanwhile");
}
