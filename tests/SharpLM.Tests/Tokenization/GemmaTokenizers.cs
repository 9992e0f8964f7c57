using SharpLM.Tokenization;

namespace SharpLM.Tests.Tokenization;

/// <summary>
/// The real Gemma 3 tokenizer loaded once per test run, by SharpLM and by the oracle (Hugging Face tokenizers,
/// Rust, through Tokenizers.DotNet). Loading takes seconds; every tokenizer test class shares this.
/// </summary>
public sealed class GemmaTokenizers
{
    static readonly Lazy<Gemma3Tokenizer> s_ours = new(() => Gemma3Tokenizer.Load(TestPaths.GemmaTokenizerJson));
    static readonly Lazy<Tokenizers.DotNet.Tokenizer> s_oracle = new(() => new Tokenizers.DotNet.Tokenizer(TestPaths.GemmaTokenizerJson));
    static readonly object s_oracleLock = new();

    public static Gemma3Tokenizer Ours => s_ours.Value;

    /// <summary>HF's ids for <paramref name="text"/>, without the &lt;bos&gt; its binding always adds.</summary>
    public static int[] OracleEncode(string text)
    {
        uint[] ids;
        lock (s_oracleLock) ids = s_oracle.Value.Encode(text);
        Assert.True(ids.Length >= 1 && ids[0] == 2, "oracle did not start with <bos>");
        return ids.Skip(1).Select(i => (int)i).ToArray();
    }

    /// <summary>HF's decode (its binding skips special tokens).</summary>
    public static string OracleDecode(IEnumerable<int> ids)
    {
        lock (s_oracleLock) return s_oracle.Value.Decode(ids.Select(i => (uint)i).ToArray());
    }

    /// <summary>Asserts that SharpLM encodes <paramref name="text"/> exactly as HF; on failure shows the first difference.</summary>
    public static void AssertSameIds(string text, string what)
    {
        var expected = OracleEncode(text);
        var actual = Ours.Encode(text);
        if (expected.AsSpan().SequenceEqual(actual)) return;
        int i = 0;
        while (i < expected.Length && i < actual.Length && expected[i] == actual[i]) i++;
        string Show(int[] ids) => string.Join(",", ids.Skip(Math.Max(0, i - 3)).Take(8).Select(id => $"{id}:{Ours.TokenText(id)}"));
        Assert.Fail($"{what}: ids differ at token {i} (HF {expected.Length} tokens, SharpLM {actual.Length})\n  HF:      {Show(expected)}\n  SharpLM: {Show(actual)}");
    }
}
