using System.Text;
using SharpLM.Formats.Safetensors;

namespace SharpLM.Tests.Formats;

public class SafetensorsTests
{
    [Fact]
    public void WriterAndReaderRoundTrip()
    {
        var w = new SafetensorsWriter();
        w.SetMetadata("format", "pt");
        w.AddTensor("a", [2, 3], [1f, 2, 3, 4, 5, 6]);
        w.AddTensor("b.bf16", SafetensorsDType.BF16, [4], new byte[] { 0x80, 0x3F, 0, 0x40, 0, 0, 0, 0xC0 });
        w.AddTensor("c.i64", SafetensorsDType.I64, [1], BitConverter.GetBytes(42L));
        w.AddTensor("empty", SafetensorsDType.F32, [0, 5], Array.Empty<byte>());
        string p = Path.Combine(TestPaths.NewTempDir("st"), "x.safetensors");
        w.Write(p);
        var raw = File.ReadAllBytes(p);
        Assert.Equal(0, (long)BitConverter.ToUInt64(raw) % 8); // header padded to 8 bytes
        using var f = SafetensorsFile.Open(p);
        Assert.Equal("pt", f.Metadata["format"]);
        Assert.True(f.TryGetTensor("a", out var a));
        Assert.Equal(new long[] { 2, 3 }, a.Shape);
        Assert.Equal(SafetensorsDType.F32, a.DType);
        Assert.Equal(4f, BitConverter.ToSingle(f.TensorBytes(a)[12..16]));
        Assert.True(f.TryGetTensor("c.i64", out var c));
        Assert.Equal(42L, BitConverter.ToInt64(f.TensorBytes(c)));
        Assert.True(f.TryGetTensor("empty", out var e));
        Assert.Equal(0, e.ByteLength);
    }

    [Fact]
    public void ShardedCheckpointsOpenThroughTheIndex()
    {
        var w = new SafetensorsWriter();
        for (int i = 0; i < 5; i++) w.AddTensor($"t{i}", [100], new float[100]);
        string dir = Path.Combine(TestPaths.NewTempDir("st-shard"), "m");
        var files = w.WriteSharded(dir, maxShardBytes: 1000);
        Assert.Equal(4, files.Count); // three shards of ≤ 1000 bytes (two 400-byte tensors each) + the index
        using var ck = SafetensorsCheckpoint.Open(dir);
        Assert.Equal(3, ck.Files.Count);
        for (int i = 0; i < 5; i++) Assert.True(ck.TryGetTensor($"t{i}", out _, out _));

        // An index that names a tensor its shard does not hold.
        string index = Path.Combine(dir, SafetensorsCheckpoint.IndexFileName);
        File.WriteAllText(index, File.ReadAllText(index).Replace("\"t4\"", "\"t9\""));
        var ex = Assert.Throws<SharpLMDataException>(() => SafetensorsCheckpoint.Open(dir));
        Assert.Contains("t9", ex.Message);
        File.WriteAllText(index, "{\"weight_map\": {\"t0\": \"../../etc/passwd\"}}");
        Assert.Contains("not a file in the model folder", Assert.Throws<SharpLMDataException>(() => SafetensorsCheckpoint.Open(dir)).Message);
    }

    static byte[] File8(string json, int dataBytes = 0, ulong? sizeOverride = null)
    {
        var h = Encoding.UTF8.GetBytes(json);
        return BitConverter.GetBytes(sizeOverride ?? (ulong)h.Length).Concat(h).Concat(new byte[dataBytes]).ToArray();
    }

    static void AssertBad(byte[] bytes, string expected)
    {
        string p = Path.Combine(TestPaths.NewTempDir("st-bad"), "bad.safetensors");
        File.WriteAllBytes(p, bytes);
        var e = Assert.Throws<SharpLMDataException>(() => SafetensorsFile.Open(p).Dispose());
        Assert.Equal(p, e.Path);
        Assert.True(e.Message.Contains(expected), e.Message);
    }

    [Fact] public void RejectsTooShortFiles() => AssertBad([1, 2, 3], "truncated");
    [Fact] public void RejectsHugeHeaders() => AssertBad(File8("{}", 0, 1UL << 40), "limit");
    [Fact] public void RejectsHeadersPastTheEnd() => AssertBad(File8("{}", 0, 1000), "truncated");
    [Fact] public void RejectsBadJson() => AssertBad(File8("{\"a\": [}"), "not valid JSON");
    [Fact] public void RejectsUnknownDtypes() => AssertBad(File8("{\"a\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2), "unknown dtype");
    [Fact] public void RejectsShapeSizeMismatch() => AssertBad(File8("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8), "span 8");
    [Fact] public void RejectsDataOutsideTheFile() => AssertBad(File8("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4), "outside");
    [Fact] public void RejectsNegativeShapes() => AssertBad(File8("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8), "non-negative");
    [Fact] public void RejectsOverflowingShapes() => AssertBad(File8("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}", 8), "overflow");

    [Fact]
    public void RejectsOverlaps() => AssertBad(File8(
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "overlap");
}
