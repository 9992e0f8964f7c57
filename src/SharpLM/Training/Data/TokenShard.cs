using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;

namespace SharpLM.Training.Data;

/// <summary>
/// A token shard (<c>.tok</c>): a 64-byte header, then the tokens as little-endian u16 (vocabularies up to
/// 65,536) or u32. Documents are stored as BOS, tokens, EOS, back to back. Read by memory mapping.
/// </summary>
/// <remarks>
/// Header (little-endian):
/// <code>
///  0  8  magic "SLMTOKEN"          32  8  token count
///  8  4  version = 1               40  8  document count
/// 12  4  bytes per token (2 | 4)   48 16  tokenizer fingerprint (SHA-256 prefix of the tokenizer file; zeros if unknown)
/// 16  4  vocabulary size
/// 20  4  BOS id                    64     tokens
/// 24  4  EOS id
/// 28  4  reserved (0)
/// </code>
/// A raw <c>.u32</c> file (what numpy or llm.c-style tools write) has no header: every 4 bytes are a token.
/// </remarks>
public sealed unsafe class TokenShard : IDisposable
{
    public const int HeaderBytes = 64;
    public const int Version = 1;
    public const string Extension = ".tok";
    public const string RawExtension = ".u32";
    public static ReadOnlySpan<byte> Magic => "SLMTOKEN"u8;

    readonly MemoryMappedFile? _map;
    readonly MemoryMappedViewAccessor? _view;
    readonly byte* _base;

    public string Path { get; }
    /// <summary>Tokens in the file.</summary>
    public long Count { get; }
    /// <summary>2 or 4.</summary>
    public int BytesPerToken { get; }
    /// <summary>Vocabulary size from the header; null for a raw <c>.u32</c> file.</summary>
    public int? VocabSize { get; }
    public int? BosId { get; }
    public int? EosId { get; }
    public long Documents { get; }
    /// <summary>16 bytes identifying the tokenizer (all zero when unknown or raw).</summary>
    public byte[] TokenizerFingerprint { get; } = new byte[16];

    TokenShard(string path)
    {
        Path = path;
        var info = new FileInfo(path);
        if (!info.Exists) throw new SharpLMDataException(path, "no such file");
        long length = info.Length;
        bool raw = path.EndsWith(RawExtension, StringComparison.OrdinalIgnoreCase);
        if (raw)
        {
            if (length % 4 != 0) throw new SharpLMDataException(path, $"a .u32 token file must be a multiple of 4 bytes long, this one has {length}");
            BytesPerToken = 4;
            Count = length / 4;
        }
        else
        {
            if (length < HeaderBytes) throw new SharpLMDataException(path, $"truncated: {length} bytes is shorter than the {HeaderBytes}-byte token shard header");
            Span<byte> h = stackalloc byte[HeaderBytes];
            using (var f = File.OpenRead(path)) f.ReadExactly(h);
            if (!h[..8].SequenceEqual(Magic)) throw new SharpLMDataException(path, "not a token shard (bad magic; expected \"SLMTOKEN\", or use a .u32 raw file)", 0);
            int version = BinaryPrimitives.ReadInt32LittleEndian(h[8..]);
            if (version != Version) throw new SharpLMDataException(path, $"unsupported token shard version {version} (this build reads {Version})", 8);
            BytesPerToken = BinaryPrimitives.ReadInt32LittleEndian(h[12..]);
            if (BytesPerToken is not (2 or 4)) throw new SharpLMDataException(path, $"bytes per token is {BytesPerToken}, must be 2 or 4", 12);
            int vocab = BinaryPrimitives.ReadInt32LittleEndian(h[16..]);
            if (vocab <= 0 || (BytesPerToken == 2 && vocab > 65536))
                throw new SharpLMDataException(path, $"vocabulary size {vocab} is invalid for {BytesPerToken}-byte tokens", 16);
            VocabSize = vocab;
            BosId = BinaryPrimitives.ReadInt32LittleEndian(h[20..]);
            EosId = BinaryPrimitives.ReadInt32LittleEndian(h[24..]);
            Count = BinaryPrimitives.ReadInt64LittleEndian(h[32..]);
            Documents = BinaryPrimitives.ReadInt64LittleEndian(h[40..]);
            h.Slice(48, 16).CopyTo(TokenizerFingerprint);
            if (Count < 0 || Count > (length - HeaderBytes) / BytesPerToken || HeaderBytes + Count * BytesPerToken != length)
                throw new SharpLMDataException(path, Count >= 0 && HeaderBytes + Count * BytesPerToken > length
                    ? $"truncated: header says {Count} tokens ({HeaderBytes + Count * BytesPerToken} bytes) but the file has {length} bytes"
                    : $"header says {Count} tokens but the file has {length} bytes ({(length - HeaderBytes) / (double)BytesPerToken} tokens)", 32);
            if (Documents < 0 || Documents > Count) throw new SharpLMDataException(path, $"document count {Documents} is invalid for {Count} tokens", 40);
        }
        if (Count > 0)
        {
            _map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* p = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            _base = p + _view.PointerOffset + (raw ? 0 : HeaderBytes);
        }
    }

    /// <summary>Opens and validates a <c>.tok</c> shard or a raw <c>.u32</c> file.</summary>
    public static TokenShard Open(string path) => new(path);

    /// <summary>Copies tokens [<paramref name="start"/>, start + dst.Length) into <paramref name="dst"/>.</summary>
    public void Read(long start, Span<int> dst)
    {
        if (start < 0 || start + dst.Length > Count) throw new ArgumentOutOfRangeException(nameof(start));
        if (BytesPerToken == 2)
        {
            ushort* s = (ushort*)_base + start;
            for (int i = 0; i < dst.Length; i++) dst[i] = s[i];
        }
        else
        {
            new ReadOnlySpan<int>((int*)_base + start, dst.Length).CopyTo(dst);
        }
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
