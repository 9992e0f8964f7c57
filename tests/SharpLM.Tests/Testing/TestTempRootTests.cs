using System.Diagnostics;

namespace SharpLM.Tests.Testing;

/// <summary>The test run's temp root (tests/Shared/TestTempRoot.cs): where temp files go and which left-behind roots a new run sweeps.</summary>
public class TestTempRootTests
{
    static Process Sleep()
    {
        var psi = new ProcessStartInfo("sleep", "60") { UseShellExecute = false };
        return Process.Start(psi)!;
    }

    [Fact]
    public void SweepRemovesTheRootsOfDeadProcessesOnly()
    {
        string parent = TestPaths.NewTempDir("sweep");
        // A killed run: its process is gone (kill -9, as a crashed or killed test host).
        int deadPid;
        using (var killed = Sleep())
        {
            deadPid = killed.Id;
            killed.Kill();
            killed.WaitForExit();
        }
        using var alive = Sleep();
        try
        {
            string Root(int pid, string random) => Path.Combine(parent, $"sharplm-tests-{pid}-{random}");
            string dead = Root(deadPid, "0badf00d");
            Directory.CreateDirectory(Path.Combine(dead, "gguf-1", "nested"));
            File.WriteAllText(Path.Combine(dead, "gguf-1", "nested", "m.gguf"), "x");
            string live = Root(alive.Id, "12345678");
            string own = Root(Environment.ProcessId, "9abcdef0");
            string kept = Root(deadPid, "cafe0001");
            foreach (var d in new[] { live, own, kept }) Directory.CreateDirectory(d);
            File.WriteAllText(Path.Combine(kept, TestTempRoot.KeptMarker), "");
            // Not run roots: left alone whatever their pid says.
            string[] others =
            [
                Path.Combine(parent, $"sharplm-test-{deadPid}-0badf00d"), Path.Combine(parent, "sharplm-tests-nopid-0badf00d"),
                Path.Combine(parent, $"sharplm-tests-{deadPid}-0badf00d-extra"), Path.Combine(parent, "sharplm-train-bench"),
            ];
            foreach (var d in others) Directory.CreateDirectory(d);
            string file = Root(deadPid, "feed");
            File.WriteAllText(file, "a file, not a run root");

            var removed = TestTempRoot.SweepDeadRoots(parent);

            Assert.Equal([dead], removed);
            Assert.False(Directory.Exists(dead));
            foreach (var d in new[] { live, own, kept }.Concat(others)) Assert.True(Directory.Exists(d), d);
            Assert.True(File.Exists(file));
        }
        finally
        {
            alive.Kill();
            alive.WaitForExit();
        }
    }

    [Fact]
    public void TempDirsAndChildProcessTempFilesGoUnderTheRunRoot()
    {
        string root = TestTempRoot.Path;
        Assert.Equal(Path.GetFullPath(Path.GetTempPath()).TrimEnd('/'), Path.GetDirectoryName(root));
        Assert.Matches($"^sharplm-tests-{Environment.ProcessId}-[0-9a-f]+$", Path.GetFileName(root));
        Assert.Equal(root, Path.GetDirectoryName(TestPaths.NewTempDir("under-root")));

        // A child told nothing but its environment (mktemp honours TMPDIR) writes under the root.
        var psi = new ProcessStartInfo("mktemp") { RedirectStandardOutput = true, UseShellExecute = false }.ConfineTemp();
        using var p = Process.Start(psi)!;
        string made = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        Assert.Equal(root, Path.GetDirectoryName(made));
        Assert.True(File.Exists(made));
    }
}
