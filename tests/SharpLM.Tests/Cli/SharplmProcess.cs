using System.Diagnostics;

namespace SharpLM.Tests.Cli;

/// <summary>Runs the built <c>sharplm</c> command as a child process (for exit codes, stderr, and kill −9 tests).</summary>
public static class SharplmProcess
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "sharplm.dll");

    public static Process Start(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi.ConfineTemp())!;
    }

    public static (int Code, string Stdout, string Stderr) Run(params string[] args) => Run(TimeSpan.FromMinutes(5), args);

    public static (int Code, string Stdout, string Stderr) Run(TimeSpan limit, params string[] args)
    {
        using var p = Start(args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(limit))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("sharplm " + string.Join(' ', args));
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
