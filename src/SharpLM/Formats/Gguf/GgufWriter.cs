using System.Buffers.Binary;
using System.Text;
using SharpLM.IO;
using SharpLM.Tensors;

namespace SharpLM.Formats.Gguf;

/// <summary>
/// Writes a GGUF v3 file: metadata in insertion order, then tensor infos, then each tensor's bytes at an
/// aligned offset. Tensor data is streamed from a callback, so multi-gigabyte models are written without
/// holding them in memory. The file appears atomically (<see cref="AtomicFile"/>).
/// </summary>
public sealed class GgufWriter
{
    readonly List<KeyValuePair<string, GgufValue>> _metadata = [];
    readonly List<PendingTensor> _tensors = [];
    readonly HashSet<string> _names = new(StringComparer.Ordinal);

    sealed record PendingTensor(string Name, TensorType Type, long[] Dimensions, long ByteLength, Action<Stream> WriteData);

    /// <summary>Alignment of tensor data (written as <c>general.alignment</c> when not 32).</summary>
    public uint Alignment { get; }

    public GgufWriter(uint alignment = GgufFile.DefaultAlignment)
    {
        if (alignment == 0 || (alignment & (alignment - 1)) != 0) throw new ArgumentException("alignment must be a power of two", nameof(alignment));
        Alignment = alignment;
        if (alignment != GgufFile.DefaultAlignment) Set("general.alignment", GgufValue.UInt32(alignment));
    }

    /// <summary>Sets (or replaces, keeping its position) metadata <paramref name="key"/>.</summary>
    public void Set(string key, GgufValue value)
    {
        int i = _metadata.FindIndex(kv => kv.Key == key);
        if (i >= 0) _metadata[i] = new(key, value);
        else _metadata.Add(new(key, value));
    }

    public void SetTokenizer(Tokenization.GgufTokenizerData tokenizer) => GgufTokenizerMetadata.Write(this, tokenizer);

    /// <summary>
    /// Adds a tensor whose bytes <paramref name="writeData"/> will write (exactly the size implied by
    /// <paramref name="shape"/> and <paramref name="type"/>). <paramref name="shape"/> is row-major,
    /// outermost first (PyTorch order); GGUF stores the reverse.
    /// </summary>
    public void AddTensor(string name, TensorType type, ReadOnlySpan<long> shape, Action<Stream> writeData)
    {
        if (!_names.Add(name)) throw new ArgumentException($"tensor '{name}' added twice", nameof(name));
        if (shape.Length is 0 or > GgufFile.MaxDimensions) throw new ArgumentException($"tensor '{name}': 1..4 dimensions", nameof(shape));
        var dims = shape.ToArray();
        Array.Reverse(dims);
        long rowBytes = type.RowBytes(dims[0]);
        if (rowBytes < 0) throw new ArgumentException($"tensor '{name}': row length {dims[0]} is not a multiple of {type.BlockSize()}", nameof(shape));
        long rows = 1;
        for (int i = 1; i < dims.Length; i++) rows = checked(rows * dims[i]);
        _tensors.Add(new PendingTensor(name, type, dims, checked(rows * rowBytes), writeData));
    }

    /// <summary>Adds a tensor from its encoded bytes.</summary>
    public void AddTensor(string name, TensorType type, ReadOnlySpan<long> shape, ReadOnlyMemory<byte> data) =>
        AddTensor(name, type, shape, s => s.Write(data.Span));

    /// <summary>Adds an F32 tensor.</summary>
    public void AddTensor(string name, ReadOnlySpan<long> shape, float[] data) =>
        AddTensor(name, TensorType.F32, shape, s => s.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan())));

    /// <summary>Writes the file atomically to <paramref name="path"/>.</summary>
    public void Write(string path)
    {
        using var w = AtomicFile.Create(path, 1 << 20);
        WriteTo(w.Stream);
        w.Commit();
    }

    /// <summary>Writes the file to <paramref name="stream"/> (positioned at 0).</summary>
    public void WriteTo(Stream stream)
    {
        var header = new MemoryStream();
        WriteU32(header, GgufFile.Magic);
        WriteU32(header, 3);
        WriteU64(header, (ulong)_tensors.Count);
        WriteU64(header, (ulong)_metadata.Count);
        foreach (var (key, value) in _metadata)
        {
            WriteString(header, key);
            WriteU32(header, (uint)value.Type);
            WriteValueBody(header, value);
        }
        long offset = 0;
        var offsets = new long[_tensors.Count];
        for (int i = 0; i < _tensors.Count; i++)
        {
            var t = _tensors[i];
            WriteString(header, t.Name);
            WriteU32(header, (uint)t.Dimensions.Length);
            foreach (var d in t.Dimensions) WriteU64(header, (ulong)d);
            WriteU32(header, (uint)t.Type);
            WriteU64(header, (ulong)offset);
            offsets[i] = offset;
            offset = AlignUp(offset + t.ByteLength, Alignment);
        }
        header.WriteTo(stream);
        long pos = header.Length;
        Pad(stream, ref pos);
        long dataStart = pos;
        for (int i = 0; i < _tensors.Count; i++)
        {
            var t = _tensors[i];
            long before = stream.Position;
            t.WriteData(stream);
            long written = stream.Position - before;
            if (written != t.ByteLength)
                throw new InvalidOperationException($"tensor '{t.Name}': wrote {written} bytes, expected {t.ByteLength}");
            pos = dataStart + offsets[i] + written;
            Pad(stream, ref pos);
        }
    }

    static long AlignUp(long x, long a) => (x + a - 1) / a * a;

    void Pad(Stream s, ref long pos)
    {
        long target = AlignUp(pos, Alignment);
        Span<byte> zeros = stackalloc byte[64];
        zeros.Clear();
        while (pos < target)
        {
            int n = (int)Math.Min(zeros.Length, target - pos);
            s.Write(zeros[..n]);
            pos += n;
        }
    }

    static void WriteU32(Stream s, uint v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, v); s.Write(b); }
    static void WriteU64(Stream s, ulong v) { Span<byte> b = stackalloc byte[8]; BinaryPrimitives.WriteUInt64LittleEndian(b, v); s.Write(b); }

    static void WriteString(Stream s, string v)
    {
        var bytes = Encoding.UTF8.GetBytes(v);
        WriteU64(s, (ulong)bytes.Length);
        s.Write(bytes);
    }

    static void WriteValueBody(Stream s, GgufValue v)
    {
        if (v.Type == GgufValueType.Array)
        {
            var a = (Array)v.Value;
            WriteU32(s, (uint)v.ElementType);
            WriteU64(s, (ulong)a.Length);
            switch (a)
            {
                case string[] ss: foreach (var x in ss) WriteString(s, x); break;
                case float[] fs: foreach (var x in fs) WriteScalar(s, GgufValueType.Float32, x); break;
                case int[] ints: foreach (var x in ints) WriteU32(s, (uint)x); break;
                case GgufValue[] nested:
                    foreach (var x in nested)
                    {
                        if (x.Type != GgufValueType.Array) throw new ArgumentException("nested GGUF arrays hold arrays");
                        WriteValueBody(s, x);
                    }
                    break;
                default: foreach (var x in a) WriteScalar(s, v.ElementType, x!); break;
            }
            return;
        }
        WriteScalar(s, v.Type, v.Value);
    }

    static void WriteScalar(Stream s, GgufValueType t, object x)
    {
        Span<byte> b = stackalloc byte[8];
        switch (t)
        {
            case GgufValueType.UInt8: s.WriteByte((byte)x); break;
            case GgufValueType.Int8: s.WriteByte((byte)(sbyte)x); break;
            case GgufValueType.Bool: s.WriteByte((bool)x ? (byte)1 : (byte)0); break;
            case GgufValueType.UInt16: BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)x); s.Write(b[..2]); break;
            case GgufValueType.Int16: BinaryPrimitives.WriteInt16LittleEndian(b, (short)x); s.Write(b[..2]); break;
            case GgufValueType.UInt32: BinaryPrimitives.WriteUInt32LittleEndian(b, (uint)x); s.Write(b[..4]); break;
            case GgufValueType.Int32: BinaryPrimitives.WriteInt32LittleEndian(b, (int)x); s.Write(b[..4]); break;
            case GgufValueType.Float32: BinaryPrimitives.WriteSingleLittleEndian(b, (float)x); s.Write(b[..4]); break;
            case GgufValueType.UInt64: BinaryPrimitives.WriteUInt64LittleEndian(b, (ulong)x); s.Write(b); break;
            case GgufValueType.Int64: BinaryPrimitives.WriteInt64LittleEndian(b, (long)x); s.Write(b); break;
            case GgufValueType.Float64: BinaryPrimitives.WriteDoubleLittleEndian(b, (double)x); s.Write(b); break;
            case GgufValueType.String: WriteString(s, (string)x); break;
            default: throw new ArgumentException($"cannot write GGUF type {t}");
        }
    }
}
