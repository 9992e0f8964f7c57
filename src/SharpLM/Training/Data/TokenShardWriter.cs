using System.Buffers.Binary;
using SharpLM.IO;

namespace SharpLM.Training.Data;

/// <summary>
/// Writes one <see cref="TokenShard"/> atomically: tokens stream to a temp file, the header is completed on
/// <see cref="Commit"/>, then the file is renamed into place. Each document becomes BOS, tokens, EOS.
/// </summary>
public sealed class TokenShardWriter : IDisposable
{
    readonly AtomicWriter _writer;
    readonly BufferedStream _out;
    readonly int _vocab, _bos, _eos, _bytesPerToken;
    readonly byte[] _fingerprint;
    readonly byte[] _buf = new byte[4];

    public long Tokens { get; private set; }
    public long Documents { get; private set; }
    public string Path => _writer.TargetPath;

    public TokenShardWriter(string path, int vocabSize, int bosId, int eosId, ReadOnlySpan<byte> tokenizerFingerprint = default)
    {
        if (vocabSize <= 0) throw new ArgumentOutOfRangeException(nameof(vocabSize));
        if ((uint)bosId >= (uint)vocabSize || (uint)eosId >= (uint)vocabSize) throw new ArgumentException("BOS/EOS outside the vocabulary");
        _vocab = vocabSize;
        _bos = bosId;
        _eos = eosId;
        _bytesPerToken = vocabSize <= 65536 ? 2 : 4;
        _fingerprint = new byte[16];
        tokenizerFingerprint[..Math.Min(16, tokenizerFingerprint.Length)].CopyTo(_fingerprint);
        _writer = AtomicFile.Create(path);
        _out = new BufferedStream(_writer.Stream, 1 << 20);
        _out.Write(new byte[TokenShard.HeaderBytes]);
    }

    /// <summary>Appends BOS, <paramref name="tokens"/>, EOS.</summary>
    public void AddDocument(ReadOnlySpan<int> tokens)
    {
        Put(_bos);
        foreach (int t in tokens)
        {
            if ((uint)t >= (uint)_vocab) throw new ArgumentOutOfRangeException(nameof(tokens), $"token {t} is outside the vocabulary of {_vocab}");
            Put(t);
        }
        Put(_eos);
        Documents++;
    }

    void Put(int t)
    {
        if (_bytesPerToken == 2) { BinaryPrimitives.WriteUInt16LittleEndian(_buf, (ushort)t); _out.Write(_buf, 0, 2); }
        else { BinaryPrimitives.WriteInt32LittleEndian(_buf, t); _out.Write(_buf, 0, 4); }
        Tokens++;
    }

    /// <summary>Completes the header and renames the file into place.</summary>
    public void Commit()
    {
        _out.Flush();
        var h = new byte[TokenShard.HeaderBytes];
        TokenShard.Magic.CopyTo(h);
        BinaryPrimitives.WriteInt32LittleEndian(h.AsSpan(8), TokenShard.Version);
        BinaryPrimitives.WriteInt32LittleEndian(h.AsSpan(12), _bytesPerToken);
        BinaryPrimitives.WriteInt32LittleEndian(h.AsSpan(16), _vocab);
        BinaryPrimitives.WriteInt32LittleEndian(h.AsSpan(20), _bos);
        BinaryPrimitives.WriteInt32LittleEndian(h.AsSpan(24), _eos);
        BinaryPrimitives.WriteInt64LittleEndian(h.AsSpan(32), Tokens);
        BinaryPrimitives.WriteInt64LittleEndian(h.AsSpan(40), Documents);
        _fingerprint.CopyTo(h, 48);
        _writer.Stream.Position = 0;
        _writer.Stream.Write(h);
        _writer.Commit();
    }

    public void Dispose()
    {
        _writer.Dispose();
    }
}
