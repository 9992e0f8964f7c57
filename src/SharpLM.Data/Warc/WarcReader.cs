namespace SharpLM.Data.Warc;

/// <summary>
/// Streams the records of one WARC file (plain or gzipped, per-record members or one big member) or legacy
/// ARC v1 file. Records that are truncated, malformed, oversized or fail their digest are skipped and
/// counted in <see cref="Stats"/>; the reader resynchronises on the next record and never throws for a
/// bad record. Only a file that is not WARC/ARC at all (or cannot be opened) throws
/// <see cref="SharpLMDataException"/>.
/// </summary>
/// <remarks>
/// Memory per record is bounded by <see cref="WarcReaderOptions.MaxRecordBytes"/>; time per gzip member by
/// <see cref="WarcReaderOptions.MaxMemberInflateBytes"/>. Each yielded record owns its block.
/// </remarks>
/// <example>
/// <code>
/// using var reader = new WarcReader("CC-MAIN-…warc.gz");
/// foreach (var r in reader.Records())
///     if (r.Type == "response" &amp;&amp; HttpResponse.TryParse(r.Block, out var http, out _)) Use(r.TargetUri, http);
/// Console.WriteLine(reader.Stats.Skipped);
/// </code>
/// </example>
public sealed class WarcReader : IDisposable
{
    readonly FileWindow _file;
    readonly WarcReaderOptions _options;

    public string Path { get; }
    public WarcFileFormat Format { get; }
    public WarcReadStats Stats { get; } = new();

    public WarcReader(string path, WarcReaderOptions? options = null)
    {
        Path = path;
        _options = options ?? WarcReaderOptions.Default;
        _file = new FileWindow(path);
        try
        {
            Format = Detect();
        }
        catch
        {
            _file.Dispose();
            throw;
        }
    }

    WarcFileFormat Detect()
    {
        Span<byte> head = stackalloc byte[64];
        int n = _file.Read(0, head);
        head = head[..n];
        if (n == 0) throw new SharpLMDataException(Path, "empty file (not a WARC/ARC file)");
        if (GzipMemberReader.LooksLikeGzip(head))
        {
            var probe = new byte[64];
            var members = new GzipMemberReader(_file);
            var m = members.Next(ref probe, 64, 1 << 20, _ => true);
            var inner = probe.AsSpan(0, m?.OutputLength ?? 0);
            if (inner.StartsWith("filedesc://"u8)) return WarcFileFormat.ArcGzip;
            if (inner.StartsWith("WARC/"u8) || inner.IsEmpty) return WarcFileFormat.WarcGzip; // empty: let Records() count it
            throw new SharpLMDataException(Path, "gzip file does not contain WARC or ARC records");
        }
        var trimmed = head.TrimStart("\r\n"u8);
        if (trimmed.StartsWith("WARC/"u8)) return WarcFileFormat.Warc;
        if (trimmed.StartsWith("filedesc://"u8)) return WarcFileFormat.Arc;
        if (head[0] == 0x1f && n > 1 && head[1] == 0x8b) throw new SharpLMDataException(Path, "gzip with an unsupported compression method");
        throw new SharpLMDataException(Path, "not a WARC or ARC file (does not start with 'WARC/', 'filedesc://' or a gzip header)");
    }

    /// <summary>The records, in file order. May be enumerated once.</summary>
    public IEnumerable<WarcRecord> Records() =>
        Format is WarcFileFormat.WarcGzip or WarcFileFormat.ArcGzip ? GzipRecords() : PlainRecords();

    /// <summary>
    /// Gzip files are read as the concatenation of their members' inflated bytes (as gunzip does), with
    /// each member's place in the file remembered, so that every layout real writers produce reads right:
    /// one member per record (the norm), several records in one member, and one record split over several
    /// members (warcio's example-wrong-chunks writes the head and the body separately). A record's
    /// offset is that of the member holding its first byte; its length runs to the end of the member
    /// holding its last byte.
    /// </summary>
    IEnumerable<WarcRecord> GzipRecords()
    {
        var members = new GzipMemberReader(_file);
        var output = new byte[64 << 10];
        var buf = new byte[64 << 10];
        int len = 0, pos = 0;
        var segments = new List<(long Offset, long Length, int Start, int End)>();
        bool eof = false;

        // Appends the next good member; false at the end of the file.
        bool More()
        {
            while (!eof)
            {
                if (members.Next(ref output, _options.MaxRecordBytes, _options.MaxMemberInflateBytes, RecordHeaderParser.LooksLikeRecordStart) is not { } m)
                {
                    eof = true;
                    return false;
                }
                switch (m.Status)
                {
                    case GzipMemberStatus.Corrupt: Stats.Skip("gzip_corrupt"); Drop(); continue;
                    case GzipMemberStatus.Bomb: Stats.Skip("gzip_bomb"); Drop(); continue;
                    case GzipMemberStatus.TooLarge: Stats.Skip("too_large"); Drop(); continue;
                }
                if (pos > 0 && pos == len) { len = pos = 0; segments.Clear(); }
                if ((long)len + m.OutputLength > _options.MaxRecordBytes + (long)_options.MaxHeaderBytes)
                {
                    // A record growing past the limit over many members: give it up.
                    Stats.Skip("too_large");
                    Drop();
                }
                if (buf.Length < len + m.OutputLength) Array.Resize(ref buf, Math.Max(len + m.OutputLength, buf.Length * 2));
                output.AsSpan(0, m.OutputLength).CopyTo(buf.AsSpan(len));
                segments.Add((m.Offset, m.Length, len, len + m.OutputLength));
                len += m.OutputLength;
                if (m.Status == GzipMemberStatus.Truncated) eof = true;
                return true;
            }
            return false;
        }

        void Drop()
        {
            len = pos = 0;
            segments.Clear();
        }

        while (true)
        {
            pos += SkipLineBreaks(buf.AsSpan(pos, len - pos));
            if (pos >= len)
            {
                if (!More()) yield break;
                continue;
            }
            var head = RecordHeaderParser.TryParse(buf.AsSpan(pos, len - pos), _options.MaxHeaderBytes, out var failure);
            if (head is null)
            {
                if (failure == "truncated" && More()) continue;
                Stats.Skip(failure!);
                Drop(); // resume at the next member
                continue;
            }
            long blockEnd = (long)pos + head.HeadLength + head.ContentLength;
            if (blockEnd > len)
            {
                if (head.ContentLength > _options.MaxRecordBytes)
                {
                    Stats.Skip("too_large");
                    Drop();
                    continue;
                }
                if (More()) continue;
                Stats.Skip("truncated");
                Drop();
                continue;
            }
            var first = segments.First(g => g.End > pos);
            var last = segments.First(g => g.End >= blockEnd);
            bool shared = !IsOnlyLineBreaks(buf.AsSpan(first.Start, pos - first.Start))
                || HasMoreRecords(buf.AsSpan((int)blockEnd, last.End - (int)blockEnd));
            if (shared) Stats.SharedMemberRecords++;
            var block = buf.AsSpan(pos + head.HeadLength, (int)head.ContentLength).ToArray();
            pos = (int)blockEnd;
            if (Make(head, block, first.Offset, last.Offset + last.Length - first.Offset, shared) is { } record) yield return record;
            // Compact: drop segments wholly consumed.
            if (pos == len) { Drop(); }
        }
    }

    static bool IsOnlyLineBreaks(ReadOnlySpan<byte> s) => SkipLineBreaks(s) == s.Length;

    static bool HasMoreRecords(ReadOnlySpan<byte> rest)
    {
        rest = rest[SkipLineBreaks(rest)..];
        return !rest.IsEmpty && RecordHeaderParser.LooksLikeRecordStart(rest);
    }

    IEnumerable<WarcRecord> PlainRecords()
    {
        long pos = 0;
        var headBuf = new byte[_options.MaxHeaderBytes];
        while (true)
        {
            pos = SkipLineBreaks(pos);
            if (pos >= _file.Length) yield break;
            int n = _file.Read(pos, headBuf);
            var head = RecordHeaderParser.TryParse(headBuf.AsSpan(0, n), _options.MaxHeaderBytes, out var failure);
            if (head is null)
            {
                Stats.Skip(failure!);
                if (failure == "truncated") yield break;
                pos = ResyncPlain(pos + 1);
                continue;
            }
            long blockStart = pos + head.HeadLength;
            long blockEnd = blockStart + head.ContentLength;
            if (blockEnd > _file.Length)
            {
                Stats.Skip("truncated");
                yield break;
            }
            long next = SkipLineBreaks(blockEnd);
            // Records are followed by CRLF CRLF; a different byte there means Content-Length lied.
            if (next < _file.Length && !StartsRecordAt(next))
            {
                Stats.Skip("bad_content_length");
                pos = ResyncPlain(pos + 1);
                continue;
            }
            if (head.ContentLength > _options.MaxRecordBytes)
            {
                Stats.Skip("too_large");
                pos = next;
                continue;
            }
            var block = new byte[head.ContentLength];
            _file.Read(blockStart, block);
            var record = Make(head, block, pos, next - pos, shared: false);
            pos = next;
            if (record is not null) yield return record;
        }
    }

    WarcRecord? Make(RecordHead head, ReadOnlyMemory<byte> block, long offset, long length, bool shared)
    {
        if (_options.VerifyDigests && head.Headers["WARC-Block-Digest"] is { } digest && !WarcDigest.Matches(digest, block.Span))
        {
            Stats.Skip("digest_mismatch");
            return null;
        }
        Stats.Read(head.Type);
        return new WarcRecord
        {
            Version = head.Version, Type = head.Type, Headers = head.Headers, TargetUri = head.TargetUri,
            Date = head.Date, Offset = offset, Length = length, SharesGzipMember = shared,
            Block = block,
        };
    }

    bool StartsRecordAt(long pos)
    {
        Span<byte> b = stackalloc byte[32];
        int n = _file.Read(pos, b);
        return RecordHeaderParser.LooksLikeRecordStart(b[..n]);
    }

    long SkipLineBreaks(long pos)
    {
        while (_file.ByteAt(pos) is '\r' or '\n') pos++;
        return pos;
    }

    static int SkipLineBreaks(ReadOnlySpan<byte> s)
    {
        int i = 0;
        while (i < s.Length && s[i] is (byte)'\r' or (byte)'\n') i++;
        return i;
    }

    /// <summary>The next line start at or after <paramref name="from"/> that begins a record; the file length if none.</summary>
    long ResyncPlain(long from)
    {
        var buf = new byte[1 << 16];
        long p = from;
        while (p < _file.Length)
        {
            int n = _file.Read(p, buf);
            var span = buf.AsSpan(0, n);
            int i = 0;
            while (true)
            {
                int nl = span[i..].IndexOf((byte)'\n');
                if (nl < 0) break;
                long lineStart = p + i + nl + 1;
                if (StartsRecordAt(lineStart)) return lineStart;
                i += nl + 1;
            }
            if (n < buf.Length) break;
            p += n;
        }
        return _file.Length;
    }

    public void Dispose() => _file.Dispose();
}
