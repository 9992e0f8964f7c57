using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace SharpLM.Testing;

/// <summary>
/// The one folder a test process writes its temporary files under: <c>$TMPDIR/sharplm-tests-&lt;pid&gt;-&lt;random&gt;/</c>.
/// Created (after sweeping the roots of dead test processes) when the assembly's tests start, removed when they
/// end (<see cref="TempRootTestFramework"/>), so repeated runs do not fill the disk (left-behind test folders once
/// filled /tmp with 47 GB). <c>SHARPLM_KEEP_TEST_TEMP=1</c> keeps it for inspection: it is marked so that later
/// sweeps leave it too (delete it by hand), and its path is printed once as an xunit diagnostic message.
/// </summary>
public static partial class TestTempRoot
{
    /// <summary>Set to 1 to keep the run root after the run.</summary>
    public const string KeepVariable = "SHARPLM_KEEP_TEST_TEMP";

    /// <summary>The file that marks a root kept on request; sweeps never remove such a root.</summary>
    public const string KeptMarker = "KEPT-BY-SHARPLM_KEEP_TEST_TEMP";

    const string Prefix = "sharplm-tests-";

    static readonly Lock s_gate = new();
    static string? s_path;
    static bool s_exitHooked;

    /// <summary>Whether this run keeps its root (<c>SHARPLM_KEEP_TEST_TEMP=1</c>).</summary>
    public static bool Keep => Environment.GetEnvironmentVariable(KeepVariable) == "1";

    /// <summary>This process's run root; created on first use, after the roots of dead test processes are swept.</summary>
    public static string Path
    {
        get
        {
            lock (s_gate)
            {
                if (s_path is not null && Directory.Exists(s_path)) return s_path;
                string parent = System.IO.Path.GetTempPath();
                SweepDeadRoots(parent);
                string random = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
                string path = System.IO.Path.Combine(parent, $"{Prefix}{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{random}");
                Directory.CreateDirectory(path);
                if (Keep) File.WriteAllText(System.IO.Path.Combine(path, KeptMarker), "kept on request; test sweeps leave this folder: delete it by hand\n");
                s_path = path;
                // The run's end removes it (TempRootTestFramework); this covers a process that made one without running
                // tests (discovery only, e.g. `dotnet test --list-tests` evaluating member data).
                if (!s_exitHooked) AppDomain.CurrentDomain.ProcessExit += (_, _) => Remove();
                s_exitHooked = true;
                return path;
            }
        }
    }

    /// <summary>Deletes this process's run root (unless kept). A later use creates a fresh one.</summary>
    public static void Remove()
    {
        lock (s_gate)
        {
            if (s_path is null || Keep) return;
            DeleteTree(s_path);
            s_path = null;
        }
    }

    /// <summary>Points a child process's temporary files (TMPDIR, TMP, TEMP) at the run root, so what it leaves goes with the root.</summary>
    public static ProcessStartInfo ConfineTemp(this ProcessStartInfo psi)
    {
        string root = Path;
        psi.Environment["TMPDIR"] = root;
        psi.Environment["TMP"] = root;
        psi.Environment["TEMP"] = root;
        return psi;
    }

    /// <summary>
    /// Removes the run roots in <paramref name="parent"/> whose test process is gone (crashed or killed runs). A root
    /// whose pid is alive is kept (it may belong to the other test project running at the same time; a reused pid
    /// only delays the sweep), and so is a root marked <see cref="KeptMarker"/>. Nothing else in the folder is touched.
    /// </summary>
    public static IReadOnlyList<string> SweepDeadRoots(string parent)
    {
        var removed = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories(parent, Prefix + "*"))
        {
            var m = RootName().Match(System.IO.Path.GetFileName(dir));
            if (!m.Success || !int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
            if (IsAlive(pid) || File.Exists(System.IO.Path.Combine(dir, KeptMarker))) continue;
            DeleteTree(dir);
            removed.Add(dir);
        }
        return removed;
    }

    [GeneratedRegex("^sharplm-tests-([0-9]+)-[0-9a-f]+$")]
    private static partial Regex RootName();

    static bool IsAlive(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException) { return false; } // no such process
        catch (InvalidOperationException) { return false; } // exited while we looked
    }

    /// <summary>Deletes a folder tree; one that another process removes at the same time (two sweeps) is not an error.</summary>
    static void DeleteTree(string dir)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                Directory.Delete(dir, recursive: true);
                return;
            }
            catch (DirectoryNotFoundException) { return; }
            catch (UnauthorizedAccessException) when (attempt == 0) { MakeWritable(dir); }
            catch (IOException) when (attempt < 3)
            {
                if (!Directory.Exists(dir)) return;
                Thread.Sleep(50);
            }
        }
    }

    /// <summary>A test may leave a read-only folder behind (e.g. checking an unwritable output); deleting its entries needs write access.</summary>
    static void MakeWritable(string dir)
    {
        if (OperatingSystem.IsWindows()) return;
        foreach (var d in Directory.EnumerateDirectories(dir, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true }).Prepend(dir))
        {
            try { File.SetUnixFileMode(d, File.GetUnixFileMode(d) | UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }
}
