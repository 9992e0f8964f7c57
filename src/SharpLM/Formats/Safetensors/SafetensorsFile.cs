using System.Buffers.Binary;
using System.Text.Json;
using SharpLM.IO;

namespace SharpLM.Formats.Safetensors;

/// <summary>
/// One <c>.safetensors</c> file mapped read-only. Layout: u64 little-endian header size N, N bytes of
/// UTF-8 JSON (<c>{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}</c>),
/// then the data section. <see cref="Open"/> checks the header size against a limit and the file, parses
/// the JSON, and checks every tensor: known dtype, non-negative shape whose product times the dtype size is
/// exactly end − begin, the range inside the file, and no two tensors overlapping.
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    /// <summary>Largest JSON header accepted (the reference implementation's limit is 100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    readonly MappedFile _file;
    readonly Dictionary<string, SafetensorsTensor> _byName;

    public string Path => _file.Path;
    /// <summary>File offset of the data section (8 + header size).</summary>
    public long DataOffset { get; }
    /// <summary>Tensors in header order.</summary>
    public IReadOnlyList<SafetensorsTensor> Tensors { get; }
    /// <summary>The optional <c>__metadata__</c> string map.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    SafetensorsFile(MappedFile file, long dataOffset, List<SafetensorsTensor> tensors, Dictionary<string, string> metadata)
    {
        _file = file;
        DataOffset = dataOffset;
        Tensors = tensors;
        Metadata = metadata;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    public static SafetensorsFile Open(string path)
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

    static SafetensorsFile Parse(MappedFile file)
    {
        string path = file.Path;
        if (file.Length < 8) throw new SharpLMDataException(path, $"truncated file: {file.Length} bytes, too short for a safetensors header");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(file.Span(0, 8));
        if (n > MaxHeaderBytes) throw new SharpLMDataException(path, $"safetensors header size {n} exceeds the {MaxHeaderBytes}-byte limit (not a safetensors file?)");
        if ((long)n > file.Length - 8) throw new SharpLMDataException(path, $"truncated file: header of {n} bytes but only {file.Length - 8} follow");
        if (n < 2) throw new SharpLMDataException(path, "safetensors header is empty");
        long dataOffset = 8 + (long)n;
        long dataLength = file.Length - dataOffset;

        var tensors = new List<SafetensorsTensor>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(new ReadOnlyMemory<byte>(file.Span(8, (int)n).ToArray()), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new SharpLMDataException(path, $"safetensors header is not valid JSON: {e.Message}");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new SharpLMDataException(path, "safetensors header is not a JSON object");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (!seen.Add(prop.Name)) throw new SharpLMDataException(path, $"duplicate entry '{prop.Name}' in the header");
                if (prop.Name == "__metadata__")
                {
                    if (prop.Value.ValueKind != JsonValueKind.Object) throw new SharpLMDataException(path, "__metadata__ is not an object");
                    foreach (var m in prop.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String) throw new SharpLMDataException(path, $"__metadata__ value '{m.Name}' is not a string");
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                tensors.Add(ParseTensor(path, prop, dataLength));
            }
        }
        var sorted = tensors.OrderBy(t => t.Begin).ThenBy(t => t.End).ToList();
        for (int i = 1; i < sorted.Count; i++)
            if (sorted[i].Begin < sorted[i - 1].End)
                throw new SharpLMDataException(path, $"tensors '{sorted[i - 1].Name}' and '{sorted[i].Name}' overlap");
        return new SafetensorsFile(file, dataOffset, tensors, metadata);
    }

    static SafetensorsTensor ParseTensor(string path, JsonProperty prop, long dataLength)
    {
        string name = prop.Name;
        var e = prop.Value;
        SharpLMDataException Bad(string what) => new(path, $"tensor '{name}': {what}");
        if (e.ValueKind != JsonValueKind.Object) throw Bad("header entry is not an object");
        if (!e.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String) throw Bad("missing dtype");
        if (!SafetensorsDTypeInfo.TryParse(dt.GetString()!, out var dtype)) throw Bad($"unknown dtype '{dt.GetString()}'");
        if (!e.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array) throw Bad("missing shape");
        if (sh.GetArrayLength() > 8) throw Bad($"{sh.GetArrayLength()} dimensions is absurd");
        var shape = new long[sh.GetArrayLength()];
        long elements = 1;
        int k = 0;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long v) || v < 0) throw Bad("shape entries must be non-negative integers");
            shape[k++] = v;
            if (v != 0 && elements > long.MaxValue / v) throw Bad($"shape [{string.Join(", ", shape[..k])}] overflows");
            elements *= v;
        }
        if (!e.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw Bad("data_offsets must be [begin, end]");
        if (!off[0].TryGetInt64(out long begin) || !off[1].TryGetInt64(out long end) || begin < 0 || end < begin)
            throw Bad("data_offsets must be [begin, end] with 0 ≤ begin ≤ end");
        if (end > dataLength) throw Bad($"data [{begin}, {end}) lies outside the file's {dataLength}-byte data section (truncated?)");
        if (elements > long.MaxValue / dtype.Size() || elements * dtype.Size() != end - begin)
            throw Bad($"shape [{string.Join(", ", shape)}] × {dtype} is {(elements > long.MaxValue / dtype.Size() ? "too large" : (elements * dtype.Size()).ToString(System.Globalization.CultureInfo.InvariantCulture))} bytes but data_offsets span {end - begin}");
        return new SafetensorsTensor { Name = name, DType = dtype, Shape = shape, Begin = begin, End = end };
    }

    public bool TryGetTensor(string name, out SafetensorsTensor t) => _byName.TryGetValue(name, out t!);

    /// <summary>Pointer to the first byte of <paramref name="t"/>'s data.</summary>
    public byte* TensorData(SafetensorsTensor t) => _file.Pointer + DataOffset + t.Begin;

    public ReadOnlySpan<byte> TensorBytes(SafetensorsTensor t) => new(TensorData(t), checked((int)t.ByteLength));

    public void Dispose() => _file.Dispose();
}
