using SharpLM.Tests.Cli;
using SharpLM.Tests.Models.Gemma3;
using SharpLM.Tokenization;

namespace SharpLM.Tests.Tokenization;

/// <summary>
/// llama.cpp (LLamaSharp 0.30.0) reading the full 262k Gemma 3 vocabulary from a GGUF the project wrote
/// (<c>Gemma3Tokenizer.ToGguf</c>: pieces, scores, token types) must split text exactly as we do: GSM8K and MATH
/// problems, 200 fuzz strings (every plane, combining stacks, emoji, whitespace runs) and special tokens. llama.cpp
/// tokenizes by SentencePiece-style score merges, not by the merge list, so this checks that the scores we write
/// reproduce Gemma's merges in another implementation.
/// </summary>
[Trait("Category", "Oracle")]
public class LlamaCppTokenizationTests
{
    static IEnumerable<string> Texts()
    {
        foreach (var q in SharedDataCorpus.Texts("gsm8k/test.jsonl").Take(40)) yield return q;
        foreach (var p in SharedDataCorpus.Texts("math/math500_test.jsonl").Take(40)) yield return p;
        yield return "Héllo wörld — naïve café, 東京 and 🦀 emoji 👩‍👩‍👧.";
        yield return "def f(x):\n\treturn x ** 2  # square\n\n\n";
        foreach (var f in FuzzCorpus.Strings(seed: 3, count: 200)) yield return f;
        yield return "<start_of_turn>user\nWhat is 2+2?<end_of_turn>\n<start_of_turn>model\n";
    }

    [Fact]
    public void Llama_cpp_splits_text_as_we_do_with_the_gguf_we_wrote()
    {
        var tok = Gemma3Tokenizer.Load(TestPaths.GemmaTokenizerJson);
        // llama.cpp wants one embedding row per piece (the released GGUFs are cut to the tokenizer's size too).
        string path = RealVocabularyTinyModel.Write(tok, vocabSize: tok.ToGguf().Tokens.Count);
        using var llama = new LlamaCppOracleTests.LlamaRunner(path);
        int n = 0;
        var mismatches = new List<string>();
        foreach (string text in Texts())
        {
            int[] ours = tok.Encode(text, addBos: true);
            int[] theirs = llama.Context.Tokenize(text, addBos: true, special: true).Select(t => (int)t).ToArray();
            if (!ours.SequenceEqual(theirs))
                mismatches.Add($"{text[..Math.Min(60, text.Length)]}…\n  ours   {string.Join(',', ours.Take(24))}\n  theirs {string.Join(',', theirs.Take(24))}");
            n++;
        }
        Assert.True(n > 280, $"only {n} texts");
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {n} texts split differently:\n" + string.Join('\n', mismatches.Take(5)));
    }
}
