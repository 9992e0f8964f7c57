using System.Buffers.Binary;
using System.Text.Json;
using SharpLM.IO;

namespace SharpLM.Formats.Safetensors;

/// <summary>
/// Writes safetensors files that Hugging Face's reader accepts: u64 header size, JSON header padded with
/// spaces to a multiple of 8 bytes, then tensors back to back in the order added. Data is streamed from a
/// callback. Writes are atomic. <see cref="WriteSharded"/> splits into <c>model-0000i-of-0000n.safetensors</c>
/// plus <c>model.safetensors.index.json</c> (each shard and the index atomically; the index last).
/// </summary>
public sealed class SafetensorsWriter
{
    readonly List<Pending> _tensors = [];
    readonly HashSet<string> _names = new(StringComparer.Ordinal);
    readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal);

    sealed record Pending(string Name, SafetensorsDType DType, long[] Shape, long ByteLength, Action<Stream> WriteData);

    /// <summary>Adds an entry to <c>__metadata__</c> (HF writes <c>{"format": "pt"}</c>).</summary>
    public void SetMetadata(string key, string value) => _metadata[key] = value;

    public void AddTensor(string name, SafetensorsDType dtype, ReadOnlySpan<long> shape, Action<Stream> writeData)
    {
        if (name == "__metadata__" || !_names.Add(name)) throw new ArgumentException($"tensor name '{name}' is taken", nameof(name));
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException("negative dimension", nameof(shape));
            n = checked(n * d);
        }
        _tensors.Add(new Pending(name, dtype, shape.ToArray(), checked(n * dtype.Size()), writeData));
    }

    public void AddTensor(string name, SafetensorsDType dtype, ReadOnlySpan<long> shape, ReadOnlyMemory<byte> data) =>
        AddTensor(name, dtype, shape, s => s.Write(data.Span));

    public void AddTensor(string name, ReadOnlySpan<long> shape, float[] data) =>
        AddTensor(name, SafetensorsDType.F32, shape, s => s.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan())));

    /// <summary>Writes every tensor to one file.</summary>
    public void Write(string path) => WriteFile(path, _tensors);

    /// <summary>
    /// Writes shards of at most <paramref name="maxShardBytes"/> of tensor data each (a larger tensor gets a
    /// shard of its own) into <paramref name="dir"/>, plus the index. With one shard, writes
    /// <c>model.safetensors</c> and no index, as HF does. Returns the files written.
    /// </summary>
    public IReadOnlyList<string> WriteSharded(string dir, long maxShardBytes)
    {
        var shards = new List<List<Pending>>();
        long size = 0;
        foreach (var t in _tensors)
        {
            if (shards.Count == 0 || (size + t.ByteLength > maxShardBytes && size > 0))
            {
                shards.Add([]);
                size = 0;
            }
            shards[^1].Add(t);
            size += t.ByteLength;
        }
        if (shards.Count == 0) shards.Add([]);
        Directory.CreateDirectory(dir);
        if (shards.Count == 1)
        {
            string p = Path.Combine(dir, SafetensorsCheckpoint.SingleFileName);
            WriteFile(p, shards[0]);
            return [p];
        }
        var written = new List<string>();
        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        long total = 0;
        for (int i = 0; i < shards.Count; i++)
        {
            string name = $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
            string p = Path.Combine(dir, name);
            WriteFile(p, shards[i]);
            written.Add(p);
            foreach (var t in shards[i]) { weightMap[t.Name] = name; total += t.ByteLength; }
        }
        var ms = new MemoryStream();
        using (var j = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            j.WriteStartObject();
            j.WriteStartObject("metadata");
            j.WriteNumber("total_size", total);
            j.WriteEndObject();
            j.WriteStartObject("weight_map");
            foreach (var (k, v) in weightMap) j.WriteString(k, v);
            j.WriteEndObject();
            j.WriteEndObject();
        }
        string index = Path.Combine(dir, SafetensorsCheckpoint.IndexFileName);
        AtomicFile.WriteAllBytes(index, ms.ToArray());
        written.Add(index);
        return written;
    }

    void WriteFile(string path, List<Pending> tensors)
    {
        var header = BuildHeader(tensors);
        using var w = AtomicFile.Create(path, 1 << 20);
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Length);
        w.Stream.Write(len);
        w.Stream.Write(header);
        foreach (var t in tensors)
        {
            long before = w.Stream.Position;
            t.WriteData(w.Stream);
            if (w.Stream.Position - before != t.ByteLength)
                throw new InvalidOperationException($"tensor '{t.Name}': wrote {w.Stream.Position - before} bytes, expected {t.ByteLength}");
        }
        w.Commit();
    }

    byte[] BuildHeader(List<Pending> tensors)
    {
        var ms = new MemoryStream();
        using (var j = new Utf8JsonWriter(ms))
        {
            j.WriteStartObject();
            if (_metadata.Count > 0)
            {
                j.WriteStartObject("__metadata__");
                foreach (var (k, v) in _metadata) j.WriteString(k, v);
                j.WriteEndObject();
            }
            long offset = 0;
            foreach (var t in tensors)
            {
                j.WriteStartObject(t.Name);
                j.WriteString("dtype", t.DType.ToString());
                j.WriteStartArray("shape");
                foreach (var d in t.Shape) j.WriteNumberValue(d);
                j.WriteEndArray();
                j.WriteStartArray("data_offsets");
                j.WriteNumberValue(offset);
                j.WriteNumberValue(offset + t.ByteLength);
                j.WriteEndArray();
                j.WriteEndObject();
                offset += t.ByteLength;
            }
            j.WriteEndObject();
        }
        int pad = (int)((8 - ms.Length % 8) % 8);
        for (int i = 0; i < pad; i++) ms.WriteByte((byte)' ');
        return ms.ToArray();
    }
}
