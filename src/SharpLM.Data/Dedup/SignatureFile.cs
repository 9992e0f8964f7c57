using System.Buffers.Binary;
using SharpLM.IO;

namespace SharpLM.Data.Dedup;

/// <summary>
/// The band keys of one rank's documents, in document order: magic <c>SLMMHB1\0</c>, int32 bands, int32
/// count, then count × bands uint64 keys, little-endian. Written atomically; read back whole by the dedup stage.
/// </summary>
public static class SignatureFile
{
    static ReadOnlySpan<byte> Magic => "SLMMHB1\0"u8;

    public static void Write(string path, int bands, IReadOnlyList<ulong[]> keys)
    {
        var bytes = new byte[16 + (long)keys.Count * bands * 8];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), bands);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(12), keys.Count);
        int p = 16;
        foreach (var k in keys)
        {
            if (k.Length != bands) throw new ArgumentException("band count mismatch");
            foreach (var v in k) { BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(p), v); p += 8; }
        }
        AtomicFile.WriteAllBytes(path, bytes);
    }

    public static ulong[][] Read(string path, int bands)
    {
        if (!File.Exists(path)) throw new SharpLMDataException(path, "signature file missing");
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 16 || !bytes.AsSpan(0, 8).SequenceEqual(Magic)) throw new SharpLMDataException(path, "not a MinHash signature file");
        int fileBands = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        int count = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(12));
        if (fileBands != bands) throw new SharpLMDataException(path, $"{fileBands} bands, the pipeline uses {bands} (was the config changed between stages?)");
        if (count < 0 || bytes.Length != 16 + (long)count * bands * 8) throw new SharpLMDataException(path, "size does not match its header (truncated?)");
        var keys = new ulong[count][];
        int p = 16;
        for (int i = 0; i < count; i++)
        {
            keys[i] = new ulong[bands];
            for (int b = 0; b < bands; b++) { keys[i][b] = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(p)); p += 8; }
        }
        return keys;
    }
}
