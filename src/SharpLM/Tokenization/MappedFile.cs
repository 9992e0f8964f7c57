using System.IO.MemoryMappedFiles;

namespace SharpLM.Tokenization;

/// <summary>
/// A whole file mapped read-only into memory and seen as one span: large tokenizer files are parsed in place
/// without a managed copy. Sizes are checked before mapping; errors name the file.
/// </summary>
internal sealed unsafe class MappedFile : IDisposable
{
    readonly MemoryMappedFile? _map;
    readonly MemoryMappedViewAccessor? _view;
    readonly byte* _pointer;
    readonly int _length;

    MappedFile(MemoryMappedFile? map, MemoryMappedViewAccessor? view, byte* pointer, int length)
    {
        _map = map;
        _view = view;
        _pointer = pointer;
        _length = length;
    }

    public ReadOnlySpan<byte> Span => _length == 0 ? default : new ReadOnlySpan<byte>(_pointer, _length);

    /// <exception cref="SharpLMDataException">Missing, unreadable, or larger than <paramref name="maxBytes"/>.</exception>
    public static MappedFile Open(string path, long maxBytes)
    {
        FileInfo info;
        try { info = new FileInfo(path); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        { throw new SharpLMDataException(path, "not a valid path"); }
        if (!info.Exists) throw new SharpLMDataException(path, "file not found");
        if (info.Length > maxBytes)
            throw new SharpLMDataException(path, $"file is {info.Length:N0} bytes; a tokenizer file over {maxBytes:N0} bytes is refused");
        if (info.Length == 0) return new MappedFile(null, null, null, 0);
        try
        {
            var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            var view = map.CreateViewAccessor(0, info.Length, MemoryMappedFileAccess.Read);
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            return new MappedFile(map, view, p + view.PointerOffset, (int)info.Length);
        }
        catch (IOException e) { throw new SharpLMDataException(path, $"cannot read: {e.Message}"); }
        catch (UnauthorizedAccessException e) { throw new SharpLMDataException(path, $"cannot read: {e.Message}"); }
    }

    public void Dispose()
    {
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _map?.Dispose();
    }
}
