namespace SharpLM.Data.Pipeline;

/// <summary>A rank's log file (<c>logs/{stage}-{rank}.log</c>): dropped-with-error pages, unreadable files. Appended, line-buffered.</summary>
public sealed class RankLog : IDisposable
{
    readonly StreamWriter _w;

    public RankLog(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        _w = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
    }

    public void Write(string line)
    {
        lock (_w) _w.WriteLine($"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ} {line}");
    }

    public void Dispose() => _w.Dispose();
}
