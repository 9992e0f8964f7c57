using System.Diagnostics;
using System.Text;

namespace SharpLM.Tests.Tokenization;

/// <summary>
/// Runs a small Node.js script against an npm package installed by scripts/setup.sh (SentencePiece compiled to
/// wasm, Hugging Face's Jinja engine): JSON in on stdin, JSON out on stdout. A missing node or package fails.
/// </summary>
public static class NodeOracle
{
    public static string Package(string name) =>
        Path.Combine(TestPaths.RepoRoot, "third_party", "npm", "node_modules", name);

    public static string Run(string script, string stdin, params string[] args)
    {
        string file = Path.Combine(TestPaths.NewTempDir("sharplm-node"), "oracle.cjs");
        File.WriteAllText(file, script);
        var psi = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(file);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi.ConfineTemp()) ?? throw new InvalidOperationException("cannot start node");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using (var w = new StreamWriter(p.StandardInput.BaseStream, new UTF8Encoding(false))) w.Write(stdin);
        if (!p.WaitForExit(120_000)) { p.Kill(); throw new TimeoutException("node oracle did not finish in 120 s"); }
        if (p.ExitCode != 0) throw new InvalidOperationException($"node oracle failed ({p.ExitCode}): {stderr.Result} (run scripts/setup.sh?)");
        return stdout.Result;
    }
}
