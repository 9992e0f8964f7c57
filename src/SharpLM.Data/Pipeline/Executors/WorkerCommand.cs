namespace SharpLM.Data.Pipeline.Executors;

/// <summary>
/// How to start this program again as a worker: the executable and the arguments before the verb (for
/// <c>dotnet sharplm.dll</c>, the dll path). A worker runs <c>data pipeline --config OUT/executor.json
/// --run-rank STAGE:RANK</c>.
/// </summary>
public sealed record WorkerCommand(string FileName, IReadOnlyList<string> PrefixArgs)
{
    public IReadOnlyList<string> ArgsFor(string executorJson, string stage, string rank) =>
        [.. PrefixArgs, "data", "pipeline", "--config", executorJson, "--run-rank", $"{stage}:{rank}"];

    /// <summary>The command of the current process (the apphost, or <c>dotnet</c> plus the entry assembly).</summary>
    public static WorkerCommand ForCurrentProcess(string entryAssemblyPath)
    {
        var exe = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find this process's executable");
        return Path.GetFileNameWithoutExtension(exe) == "dotnet" ? new WorkerCommand(exe, [entryAssemblyPath]) : new WorkerCommand(exe, []);
    }
}

/// <summary>A rank that failed in a worker; the run stops and a rerun resumes from the completed ranks.</summary>
public sealed class RankFailedException(string stage, int rank, string detail, string log)
    : Exception($"{stage} rank {rank} failed ({detail}); see {log}. Run the same command again to resume.")
{
    public string Stage { get; } = stage;
    public int Rank { get; } = rank;
}
