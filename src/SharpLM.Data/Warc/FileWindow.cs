using Microsoft.Win32.SafeHandles;

namespace SharpLM.Data.Warc;

/// <summary>
/// Positional reads from a file through one cached window, so that the many small reads of a record
/// reader (header scans, gzip member trailers, re-reads after a gzip member ends) cost a memory copy
/// instead of a system call. Not thread-safe.
/// </summary>
internal sealed class FileWindow : IDisposable
{
    const int WindowBytes = 256 << 10;
    readonly SafeFileHandle _handle;
    readonly byte[] _window = new byte[WindowBytes];
    long _windowStart;
    int _windowCount;

    public string Path { get; }
    public long Length { get; }

    public FileWindow(string path)
    {
        Path = path;
        try
        {
            _handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new SharpLMDataException(path, "file not found");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new SharpLMDataException(path, "cannot open: " + e.Message);
        }
        Length = RandomAccess.GetLength(_handle);
    }

    /// <summary>Copies up to <paramref name="dest"/>.Length bytes at <paramref name="offset"/>; fewer only at the end of the file.</summary>
    public int Read(long offset, Span<byte> dest)
    {
        if (offset >= Length || dest.IsEmpty) return 0;
        int total = 0;
        while (!dest.IsEmpty && offset < Length)
        {
            if (offset < _windowStart || offset >= _windowStart + _windowCount)
            {
                if (dest.Length >= WindowBytes)
                {
                    // Large reads bypass the window.
                    int direct = RandomAccess.Read(_handle, dest, offset);
                    if (direct <= 0) break;
                    total += direct;
                    offset += direct;
                    dest = dest[direct..];
                    continue;
                }
                Fill(offset);
                if (_windowCount == 0) break;
            }
            int from = (int)(offset - _windowStart);
            int n = Math.Min(dest.Length, _windowCount - from);
            _window.AsSpan(from, n).CopyTo(dest);
            total += n;
            offset += n;
            dest = dest[n..];
        }
        return total;
    }

    /// <summary>The byte at <paramref name="offset"/>, or -1 past the end.</summary>
    public int ByteAt(long offset)
    {
        Span<byte> one = stackalloc byte[1];
        return Read(offset, one) == 1 ? one[0] : -1;
    }

    void Fill(long offset)
    {
        _windowStart = offset;
        _windowCount = 0;
        while (_windowCount < WindowBytes)
        {
            int n = RandomAccess.Read(_handle, _window.AsSpan(_windowCount), offset + _windowCount);
            if (n <= 0) break;
            _windowCount += n;
        }
    }

    public void Dispose() => _handle.Dispose();
}
