using System.Buffers.Binary;
using System.Text;

namespace SharpLM.Formats.Gguf;

/// <summary>
/// A forward-only, bounds-checked reader over a GGUF header in mapped memory. Every read checks the bytes
/// are there first, and every count read from the file is checked against the bytes that remain before
/// anything is allocated for it, so a hostile header can neither read past the end nor ask for gigabytes.
/// </summary>
internal unsafe struct GgufCursor
{
    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    readonly byte* _base;
    readonly long _length;
    readonly string _path;
    public long Position;

    public GgufCursor(byte* data, long length, string path)
    {
        _base = data;
        _length = length;
        _path = path;
        Position = 0;
    }

    public long Remaining => _length - Position;

    public SharpLMDataException Error(string reason, long? at = null) => new(_path, reason, at ?? Position);

    void Need(long bytes, string what)
    {
        if (bytes < 0 || bytes > Remaining)
            throw Error($"truncated file: {what} needs {bytes} bytes, {Remaining} left");
    }

    ReadOnlySpan<byte> Take(int n, string what)
    {
        Need(n, what);
        var s = new ReadOnlySpan<byte>(_base + Position, n);
        Position += n;
        return s;
    }

    public byte U8(string what) => Take(1, what)[0];
    public ushort U16(string what) => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, what));
    public uint U32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, what));
    public ulong U64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, what));
    public float F32(string what) => BinaryPrimitives.ReadSingleLittleEndian(Take(4, what));
    public double F64(string what) => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, what));

    /// <summary>A count that must leave room for <paramref name="count"/> items of at least <paramref name="minItemBytes"/> each.</summary>
    public int Count(string what, int minItemBytes)
    {
        long at = Position;
        ulong n = U64(what);
        if (n > int.MaxValue || (minItemBytes > 0 && (long)n > Remaining / minItemBytes))
            throw Error($"{what} {n} is larger than the file allows (truncated or corrupt: {Remaining} bytes left)", at);
        return (int)n;
    }

    public string String(string what)
    {
        long at = Position;
        ulong n = U64(what + " length");
        if (n > (ulong)Remaining) throw Error($"{what}: string length {n} runs past the end of the file ({Remaining} bytes left)", at);
        if (n > int.MaxValue) throw Error($"{what}: string length {n} is absurd", at);
        var bytes = Take((int)n, what);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Error($"{what}: invalid UTF-8", at);
        }
    }
}
