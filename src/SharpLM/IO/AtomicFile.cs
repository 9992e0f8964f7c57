namespace SharpLM.IO;

/// <summary>
/// Writes that never leave a half-written file under the final name: write to a temp file in the same
/// folder, flush to disk, then rename over the target. A kill at any moment leaves either the old file or
/// the new one (plus, at worst, a stray <c>.tmp-*</c> file that the next write ignores).
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        using var w = Create(path);
        w.Stream.Write(bytes);
        w.Commit();
    }

    /// <summary>Writes <paramref name="text"/> (UTF-8, no BOM) to <paramref name="path"/> atomically.</summary>
    public static void WriteAllText(string path, string text) =>
        WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>
    /// Opens a temp file beside <paramref name="path"/>. Write to <see cref="AtomicWriter.Stream"/>, then call
    /// <see cref="AtomicWriter.Commit"/>; disposing without committing deletes the temp file and leaves
    /// <paramref name="path"/> untouched.
    /// </summary>
    public static AtomicWriter Create(string path, int bufferSize = 1 << 16) => new(path, bufferSize);

    /// <summary>The temp-file name used for <paramref name="path"/> by this process.</summary>
    internal static string TempNameFor(string path) =>
        path + ".tmp-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)
             + "-" + Guid.NewGuid().ToString("N")[..8];
}

/// <summary>A pending atomic write; see <see cref="AtomicFile.Create"/>.</summary>
public sealed class AtomicWriter : IDisposable
{
    readonly string _target;
    readonly string _temp;
    readonly FileStream _stream;
    bool _done;

    internal AtomicWriter(string target, int bufferSize)
    {
        _target = System.IO.Path.GetFullPath(target);
        var dir = System.IO.Path.GetDirectoryName(_target);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        _temp = AtomicFile.TempNameFor(_target);
        _stream = new FileStream(_temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, bufferSize);
    }

    /// <summary>The stream to write the new content to.</summary>
    public FileStream Stream => _stream;

    /// <summary>The final path this writer replaces on <see cref="Commit"/>.</summary>
    public string TargetPath => _target;

    /// <summary>Flushes the data to disk and renames the temp file over the target.</summary>
    public void Commit()
    {
        if (_done) throw new InvalidOperationException("AtomicWriter already committed or disposed.");
        _stream.Flush(flushToDisk: true);
        _stream.Dispose();
        File.Move(_temp, _target, overwrite: true);
        _done = true;
    }

    public void Dispose()
    {
        if (_done) return;
        _done = true;
        _stream.Dispose();
        try { File.Delete(_temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
