using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SharpLM.Data.Tests.Pipeline;

/// <summary>
/// A private one-node Slurm cluster on loopback for a test: munged, slurmctld and slurmd (Debian's
/// slurm-wlm and munge, installed by scripts/setup.sh) in foreground mode with a config, key, ports and
/// state folder of their own. Needs root (the daemons run as SlurmUser=root). Disposing stops exactly the
/// three daemons it started.
/// </summary>
internal sealed class LocalSlurm : IDisposable
{
    readonly List<Process> _daemons = [];
    public string Dir { get; }
    public string ConfPath => Path.Combine(Dir, "slurm.conf");
    /// <summary>For the Slurm executor's sbatch/squeue: this cluster's config, and the test run's temp root (sbatch passes it on to the jobs).</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string> { ["SLURM_CONF"] = ConfPath, ["TMPDIR"] = TestTempRoot.Path };

    public LocalSlurm()
    {
        foreach (var tool in new[] { "/usr/sbin/munged", "/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/bin/sbatch" })
            if (!File.Exists(tool)) throw new FileNotFoundException($"{tool} missing: run scripts/setup.sh (Debian slurm-wlm and munge)", tool);
        Dir = ShortTempDir();
        Directory.CreateDirectory(Path.Combine(Dir, "state"));
        Directory.CreateDirectory(Path.Combine(Dir, "spool"));
        var key = Path.Combine(Dir, "munge.key");
        File.WriteAllBytes(key, System.Security.Cryptography.RandomNumberGenerator.GetBytes(1024));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(key, UnixFileMode.UserRead);
        string host = System.Net.Dns.GetHostName().Split('.')[0];
        int ctld = FreePort(), slurmd = FreePort();
        var socket = Path.Combine(Dir, "munge.socket");
        File.WriteAllText(ConfPath, $"""
            ClusterName=sharplmtest
            SlurmctldHost={host}(127.0.0.1)
            SlurmUser=root
            SlurmdUser=root
            AuthType=auth/munge
            AuthInfo=socket={socket}
            CredType=cred/munge
            SlurmctldPort={ctld}
            SlurmdPort={slurmd}
            StateSaveLocation={Dir}/state
            SlurmdSpoolDir={Dir}/spool
            SlurmctldPidFile={Dir}/slurmctld.pid
            SlurmdPidFile={Dir}/slurmd.pid
            SlurmctldLogFile={Dir}/slurmctld.log
            SlurmdLogFile={Dir}/slurmd.log
            ProctrackType=proctrack/linuxproc
            TaskPlugin=task/none
            JobAcctGatherType=jobacct_gather/none
            AccountingStorageType=accounting_storage/none
            SchedulerType=sched/builtin
            SelectType=select/cons_tres
            SelectTypeParameters=CR_Core
            ReturnToService=2
            MpiDefault=none
            NodeName={host} NodeAddr=127.0.0.1 CPUs=2 RealMemory=4000 State=UNKNOWN
            PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP

            """);
        try
        {
            Start("/usr/sbin/munged", "-F", "--force", $"--key-file={key}", $"--socket={socket}", $"--pid-file={Dir}/munged.pid",
                $"--log-file={Dir}/munged.log", $"--seed-file={Dir}/munged.seed");
            WaitFor(() => File.Exists(socket), "munged socket");
            Start("/usr/sbin/slurmctld", "-D", "-i");
            Start("/usr/sbin/slurmd", "-D");
            WaitFor(() => Run("/usr/bin/sinfo", "-h", "-o", "%t").Trim() == "idle", "the node to be idle");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>
    /// A short-named folder under the run root: slurmd and munged put Unix sockets in it (e.g. spool/&lt;host&gt;_&lt;job&gt;.4294967291),
    /// whose paths may not exceed 108 bytes; a job that cannot create its socket is requeued forever.
    /// </summary>
    static string ShortTempDir()
    {
        while (true)
        {
            var d = Path.Combine(TestTempRoot.Path, "slurm-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3)));
            if (Directory.Exists(d)) continue;
            Directory.CreateDirectory(d);
            return d;
        }
    }

    static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    void Start(string exe, params string[] args)
    {
        var psi = new ProcessStartInfo(exe) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["SLURM_CONF"] = ConfPath;
        psi.ConfineTemp();
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _daemons.Add(p);
    }

    public string Run(string exe, params string[] args)
    {
        var psi = new ProcessStartInfo(exe) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["SLURM_CONF"] = ConfPath;
        psi.ConfineTemp();
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return o.Result;
    }

    void WaitFor(Func<bool> ready, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!ready())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(60))
                throw new TimeoutException($"local Slurm: gave up waiting for {what}; logs in {Dir}");
            foreach (var d in _daemons)
                if (d.HasExited) throw new InvalidOperationException($"local Slurm: {d.StartInfo.FileName} exited with {d.ExitCode}; logs in {Dir}");
            Thread.Sleep(100);
        }
    }

    public void Dispose()
    {
        // Cancel whatever is still queued or running in this private cluster (a failed test), so no job
        // step outlives the daemons.
        if (_daemons.Count == 3 && !_daemons.Any(d => d.HasExited))
        {
            try
            {
                Run("/usr/bin/scancel", "--full", "--user=" + System.Environment.UserName);
                // Let slurmstepd report the last job's end to slurmd before the daemons go (else it lingers).
                var clock = Stopwatch.StartNew();
                while (Run("/usr/bin/squeue", "-h").Trim().Length > 0 && clock.Elapsed < TimeSpan.FromSeconds(20)) Thread.Sleep(200);
                Thread.Sleep(500);
            }
            catch (System.ComponentModel.Win32Exception) { }
        }
        foreach (var p in Enumerable.Reverse(_daemons))
        {
            try { if (!p.HasExited) { p.Kill(); p.WaitForExit(10_000); } } catch (InvalidOperationException) { }
            p.Dispose();
        }
        _daemons.Clear();
    }
}
