using System.IO.MemoryMappedFiles;

namespace SharpLM.IO;

/// <summary>
/// A whole file mapped read-only into memory: checkpoints are read in place through <see cref="Pointer"/>,
/// so loading a multi-gigabyte model costs page-table entries, not copies. Readers bounds-check every
/// offset against <see cref="Length"/> before touching the bytes.
/// </summary>
public sealed unsafe class MappedFile : IDisposable
{
    readonly MemoryMappedFile _map;
    readonly MemoryMappedViewAccessor _view;
    byte* _pointer;

    /// <summary>The path as given to <see cref="Open"/> (used in error messages).</summary>
    public string Path { get; }
    /// <summary>File size in bytes.</summary>
    public long Length { get; }
    /// <summary>Byte 0 of the file. Valid until <see cref="Dispose"/>.</summary>
    public byte* Pointer => _pointer != null ? _pointer : throw new ObjectDisposedException(Path);

    MappedFile(string path, long length, MemoryMappedFile map, MemoryMappedViewAccessor view)
    {
        Path = path;
        Length = length;
        _map = map;
        _view = view;
        byte* p = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _pointer = p + view.PointerOffset;
    }

    /// <summary>Maps <paramref name="path"/>; a missing, unreadable or empty file is a <see cref="SharpLMDataException"/>.</summary>
    public static MappedFile Open(string path)
    {
        FileStream fs;
        try
        {
            fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.RandomAccess);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new SharpLMDataException(path, "no such file");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SharpLMDataException(path, "cannot open: " + e.Message);
        }
        long length = fs.Length;
        if (length == 0)
        {
            fs.Dispose();
            throw new SharpLMDataException(path, "empty file");
        }
        var map = MemoryMappedFile.CreateFromFile(fs, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        return new MappedFile(path, length, map, view);
    }

    /// <summary>The bytes [<paramref name="offset"/>, +<paramref name="count"/>); the caller has checked the range.</summary>
    public ReadOnlySpan<byte> Span(long offset, int count) => new(Pointer + offset, count);

    public void Dispose()
    {
        if (_pointer == null) return;
        _pointer = null;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
