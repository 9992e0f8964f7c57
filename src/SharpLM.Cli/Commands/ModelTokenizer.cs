using SharpLM.Cli.CommandLine;
using SharpLM.Models.Gemma3;
using SharpLM.Tokenization;

namespace SharpLM.Cli.Commands;

/// <summary>
/// Text ⇄ ids for the inference verbs through the model's own tokenizer: <c>--tokenizer PATH</c> when given,
/// else the HF folder's tokenizer.json, else the GGUF file's own metadata. The one place the verbs touch the tokenizer.
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
        if (model.GgufTokenizer is { } data) return new ModelTokenizer(Gemma3Tokenizer.FromGguf(data, model.Path));
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
    /// <remarks>Lenient: repeated roles are merged rather than refused, as an interactive chat needs.</remarks>
    public static string RenderChat(IReadOnlyList<ChatMessage> turns, bool addGenerationPrompt) =>
        ChatTemplate.Render(turns, addGenerationPrompt, lenient: true);
}
