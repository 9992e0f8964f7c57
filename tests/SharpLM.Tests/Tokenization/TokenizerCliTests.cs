using System.Diagnostics;
using System.Text;

namespace SharpLM.Tests.Tokenization;

/// <summary>The <c>tokenize</c> and <c>detokenize</c> verbs, run as a user runs them (a separate process: output and exit code).</summary>
public class TokenizerCliTests
{
    static (int Code, string Out, string Err) Sharplm(string? stdin, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "sharplm.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi.ConfineTemp())!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        using (var w = new StreamWriter(p.StandardInput.BaseStream, new UTF8Encoding(false))) w.Write(stdin ?? "");
        Assert.True(p.WaitForExit(120_000), "sharplm did not finish");
        return (p.ExitCode, o.Result, e.Result);
    }

    /// <summary>A four-piece tokenizer: process start-up dominates, not loading the 33 MB Gemma file.</summary>
    static string TinyTokenizer()
    {
        string path = Path.Combine(TestPaths.NewTempDir(), "tokenizer.json");
        File.WriteAllText(path, """
            {"added_tokens":[{"id":0,"content":"<bos>","special":true},{"id":1,"content":"<x>","special":false}],
             "normalizer":{"type":"Replace","pattern":{"String":" "},"content":"▁"},
             "post_processor":{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<bos>","type_id":0}},{"Sequence":{"id":"A","type_id":0}}]},
             "decoder":{"type":"Sequence","decoders":[{"type":"Replace","pattern":{"String":"▁"},"content":" "},{"type":"ByteFallback"},{"type":"Fuse"}]},
             "model":{"type":"BPE","byte_fallback":true,"vocab":{"<bos>":0,"<x>":1,"a":2,"b":3,"ab":4,"▁":5},"merges":[["a","b"]]}}
            """);
        return path;
    }

    [Fact]
    public void TokenizeAndDetokenize()
    {
        Assert.Equal((0, "[2,9259,1902]\n", ""), Sharplm(null, "tokenize", TestPaths.GemmaTokenizerJson, "--text", "Hello world", "--add-bos"));
        string tok = TinyTokenizer();
        // stdin; special tokens parsed or not (a user-defined token always is)
        Assert.Equal((0, "[0,4,5,1]\n", ""), Sharplm("<bos>ab <x>", "tokenize", tok));
        Assert.Equal((0, "[0,4,5,1]\n", ""), Sharplm(null, "tokenize", tok, "--text", "ab <x>", "--add-bos"));
        Assert.DoesNotContain("[0,", Sharplm("<bos>ab", "tokenize", tok, "--no-special").Out);
        Assert.Equal((0, "<bos>ab ab\n", ""), Sharplm(null, "detokenize", tok, "--ids", "0,4,5,4"));
        Assert.Equal((0, "ab ab\n", ""), Sharplm("[0,4,5,4]", "detokenize", tok, "--skip-special"));
    }

    [Fact]
    public void BadInputExitsWithCode2()
    {
        string tok = TinyTokenizer();
        var (code, _, err) = Sharplm(null, "detokenize", tok, "--ids", "2,999999");
        Assert.Equal(2, code);
        Assert.Contains("outside the vocabulary", err);
        (code, _, err) = Sharplm(null, "detokenize", tok, "--ids", "2,x");
        Assert.Equal(2, code);
        string bad = Path.Combine(TestPaths.NewTempDir(), "tokenizer.json");
        File.WriteAllText(bad, "{\"model\":{\"type\":\"Unigram\"}}");
        (code, _, err) = Sharplm(null, "tokenize", bad, "--text", "x");
        Assert.Equal(2, code);
        Assert.StartsWith($"sharplm: {bad}: unsupported model type 'Unigram'", err);
    }
}
