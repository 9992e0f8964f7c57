using SharpLM.Cli.CommandLine;
using SharpLM.Models.Gemma3;

namespace SharpLM.Cli.Commands;

/// <summary>One chat turn as the inference verbs pass it to the template.</summary>
internal sealed record ChatTurn(string Role, string Content);

/// <summary>Turns ids into text as they stream in (a token may end in the middle of a UTF-8 character).</summary>
internal interface ITextStream
{
    /// <summary>Text completed by <paramref name="id"/> (possibly empty).</summary>
    string Push(int id);
    /// <summary>Whatever is still pending.</summary>
    string Flush();
}

/// <summary>
/// Text ⇄ ids for the inference verbs, through the model's own tokenizer (GGUF metadata or the HF
/// folder's tokenizer.json): the one place the verbs touch the tokenizer.
/// </summary>
internal sealed class ModelTokenizer
{
    ModelTokenizer() { }

    /// <summary>The model's tokenizer.</summary>
    public static ModelTokenizer For(Gemma3Model model) =>
        // The Gemma3Tokenizer (issue #3) is not merged into this build yet; text prompts are refused with a
        // clear message rather than tokenized by anything else. Token-id input (logits --tokens, bench) works.
        throw new UsageException($"{model.Path}: text prompts need the Gemma 3 tokenizer, which is not in this build yet (logits --tokens and bench work without it)");

    public int VocabSize => throw new NotSupportedException();
    public int EosId => throw new NotSupportedException();
    public int EndOfTurnId => throw new NotSupportedException();
    /// <summary>Ids text generation must never produce (<c>&lt;start_of_image&gt;</c>, <c>&lt;end_of_image&gt;</c>).</summary>
    public IEnumerable<int> ForbiddenIds => throw new NotSupportedException();
    public int[] Encode(string text, bool addBos) => throw new NotSupportedException();
    public ITextStream NewStream() => throw new NotSupportedException();
    public string RenderChat(IReadOnlyList<ChatTurn> turns, bool addGenerationPrompt) => throw new NotSupportedException();

    public static int[] Encode(Gemma3Model model, string text, bool addBos) => For(model).Encode(text, addBos);
}
