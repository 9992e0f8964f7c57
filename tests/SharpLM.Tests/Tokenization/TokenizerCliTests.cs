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
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        using (var w = new StreamWriter(p.StandardInput.BaseStream, new UTF8Encoding(false))) w.Write(stdin ?? "");
        Assert.True(p.WaitForExit(120_000), "sharplm did not finish");
        return (p.ExitCode, o.Result, e.Result);
    }

    [Fact]
    public void TokenizeAndDetokenize()
    {
        string tok = TestPaths.GemmaTokenizerJson;
        Assert.Equal((0, "[2,9259,1902]\n", ""), Sharplm(null, "tokenize", tok, "--text", "Hello world", "--add-bos"));
        // stdin, special tokens parsed or not
        var (code, output, _) = Sharplm("<start_of_turn>user", "tokenize", tok);
        Assert.Equal(0, code);
        Assert.StartsWith("[105,", output);
        (code, output, _) = Sharplm("<start_of_turn>user", "tokenize", tok, "--no-special");
        Assert.DoesNotContain("105", output);
        Assert.Equal((0, "<bos>Hello world\n", ""), Sharplm(null, "detokenize", tok, "--ids", "2,9259,1902"));
        Assert.Equal((0, "Hello world\n", ""), Sharplm("[2,9259,1902]", "detokenize", tok, "--skip-special"));
    }

    [Fact]
    public void BadInputExitsWithCode2()
    {
        string tok = TestPaths.GemmaTokenizerJson;
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
