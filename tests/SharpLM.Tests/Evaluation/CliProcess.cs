using System.Diagnostics;

namespace SharpLM.Tests.Evaluation;

/// <summary>Runs the built <c>sharplm</c> as a child process (the real Main: exit codes, stdout, stderr).</summary>
public static class CliProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    static string Dll => Path.Combine(AppContext.BaseDirectory, "sharplm.dll");

    public static ProcessStartInfo StartInfo(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["SHARPLM_SHARED_DATA"] = TestPaths.SharedData;
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.ConfineTemp();
        return psi;
    }

    public static Result Run(params string[] args)
    {
        using var p = Process.Start(StartInfo(args))!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3))) { p.Kill(entireProcessTree: true); throw new TimeoutException("sharplm did not finish"); }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}
