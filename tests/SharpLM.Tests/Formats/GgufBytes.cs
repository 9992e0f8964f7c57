using System.Text;

namespace SharpLM.Tests.Formats;

/// <summary>Hand-built GGUF bytes for bad-input tests: every field written explicitly, so a test can lie in any of them.</summary>
public sealed class GgufBytes
{
    readonly MemoryStream _s = new();
    readonly BinaryWriter _w;

    public GgufBytes() => _w = new BinaryWriter(_s);

    public GgufBytes U8(byte v) { _w.Write(v); return this; }
    public GgufBytes U32(uint v) { _w.Write(v); return this; }
    public GgufBytes U64(ulong v) { _w.Write(v); return this; }
    public GgufBytes F32(float v) { _w.Write(v); return this; }
    public GgufBytes Raw(byte[] b) { _w.Write(b); return this; }
    public GgufBytes Str(string s) { var b = Encoding.UTF8.GetBytes(s); U64((ulong)b.Length); _w.Write(b); return this; }

    /// <summary>"GGUF", version, tensor count, kv count.</summary>
    public static GgufBytes Header(uint version, ulong tensors, ulong kvs) =>
        new GgufBytes().Raw("GGUF"u8.ToArray()).U32(version).U64(tensors).U64(kvs);

    /// <summary>A tensor info: name, dims (ggml order), type, offset.</summary>
    public GgufBytes Tensor(string name, ulong[] dims, uint type, ulong offset)
    {
        Str(name).U32((uint)dims.Length);
        foreach (var d in dims) U64(d);
        return U32(type).U64(offset);
    }

    /// <summary>Pads to <paramref name="alignment"/> then appends <paramref name="dataBytes"/> zero bytes.</summary>
    public GgufBytes Data(int dataBytes, int alignment = 32)
    {
        while (_s.Length % alignment != 0) _w.Write((byte)0);
        _w.Write(new byte[dataBytes]);
        return this;
    }

    public byte[] ToArray() { _w.Flush(); return _s.ToArray(); }

    public string WriteTemp(string name = "bad.gguf")
    {
        string p = Path.Combine(TestPaths.NewTempDir("gguf-bad"), name);
        File.WriteAllBytes(p, ToArray());
        return p;
    }
}
