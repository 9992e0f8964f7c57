using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;

namespace SharpLM.Data.Warc;

/// <summary>How one gzip member ended.</summary>
internal enum GzipMemberStatus
{
    /// <summary>Inflated completely; the output holds all of it.</summary>
    Ok,
    /// <summary>Inflated completely but larger than the output limit; the output holds only the first bytes.</summary>
    TooLarge,
    /// <summary>The file ends inside the member; the output holds what could be inflated.</summary>
    Truncated,
    /// <summary>Not a gzip member, or its deflate data or trailer is broken; the reader resynchronised after it.</summary>
    Corrupt,
    /// <summary>Inflated past the member limit without ending (a gzip bomb); abandoned and resynchronised.</summary>
    Bomb,
}

/// <summary>One gzip member: where it is in the file and how much of it was inflated.</summary>
internal readonly record struct GzipMember(long Offset, long Length, int OutputLength, long InflatedLength, GzipMemberStatus Status);

/// <summary>
/// Walks the gzip members of a file one at a time (RFC 1952), reporting each member's offset and
/// compressed length, which a per-record gzipped WARC uses as the record's address.
/// </summary>
/// <remarks>
/// .NET's DeflateStream does not say where a deflate stream ended in its input, and it reads its input
/// ahead in large blocks. So the input is handed to it in small chunks, and once it reports the end of the
/// member, the 8-byte trailer is located by its content: the first position from the deflate data onwards
/// whose ISIZE field equals the inflated length (mod 2^32) and which is followed by another gzip header or
/// by the end of the file. A false match needs 56 random bits to agree. A member that fails to inflate or
/// whose trailer is not found is reported <see cref="GzipMemberStatus.Corrupt"/> and the walk resumes at
/// the next position that starts a gzip member whose first inflated bytes look like a record header.
/// </remarks>
internal sealed class GzipMemberReader(FileWindow file)
{
    const int FeedChunk = 16 << 10;
    public long Position { get; private set; }

    public static bool LooksLikeGzip(ReadOnlySpan<byte> head) => head.Length >= 3 && head[0] == 0x1f && head[1] == 0x8b && head[2] == 8;

    /// <summary>
    /// Inflates the next member into <paramref name="output"/> (grown as needed up to
    /// <paramref name="maxOutput"/> bytes). Returns null at the end of the file.
    /// </summary>
    public GzipMember? Next(ref byte[] output, int maxOutput, long maxInflate, Func<ReadOnlySpan<byte>, bool> looksLikeRecordStart)
    {
        long start = Position;
        if (start >= file.Length) return null;

        Span<byte> head = stackalloc byte[10];
        int got = file.Read(start, head);
        if (got < 10 || !LooksLikeGzip(head))
            return got < 10 && got > 0 && LooksLikeGzip(head[..got]) ? Finish(start, file.Length, 0, 0, GzipMemberStatus.Truncated)
                : Corrupt(start, looksLikeRecordStart);
        long dataStart = SkipHeader(start, head[3]);
        if (dataStart < 0) return Finish(start, file.Length, 0, 0, GzipMemberStatus.Truncated);

        var feed = new FeedStream(file, dataStart, FeedChunk);
        long inflated = 0;
        int outLen = 0;
        bool tooLarge = false, bomb = false;
        byte[]? scratch = null;
        try
        {
            using var inflater = new DeflateStream(feed, CompressionMode.Decompress);
            while (true)
            {
                int n;
                if (!tooLarge)
                {
                    if (outLen == output.Length)
                    {
                        if (output.Length >= maxOutput) { tooLarge = true; continue; }
                        Array.Resize(ref output, (int)Math.Min(maxOutput, Math.Max(64 << 10, (long)output.Length * 2)));
                    }
                    n = inflater.Read(output, outLen, output.Length - outLen);
                    outLen += n;
                }
                else
                {
                    scratch ??= ArrayPool<byte>.Shared.Rent(1 << 20);
                    n = inflater.Read(scratch, 0, scratch.Length);
                }
                if (n == 0) break;
                inflated += n;
                if (inflated > maxInflate) { bomb = true; break; }
            }
        }
        catch (InvalidDataException)
        {
            return Corrupt(start, looksLikeRecordStart);
        }
        finally
        {
            if (scratch is not null) ArrayPool<byte>.Shared.Return(scratch);
        }

        if (bomb)
        {
            long next = Resync(feed.Handed, looksLikeRecordStart);
            return Finish(start, next, outLen, inflated, GzipMemberStatus.Bomb);
        }
        long end = FindTrailerEnd(dataStart, feed.Handed, (uint)inflated);
        if (end < 0)
        {
            if (feed.Handed >= file.Length) return Finish(start, file.Length, outLen, inflated, GzipMemberStatus.Truncated);
            return Corrupt(start, looksLikeRecordStart);
        }
        return Finish(start, end, outLen, inflated, tooLarge ? GzipMemberStatus.TooLarge : GzipMemberStatus.Ok);
    }

    GzipMember Finish(long start, long end, int outLen, long inflated, GzipMemberStatus status)
    {
        Position = end;
        return new GzipMember(start, end - start, outLen, inflated, status);
    }

    GzipMember Corrupt(long start, Func<ReadOnlySpan<byte>, bool> looksLikeRecordStart)
    {
        long next = Resync(start + 1, looksLikeRecordStart);
        return Finish(start, next, 0, 0, GzipMemberStatus.Corrupt);
    }

    // RFC 1952 header: ID1 ID2 CM FLG MTIME(4) XFL OS, then optional FEXTRA, FNAME, FCOMMENT, FHCRC.
    long SkipHeader(long start, byte flags)
    {
        const byte FHCRC = 2, FEXTRA = 4, FNAME = 8, FCOMMENT = 16;
        long p = start + 10;
        if ((flags & FEXTRA) != 0)
        {
            Span<byte> xlen = stackalloc byte[2];
            if (file.Read(p, xlen) < 2) return -1;
            p += 2 + BinaryPrimitives.ReadUInt16LittleEndian(xlen);
        }
        if ((flags & FNAME) != 0) p = SkipZeroTerminated(p);
        if (p >= 0 && (flags & FCOMMENT) != 0) p = SkipZeroTerminated(p);
        if (p >= 0 && (flags & FHCRC) != 0) p += 2;
        return p >= 0 && p <= file.Length ? p : -1;
    }

    long SkipZeroTerminated(long p)
    {
        // File names and comments are short; 64 KiB without a terminator is a broken header.
        for (long limit = p + (64 << 10); p < limit; p++)
        {
            int b = file.ByteAt(p);
            if (b < 0) return -1;
            if (b == 0) return p + 1;
        }
        return -1;
    }

    // The inflater stops asking for input once the member ends, so the trailer lies in the last chunk it
    // was handed (plus 8 bytes): search there first, then the whole member in case zlib read differently.
    long FindTrailerEnd(long dataStart, long handed, uint isize)
    {
        long near = Math.Max(dataStart, handed - FeedChunk - 64);
        long end = ScanForTrailer(near, handed, isize);
        return end >= 0 || near == dataStart ? end : ScanForTrailer(dataStart, handed, isize);
    }

    long ScanForTrailer(long from, long handed, uint isize)
    {
        long to = Math.Min(file.Length, handed + 8); // trailer end lies in [dataStart + 8, handed + 8]
        int len = checked((int)Math.Min(int.MaxValue, to - from + 2));
        var buf = ArrayPool<byte>.Shared.Rent(len);
        try
        {
            int n = file.Read(from, buf.AsSpan(0, len));
            var span = buf.AsSpan(0, n);
            // Find ISIZE's 4 bytes with a vectorised search, then check what follows the trailer.
            Span<byte> isizeBytes = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(isizeBytes, isize);
            for (int k = 4; k + 4 <= span.Length;)
            {
                int hit = span[k..].IndexOf(isizeBytes);
                if (hit < 0) break;
                int q = k + hit - 4; // trailer start: CRC32 (4 bytes) then ISIZE
                long end = from + q + 8;
                if (end == file.Length) return end;
                if (q + 10 <= span.Length && span[q + 8] == 0x1f && span[q + 9] == 0x8b) return end;
                k += hit + 1;
            }
            return -1;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buf);
        }
    }

    /// <summary>The first position at or after <paramref name="from"/> that starts a gzip member inflating to a record header; the file length if none.</summary>
    long Resync(long from, Func<ReadOnlySpan<byte>, bool> looksLikeRecordStart)
    {
        var buf = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            long p = from;
            while (p < file.Length)
            {
                int n = file.Read(p, buf.AsSpan(0, 1 << 16));
                if (n < 3) break;
                int i = buf.AsSpan(0, n).IndexOf((byte)0x1f);
                if (i < 0 || i + 3 > n)
                {
                    p += Math.Max(1, n - 2);
                    continue;
                }
                long cand = p + i;
                if (buf[i + 1] == 0x8b && buf[i + 2] == 8 && InflatesToRecordStart(cand, looksLikeRecordStart)) return cand;
                p = cand + 1;
            }
            return file.Length;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buf);
        }
    }

    bool InflatesToRecordStart(long cand, Func<ReadOnlySpan<byte>, bool> looksLikeRecordStart)
    {
        Span<byte> head = stackalloc byte[10];
        if (file.Read(cand, head) < 10) return false;
        long dataStart = SkipHeader(cand, head[3]);
        if (dataStart < 0) return false;
        var probe = new byte[64];
        try
        {
            using var inflater = new DeflateStream(new FeedStream(file, dataStart, 512), CompressionMode.Decompress);
            int total = 0;
            while (total < probe.Length)
            {
                int n = inflater.Read(probe, total, probe.Length - total);
                if (n == 0) break;
                total += n;
            }
            return looksLikeRecordStart(probe.AsSpan(0, total));
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    /// <summary>Hands file bytes to the inflater in small chunks so that it cannot read far past a member's end.</summary>
    sealed class FeedStream(FileWindow file, long start, int chunk) : Stream
    {
        public long Handed { get; private set; } = start;
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            int n = file.Read(Handed, buffer[..Math.Min(buffer.Length, chunk)]);
            Handed += n;
            return n;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Handed; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
