using SharpLM.Cli.CommandLine;
using SharpLM.Models.Gemma3;

namespace SharpLM.Cli.Commands;

/// <summary>
/// Text ⇄ ids for the inference verbs, through the model's own tokenizer (GGUF metadata or the HF
/// folder's tokenizer.json). The one place the verbs touch the tokenizer.
/// </summary>
internal static class ModelTokenizer
{
    // The Gemma3Tokenizer (issue #3) has not been merged into this branch yet: text prompts are refused
    // with a clear message rather than tokenized by anything else. Token-id input (--tokens) works.
    public static int[] Encode(Gemma3Model model, string text, bool addBos) =>
        throw new UsageException("text prompts need the Gemma 3 tokenizer, which is not in this build yet; pass --tokens ID,ID,... instead");
}
