using System.Security.Cryptography;
using SharpLM.Tokenization;

namespace SharpLM.Tests.Tokenization;

/// <summary>
/// The tokenizer trainer: a small Gemma-format tokenizer trained on tiny Shakespeare, written as tokenizer.json,
/// must load in Hugging Face tokenizers with the same ids, round-trip through GGUF metadata, keep Gemma's special
/// ids, and come out byte-identical from the same input and seed.
/// </summary>
public class BpeTrainerTests
{
    sealed record Trained(string Path, byte[] Bytes, Gemma3Tokenizer Tokenizer);

    static readonly Lazy<Trained> s_trained = new(() => TrainTo(seed: 0));

    static Trained TrainTo(int seed)
    {
        string dir = TestPaths.NewTempDir("sharplm-bpe");
        string path = Path.Combine(dir, "tokenizer.json");
        var tok = BpeTrainer.TrainFiles([TestPaths.Shared("text-corpus/tinyshakespeare.txt"), TestPaths.Shared("gsm8k/test.jsonl")],
            new BpeTrainerOptions { VocabSize = 2000, Seed = seed });
        tok.SaveTokenizerJson(path);
        return new Trained(path, File.ReadAllBytes(path), tok);
    }

    static IEnumerable<string> HeldOut() =>
        SharedDataCorpus.Texts("math/math500_test.jsonl").Take(150)
            .Concat(SharedDataCorpus.Texts("text-corpus/openlogic.tex.txt").Take(10))
            .Concat(FuzzCorpus.Strings(seed: 77, count: 150))
            .Append("<start_of_turn>user\nHello, world! 12345<end_of_turn>\n");

    [Fact]
    [Trait("Category", "Oracle")]
    public void HuggingFaceLoadsItWithTheSameIds()
    {
        var t = s_trained.Value;
        var hf = new Tokenizers.DotNet.Tokenizer(t.Path);
        foreach (var text in HeldOut())
        {
            var expected = hf.Encode(text).Skip(1).Select(i => (int)i).ToArray();   // the binding adds <bos>
            Assert.Equal(expected, t.Tokenizer.Encode(text));
        }
        var reloaded = Gemma3Tokenizer.Load(t.Path);
        foreach (var text in HeldOut()) Assert.Equal(t.Tokenizer.Encode(text), reloaded.Encode(text));
    }

    [Fact]
    public void SameInputAndSeedGiveTheSameBytes()
    {
        var again = TrainTo(seed: 0);
        Assert.Equal(SHA256.HashData(s_trained.Value.Bytes), SHA256.HashData(again.Bytes));
        var other = TrainTo(seed: 12345);
        Assert.Equal(2000, other.Tokenizer.VocabSize);
    }

    [Fact]
    public void GemmaLayoutAndBehaviour()
    {
        var t = s_trained.Value.Tokenizer;
        Assert.Equal(2000, t.VocabSize);
        Assert.Equal((2, 1, 106, 0, 3), (t.BosId, t.EosId, t.EndOfTurnId, t.PadId, t.UnknownId));
        Assert.Equal("<start_of_turn>", t.TokenText(105));
        Assert.Equal("<0x00>", t.TokenText(BpeTrainer.FirstByteId));
        Assert.Equal("<0xFF>", t.TokenText(BpeTrainer.FirstByteId + 255));
        Assert.True(t.IsSpecial(106));
        Assert.False(t.IsSpecial(6));
        // Digits stay single; characters outside the alphabet fall back to bytes; specials are one token.
        Assert.Equal(5, t.Encode("12345").Length);
        var cjk = t.Encode("日本");
        Assert.Equal(6, cjk.Length);
        Assert.All(cjk, id => Assert.InRange(id, BpeTrainer.FirstByteId, BpeTrainer.FirstByteId + 255));
        var chat = t.Encode(ChatTemplate.Render([ChatMessage.User("Hi")], addGenerationPrompt: true));
        Assert.Equal(2, chat[0]);
        Assert.Equal(2, chat.Count(id => id == 105));
        Assert.Single(chat, id => id == 106);
        // Words of the training text become single pieces.
        Assert.Single(t.Encode(" the"));
        foreach (var text in HeldOut()) Assert.Equal(text.Replace('\u2581', ' '), t.Decode(t.Encode(text)));
    }

    [Fact]
    public void GgufMetadataRoundTrips()
    {
        var t = s_trained.Value.Tokenizer;
        var back = Gemma3Tokenizer.FromGguf(t.ToGguf());
        foreach (var text in HeldOut()) Assert.Equal(t.Encode(text), back.Encode(text));
    }

    [Fact]
    public void BadOptionsAndInputsGiveClearErrors()
    {
        string shakespeare = TestPaths.Shared("text-corpus/tinyshakespeare.txt");
        Assert.Contains("too small", Assert.Throws<SharpLMDataException>(() =>
            BpeTrainer.TrainFiles([shakespeare], new BpeTrainerOptions { VocabSize = 100 })).Message);
        string missing = Path.Combine(TestPaths.NewTempDir(), "none.txt");
        Assert.Equal(missing, Assert.Throws<SharpLMDataException>(() =>
            BpeTrainer.TrainFiles([missing], new BpeTrainerOptions { VocabSize = 1000 })).Path);
        string empty = Path.Combine(TestPaths.NewTempDir(), "empty.txt");
        File.WriteAllText(empty, "");
        Assert.Contains("no text", Assert.Throws<SharpLMDataException>(() =>
            BpeTrainer.TrainFiles([empty], new BpeTrainerOptions { VocabSize = 1000 })).Message);
        string badJsonl = Path.Combine(TestPaths.NewTempDir(), "bad.jsonl");
        File.WriteAllText(badJsonl, "{\"text\":\"ok\"}\n{broken\n");
        var e = Assert.Throws<SharpLMDataException>(() => BpeTrainer.TrainFiles([badJsonl], new BpeTrainerOptions { VocabSize = 1000 }));
        Assert.Equal(2, e.Offset);
        // A tiny text cannot fill a large vocabulary: training stops when no pair repeats.
        string tiny = Path.Combine(TestPaths.NewTempDir(), "tiny.txt");
        File.WriteAllText(tiny, "abab abab");
        var small = BpeTrainer.TrainFiles([tiny], new BpeTrainerOptions { VocabSize = 5000 });
        Assert.True(small.VocabSize < 400);
        Assert.Equal("abab abab", small.Decode(small.Encode("abab abab")));
    }
}
