using System.Diagnostics;
using System.Text.Json;

namespace SharpLM.Data.Tests.Cli;

/// <summary><c>sharplm data extract</c> run as the user runs it (a separate process), output and exit codes checked.</summary>
public sealed class DataExtractCommandTests
{
    static (int Code, string Out, string Err) Sharplm(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "sharplm.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi.ConfineTemp())!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void PrintsTextAndJson()
    {
        var page = Path.Combine(TestPaths.Shared("html-math"), "pages", "mathjax-demo-v2-script-tags", "source.html");
        var (code, text, _) = Sharplm("data", "extract", page, "--url", "http://example.org/demo");
        Assert.Equal(0, code);
        Assert.Contains("$x + 1$", text);
        Assert.Contains("$$x+1\\over x-1$$", text);

        var (jcode, json, _) = Sharplm("data", "extract", page, "--json");
        Assert.Equal(0, jcode);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal("MathJax v4 with v2-compatible script tags for expressions", doc.RootElement.GetProperty("title").GetString());
        Assert.Equal(2, doc.RootElement.GetProperty("math").GetProperty("script_math_tex").GetInt32());
        Assert.Equal("utf-8", doc.RootElement.GetProperty("charset").GetString());
        Assert.Contains("$x + 1$", doc.RootElement.GetProperty("text").GetString());
    }

    [Fact]
    public void BadInputExitsTwoWithTheFileAndTheReason()
    {
        var dir = TestPaths.NewTempDir();
        var png = Path.Combine(dir, "image.html");
        File.WriteAllBytes(png, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
        var (code, _, err) = Sharplm("data", "extract", png);
        Assert.Equal(2, code);
        Assert.Equal($"sharplm: {png}: binary content: PNG image", err.Trim());

        var (code2, _, err2) = Sharplm("data", "extract", Path.Combine(dir, "missing.html"));
        Assert.Equal(2, code2);
        Assert.Contains("missing.html: no such file", err2);

        var (code3, _, err3) = Sharplm("data", "extract", png, "--bogus");
        Assert.Equal(2, code3);
        Assert.Contains("unknown option --bogus", err3);
    }
}
