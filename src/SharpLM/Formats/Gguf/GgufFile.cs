using SharpLM.IO;
using SharpLM.Tensors;

namespace SharpLM.Formats.Gguf;

/// <summary>
/// A GGUF file (v2 or v3) mapped read-only: metadata, tensor table, and the tensor bytes in place.
/// <see cref="Open"/> validates the whole header before returning — magic, version, every length and count
/// against the bytes that remain, value types, tensor types, dimensions (and their product), alignment, and
/// that every tensor's data lies inside the file without overlapping another — and throws one
/// <see cref="SharpLMDataException"/> naming the file for the first problem found.
/// </summary>
/// <remarks>
/// Layout: "GGUF", u32 version, u64 tensor count, u64 metadata count, metadata (string key, u32 type,
/// value), tensor infos (string name, u32 n_dims, u64 ne[n_dims], u32 ggml type, u64 offset), padding to
/// <c>general.alignment</c> (default 32), then the tensor data; each offset is relative to the data start
/// and a multiple of the alignment. Little-endian throughout (big-endian GGUF is rejected by the magic).
/// </remarks>
public sealed unsafe class GgufFile : IDisposable
{
    /// <summary>"GGUF" read as a little-endian u32.</summary>
    public const uint Magic = 0x46554747;
    public const uint DefaultAlignment = 32;
    /// <summary>ggml's GGML_MAX_DIMS.</summary>
    public const int MaxDimensions = 4;
    const int MaxArrayDepth = 8;

    readonly MappedFile _file;
    readonly Dictionary<string, GgufValue> _metadata;
    readonly Dictionary<string, GgufTensorInfo> _tensorsByName;

    public string Path => _file.Path;
    public uint Version { get; }
    public uint Alignment { get; }
    /// <summary>File offset of the tensor-data section.</summary>
    public long DataOffset { get; }
    public long FileLength => _file.Length;
    /// <summary>Metadata in file order.</summary>
    public IReadOnlyList<KeyValuePair<string, GgufValue>> MetadataList { get; }
    public IReadOnlyDictionary<string, GgufValue> Metadata => _metadata;
    /// <summary>Tensors in file order.</summary>
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    GgufFile(MappedFile file, uint version, uint alignment, long dataOffset,
        List<KeyValuePair<string, GgufValue>> metadata, List<GgufTensorInfo> tensors)
    {
        _file = file;
        Version = version;
        Alignment = alignment;
        DataOffset = dataOffset;
        MetadataList = metadata;
        _metadata = metadata.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        Tensors = tensors;
        _tensorsByName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>Maps and validates <paramref name="path"/>.</summary>
    public static GgufFile Open(string path)
    {
        var file = MappedFile.Open(path);
        try
        {
            return Parse(file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    static GgufFile Parse(MappedFile file)
    {
        string path = file.Path;
        var c = new GgufCursor(file.Pointer, file.Length, path);
        if (file.Length < 4 || c.U32("magic") != Magic)
            throw new SharpLMDataException(path, "not a GGUF file (wrong magic; expected \"GGUF\")");
        uint version = c.U32("version");
        if (version is not (2 or 3))
            throw new SharpLMDataException(path, version == 1
                ? "GGUF version 1 is not supported (re-convert with a current llama.cpp)"
                : $"unsupported GGUF version {version} (expected 2 or 3)");

        // A tensor info takes at least 8 (name length) + 4 (n_dims) + 4 (type) + 8 (offset) bytes.
        int tensorCount = c.Count("tensor count", 24);
        int kvCount = c.Count("metadata count", 8 + 4 + 1);

        var metadata = new List<KeyValuePair<string, GgufValue>>(kvCount);
        var seenKeys = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < kvCount; i++)
        {
            long at = c.Position;
            string key = c.String("metadata key");
            if (key.Length == 0) throw c.Error("empty metadata key", at);
            if (!seenKeys.Add(key)) throw c.Error($"duplicate metadata key '{key}'", at);
            var value = ReadValue(ref c, key, depth: 0);
            metadata.Add(new(key, value));
        }

        uint alignment = DefaultAlignment;
        var alignKv = metadata.FirstOrDefault(kv => kv.Key == "general.alignment");
        if (alignKv.Value is { } av)
        {
            if (!av.TryGetInt64(out long a) || a <= 0 || a > 1 << 20 || (a & (a - 1)) != 0)
                throw new SharpLMDataException(path, $"general.alignment {av} is not a power of two");
            alignment = (uint)a;
        }

        var tensors = new List<GgufTensorInfo>(tensorCount);
        var seenNames = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < tensorCount; i++)
        {
            long at = c.Position;
            string name = c.String("tensor name");
            if (!seenNames.Add(name)) throw c.Error($"duplicate tensor '{name}'", at);
            uint nDims = c.U32($"tensor '{name}' dimension count");
            if (nDims is 0 or > MaxDimensions) throw c.Error($"tensor '{name}' has {nDims} dimensions (1..{MaxDimensions} allowed)", at);
            var dims = new long[nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++)
            {
                ulong ne = c.U64($"tensor '{name}' dimension");
                if (ne == 0 || ne > long.MaxValue) throw c.Error($"tensor '{name}' has dimension {ne}", at);
                dims[d] = (long)ne;
                if (elements > long.MaxValue / dims[d]) throw c.Error($"tensor '{name}' dimensions {{{string.Join(", ", dims[..(d + 1)])}}} overflow", at);
                elements *= dims[d];
            }
            uint type = c.U32($"tensor '{name}' type");
            if (!TensorTypeInfo.IsSupported(type))
                throw c.Error($"tensor '{name}' has ggml type {type}, which SharpLM does not read (supported: F32, F16, BF16, Q8_0, Q4_0)", at);
            var tt = (TensorType)type;
            long rowBytes = tt.RowBytes(dims[0]);
            if (rowBytes < 0) throw c.Error($"tensor '{name}': row length {dims[0]} is not a multiple of the {tt} block size {tt.BlockSize()}", at);
            long rows = elements / dims[0];
            if (rows > long.MaxValue / Math.Max(rowBytes, 1)) throw c.Error($"tensor '{name}' byte size overflows", at);
            ulong offset = c.U64($"tensor '{name}' offset");
            if (offset % alignment != 0) throw c.Error($"tensor '{name}' offset {offset} is not a multiple of the alignment {alignment}", at);
            if (offset > (ulong)file.Length) throw c.Error($"tensor '{name}' data offset {offset} is outside the file", at);
            tensors.Add(new GgufTensorInfo { Name = name, Type = tt, Dimensions = dims, Offset = (long)offset, ByteLength = rows * rowBytes });
        }

        long dataOffset = AlignUp(c.Position, alignment);
        if (dataOffset > file.Length && tensorCount > 0)
            throw new SharpLMDataException(path, $"truncated file: tensor data would start at byte {dataOffset} but the file has {file.Length}");

        // Every tensor inside the file, none overlapping another.
        foreach (var t in tensors)
        {
            if (t.Offset > file.Length - dataOffset || t.ByteLength > file.Length - dataOffset - t.Offset)
                throw new SharpLMDataException(path, $"tensor '{t.Name}' data [{dataOffset + t.Offset}, +{t.ByteLength}) lies outside the file ({file.Length} bytes; truncated?)");
        }
        var byOffset = tensors.OrderBy(t => t.Offset).ToList();
        for (int i = 1; i < byOffset.Count; i++)
        {
            var prev = byOffset[i - 1];
            var cur = byOffset[i];
            if (cur.Offset < prev.Offset + prev.ByteLength)
                throw new SharpLMDataException(path, $"tensors '{prev.Name}' and '{cur.Name}' overlap");
        }
        return new GgufFile(file, version, alignment, dataOffset, metadata, tensors);
    }

    static long AlignUp(long x, long a) => (x + a - 1) / a * a;

    static GgufValue ReadValue(ref GgufCursor c, string key, int depth)
    {
        long at = c.Position;
        uint rawType = c.U32($"type of '{key}'");
        if (!GgufValueTypeInfo.IsDefined(rawType)) throw c.Error($"metadata '{key}' has unknown value type {rawType}", at);
        var type = (GgufValueType)rawType;
        if (type != GgufValueType.Array) return ReadScalar(ref c, type, key);
        return ReadArray(ref c, key, depth);
    }

    static GgufValue ReadScalar(ref GgufCursor c, GgufValueType type, string key) => type switch
    {
        GgufValueType.UInt8 => GgufValue.UInt8(c.U8(key)),
        GgufValueType.Int8 => GgufValue.Int8((sbyte)c.U8(key)),
        GgufValueType.UInt16 => GgufValue.UInt16(c.U16(key)),
        GgufValueType.Int16 => GgufValue.Int16((short)c.U16(key)),
        GgufValueType.UInt32 => GgufValue.UInt32(c.U32(key)),
        GgufValueType.Int32 => GgufValue.Int32((int)c.U32(key)),
        GgufValueType.Float32 => GgufValue.Float32(c.F32(key)),
        GgufValueType.Bool => GgufValue.Bool(ReadBool(ref c, key)),
        GgufValueType.String => GgufValue.String(c.String($"metadata '{key}'")),
        GgufValueType.UInt64 => GgufValue.UInt64(c.U64(key)),
        GgufValueType.Int64 => GgufValue.Int64((long)c.U64(key)),
        GgufValueType.Float64 => GgufValue.Float64(c.F64(key)),
        _ => throw c.Error($"metadata '{key}' has unexpected type {type}"),
    };

    static bool ReadBool(ref GgufCursor c, string key)
    {
        long at = c.Position;
        byte b = c.U8(key);
        if (b > 1) throw c.Error($"metadata '{key}': bool byte {b} is neither 0 nor 1", at);
        return b == 1;
    }

    static GgufValue ReadArray(ref GgufCursor c, string key, int depth)
    {
        long at = c.Position;
        if (depth >= MaxArrayDepth) throw c.Error($"metadata '{key}': arrays nested deeper than {MaxArrayDepth}", at);
        uint rawElem = c.U32($"element type of '{key}'");
        if (!GgufValueTypeInfo.IsDefined(rawElem)) throw c.Error($"metadata '{key}' has unknown array element type {rawElem}", at);
        var elem = (GgufValueType)rawElem;
        int n = c.Count($"metadata '{key}' array length", elem.MinSize());
        switch (elem)
        {
            case GgufValueType.String:
            {
                var a = new string[n];
                for (int i = 0; i < n; i++) a[i] = c.String($"metadata '{key}'[{i}]");
                return GgufValue.Array(elem, a);
            }
            case GgufValueType.Array:
            {
                var a = new GgufValue[n];
                for (int i = 0; i < n; i++) a[i] = ReadArray(ref c, $"{key}[{i}]", depth + 1);
                return GgufValue.Array(elem, a);
            }
            case GgufValueType.Bool:
            {
                var a = new bool[n];
                for (int i = 0; i < n; i++) a[i] = ReadBool(ref c, key);
                return GgufValue.Array(elem, a);
            }
            case GgufValueType.UInt8: { var a = new byte[n]; for (int i = 0; i < n; i++) a[i] = c.U8(key); return GgufValue.Array(elem, a); }
            case GgufValueType.Int8: { var a = new sbyte[n]; for (int i = 0; i < n; i++) a[i] = (sbyte)c.U8(key); return GgufValue.Array(elem, a); }
            case GgufValueType.UInt16: { var a = new ushort[n]; for (int i = 0; i < n; i++) a[i] = c.U16(key); return GgufValue.Array(elem, a); }
            case GgufValueType.Int16: { var a = new short[n]; for (int i = 0; i < n; i++) a[i] = (short)c.U16(key); return GgufValue.Array(elem, a); }
            case GgufValueType.UInt32: { var a = new uint[n]; for (int i = 0; i < n; i++) a[i] = c.U32(key); return GgufValue.Array(elem, a); }
            case GgufValueType.Int32: { var a = new int[n]; for (int i = 0; i < n; i++) a[i] = (int)c.U32(key); return GgufValue.Array(elem, a); }
            case GgufValueType.Float32: { var a = new float[n]; for (int i = 0; i < n; i++) a[i] = c.F32(key); return GgufValue.Array(elem, a); }
            case GgufValueType.UInt64: { var a = new ulong[n]; for (int i = 0; i < n; i++) a[i] = c.U64(key); return GgufValue.Array(elem, a); }
            case GgufValueType.Int64: { var a = new long[n]; for (int i = 0; i < n; i++) a[i] = (long)c.U64(key); return GgufValue.Array(elem, a); }
            case GgufValueType.Float64: { var a = new double[n]; for (int i = 0; i < n; i++) a[i] = c.F64(key); return GgufValue.Array(elem, a); }
            default: throw c.Error($"metadata '{key}' has unexpected array element type {elem}", at);
        }
    }

    // ---------------- lookups ----------------

    public bool TryGetTensor(string name, out GgufTensorInfo info) => _tensorsByName.TryGetValue(name, out info!);

    /// <summary>Pointer to the first byte of <paramref name="t"/>'s data (validated to lie inside the file).</summary>
    public byte* TensorData(GgufTensorInfo t) => _file.Pointer + DataOffset + t.Offset;

    /// <summary>The raw bytes of a tensor small enough for a span.</summary>
    public ReadOnlySpan<byte> TensorBytes(GgufTensorInfo t) =>
        new(TensorData(t), checked((int)t.ByteLength));

    public GgufValue? Get(string key) => _metadata.GetValueOrDefault(key);

    public string? GetString(string key) => Get(key) switch
    {
        null => null,
        { Value: string s } => s,
        var v => throw new SharpLMDataException(Path, $"metadata '{key}' should be a string, is {v.Type}"),
    };

    public long? GetInteger(string key) => Get(key) switch
    {
        null => null,
        var v when v.TryGetInt64(out long l) => l,
        var v => throw new SharpLMDataException(Path, $"metadata '{key}' should be an integer, is {v.Type}"),
    };

    public double? GetNumber(string key) => Get(key) switch
    {
        null => null,
        var v when v.Type != GgufValueType.Array && v.TryGetDouble(out double d) => d,
        var v => throw new SharpLMDataException(Path, $"metadata '{key}' should be a number, is {v.Type}"),
    };

    public bool? GetBool(string key) => Get(key) switch
    {
        null => null,
        { Value: bool b } => b,
        var v => throw new SharpLMDataException(Path, $"metadata '{key}' should be a bool, is {v.Type}"),
    };

    /// <summary>The tokenizer stored under <c>tokenizer.ggml.*</c>, or null if the file has none.</summary>
    public Tokenization.GgufTokenizerData? ReadTokenizer() => GgufTokenizerMetadata.Read(this);

    public void Dispose() => _file.Dispose();
}
