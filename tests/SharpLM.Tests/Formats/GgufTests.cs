using SharpLM.Formats.Gguf;
using SharpLM.Tensors;
using SharpLM.Tokenization;

namespace SharpLM.Tests.Formats;

public class GgufTests
{
    static string Temp(string name) => Path.Combine(TestPaths.NewTempDir("gguf"), name);

    [Fact]
    public void WriterAndReaderRoundTripEveryValueTypeAndTensorType()
    {
        var w = new GgufWriter(alignment: 64);
        w.Set("u8", GgufValue.UInt8(200));
        w.Set("i8", GgufValue.Int8(-100));
        w.Set("u16", GgufValue.UInt16(60000));
        w.Set("i16", GgufValue.Int16(-30000));
        w.Set("u32", GgufValue.UInt32(4_000_000_000));
        w.Set("i32", GgufValue.Int32(-2_000_000_000));
        w.Set("f32", GgufValue.Float32(1.5f));
        w.Set("bool", GgufValue.Bool(true));
        w.Set("str", GgufValue.String("héllo ▁world"));
        w.Set("u64", GgufValue.UInt64(ulong.MaxValue));
        w.Set("i64", GgufValue.Int64(long.MinValue));
        w.Set("f64", GgufValue.Float64(Math.PI));
        w.Set("arr.str", GgufValue.Array(["a", "", "ü"]));
        w.Set("arr.f32", GgufValue.Array([1f, -2f]));
        w.Set("arr.i32", GgufValue.Array([3, -4]));
        w.Set("arr.u8", GgufValue.Array(GgufValueType.UInt8, new byte[] { 1, 2, 3 }));
        w.Set("arr.bool", GgufValue.Array(GgufValueType.Bool, new[] { true, false }));
        w.Set("arr.nested", GgufValue.Array(GgufValueType.Array, new[] { GgufValue.Array([1, 2]), GgufValue.Array(["x"]) }));
        var rnd = new Random(1);
        var f = Enumerable.Range(0, 64).Select(_ => (float)rnd.NextDouble() - 0.5f).ToArray();
        foreach (var t in new[] { TensorType.F32, TensorType.F16, TensorType.BF16, TensorType.Q8_0, TensorType.Q4_0 })
            w.AddTensor($"t.{t}", t, [2, 32], SharpLM.Quantization.TensorCodec.Encode(t, f));
        string path = Temp("all.gguf");
        w.Write(path);

        using var g = GgufFile.Open(path);
        Assert.Equal(3u, g.Version);
        Assert.Equal(64u, g.Alignment);
        Assert.Equal((byte)200, g.Get("u8")!.Value);
        Assert.Equal((sbyte)-100, g.Get("i8")!.Value);
        Assert.Equal((ushort)60000, g.Get("u16")!.Value);
        Assert.Equal((short)-30000, g.Get("i16")!.Value);
        Assert.Equal(4_000_000_000u, g.Get("u32")!.Value);
        Assert.Equal(-2_000_000_000, g.Get("i32")!.Value);
        Assert.Equal(1.5f, g.Get("f32")!.Value);
        Assert.Equal(true, g.Get("bool")!.Value);
        Assert.Equal("héllo ▁world", g.GetString("str"));
        Assert.Equal(ulong.MaxValue, g.Get("u64")!.Value);
        Assert.Equal(long.MinValue, g.Get("i64")!.Value);
        Assert.Equal(Math.PI, g.Get("f64")!.Value);
        Assert.Equal(new[] { "a", "", "ü" }, g.Get("arr.str")!.Value);
        Assert.Equal(new[] { 1f, -2f }, g.Get("arr.f32")!.Value);
        Assert.Equal(new[] { 3, -4 }, g.Get("arr.i32")!.Value);
        Assert.Equal(new byte[] { 1, 2, 3 }, g.Get("arr.u8")!.Value);
        Assert.Equal(new[] { true, false }, g.Get("arr.bool")!.Value);
        var nested = (GgufValue[])g.Get("arr.nested")!.Value;
        Assert.Equal(new[] { 1, 2 }, nested[0].Value);
        Assert.Equal(new[] { "x" }, nested[1].Value);
        Assert.Equal("general.alignment", g.MetadataList.Select(kv => kv.Key).First());
        foreach (var t in new[] { TensorType.F32, TensorType.F16, TensorType.BF16, TensorType.Q8_0, TensorType.Q4_0 })
        {
            Assert.True(g.TryGetTensor($"t.{t}", out var info));
            Assert.Equal(t, info.Type);
            Assert.Equal(new long[] { 2, 32 }, info.Shape);
            Assert.Equal(new long[] { 32, 2 }, info.Dimensions);
            Assert.Equal(0, (g.DataOffset + info.Offset) % 64);
            Assert.Equal(SharpLM.Quantization.TensorCodec.Encode(t, f), g.TensorBytes(info).ToArray());
        }
    }

    [Fact]
    public void TokenizerMetadataRoundTrips()
    {
        var tok = new GgufTokenizerData
        {
            Tokens = ["<pad>", "<eos>", "<bos>", "<unk>", "▁a"], Scores = [0, 0, 0, 0, -1.5f],
            TokenTypes = [3, 3, 3, 2, 1], ChatTemplate = "{{ x }}", BosId = 2, EosId = 1,
        };
        var w = new GgufWriter();
        w.SetTokenizer(tok);
        string path = Temp("tok.gguf");
        w.Write(path);
        using var g = GgufFile.Open(path);
        var back = g.ReadTokenizer()!;
        Assert.Equal(tok.Tokens, back.Tokens);
        Assert.Equal(tok.Scores, back.Scores);
        Assert.Equal(tok.TokenTypes, back.TokenTypes);
        Assert.Equal("{{ x }}", back.ChatTemplate);
        Assert.Equal((2, 1, 3, 0, true, false, false), (back.BosId, back.EosId, back.UnknownId, back.PaddingId, back.AddBos, back.AddEos, back.AddSpacePrefix));
        Assert.Equal("llama", g.GetString("tokenizer.ggml.model"));
        Assert.Equal(2L, g.GetInteger("tokenizer.ggml.bos_token_id"));
        Assert.Equal(GgufValueType.UInt32, g.Get("tokenizer.ggml.bos_token_id")!.Type);
    }

    static void AssertBad(byte[] bytes, string expected)
    {
        string p = Path.Combine(TestPaths.NewTempDir("gguf-bad"), "bad.gguf");
        File.WriteAllBytes(p, bytes);
        var e = Assert.Throws<SharpLMDataException>(() => GgufFile.Open(p).Dispose());
        Assert.Equal(p, e.Path);
        Assert.True(e.Message.Contains(expected), e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    static byte[] ValidWithOneTensor(ulong offset = 0, uint type = 0, ulong[]? dims = null, int data = 64) =>
        GgufBytes.Header(3, 1, 0).Tensor("w", dims ?? [16], type, offset).Data(data).ToArray();

    [Fact]
    public void AcceptsAHandBuiltFileAndVersion2()
    {
        string p = Path.Combine(TestPaths.NewTempDir("gguf"), "v2.gguf");
        File.WriteAllBytes(p, GgufBytes.Header(2, 1, 1).Str("k").U32(8).Str("v").Tensor("w", [16], 0, 0).Data(64).ToArray());
        using var g = GgufFile.Open(p);
        Assert.Equal(2u, g.Version);
        Assert.Equal(64, g.Tensors[0].ByteLength);
    }

    [Fact] public void RejectsWrongMagic() => AssertBad("GGML\x03\0\0\0"u8.ToArray().Concat(new byte[40]).ToArray(), "wrong magic");
    [Fact] public void RejectsUnknownVersions() { AssertBad(GgufBytes.Header(1, 0, 0).ToArray(), "version 1"); AssertBad(GgufBytes.Header(4, 0, 0).ToArray(), "version 4"); }
    [Fact] public void RejectsTruncatedHeader() => AssertBad(ValidWithOneTensor()[..30], "truncated");
    [Fact] public void RejectsTruncatedTensorData() { var b = ValidWithOneTensor(); AssertBad(b[..(b.Length - 10)], "outside the file"); }
    [Fact] public void RejectsTensorDataOutsideTheFile() => AssertBad(ValidWithOneTensor(offset: 1UL << 40), "outside the file");
    [Fact] public void RejectsMisalignedTensors() => AssertBad(ValidWithOneTensor(offset: 4), "alignment");
    [Fact] public void RejectsUnknownTensorTypes() => AssertBad(ValidWithOneTensor(type: 12), "ggml type 12");
    [Fact] public void RejectsDimensionsWhoseProductOverflows() => AssertBad(ValidWithOneTensor(dims: [1UL << 40, 1UL << 40]), "overflow");
    [Fact] public void RejectsTooManyDimensions() => AssertBad(ValidWithOneTensor(dims: [1, 1, 1, 1, 1]), "dimensions");
    [Fact] public void RejectsZeroDimension() => AssertBad(ValidWithOneTensor(dims: [16, 0]), "dimension 0");
    [Fact] public void RejectsQuantizedRowsThatAreNotWholeBlocks() => AssertBad(ValidWithOneTensor(type: 2, dims: [16]), "block size");

    [Fact]
    public void RejectsOverlappingTensors() =>
        AssertBad(GgufBytes.Header(3, 2, 0).Tensor("a", [16], 0, 0).Tensor("b", [16], 0, 32).Data(128).ToArray(), "overlap");

    [Fact]
    public void RejectsDuplicates()
    {
        AssertBad(GgufBytes.Header(3, 2, 0).Tensor("a", [8], 0, 0).Tensor("a", [8], 0, 32).Data(128).ToArray(), "duplicate tensor");
        AssertBad(GgufBytes.Header(3, 0, 2).Str("k").U32(4).U32(1).Str("k").U32(4).U32(2).ToArray(), "duplicate metadata key");
    }

    [Fact] public void RejectsAbsurdTensorCounts() => AssertBad(GgufBytes.Header(3, ulong.MaxValue, 0).ToArray(), "tensor count");
    [Fact] public void RejectsAbsurdMetadataCounts() => AssertBad(GgufBytes.Header(3, 0, 1UL << 50).ToArray(), "metadata count");
    [Fact] public void RejectsAbsurdStringLengths() => AssertBad(GgufBytes.Header(3, 0, 1).U64(1UL << 62).Raw(new byte[16]).ToArray(), "string length");
    [Fact] public void RejectsAbsurdArrayLengths() => AssertBad(GgufBytes.Header(3, 0, 1).Str("a").U32(9).U32(4).U64(1UL << 40).ToArray(), "array length");
    [Fact] public void RejectsUnknownValueTypes() => AssertBad(GgufBytes.Header(3, 0, 1).Str("a").U32(13).U32(0).ToArray(), "unknown value type 13");
    [Fact] public void RejectsInvalidUtf8() => AssertBad(GgufBytes.Header(3, 0, 1).U64(2).Raw([0xC3, 0x28]).U32(4).U32(0).ToArray(), "invalid UTF-8");
    [Fact] public void RejectsBadBools() => AssertBad(GgufBytes.Header(3, 0, 1).Str("b").U32(7).U8(7).ToArray(), "bool");
    [Fact] public void RejectsBadAlignment() => AssertBad(GgufBytes.Header(3, 0, 1).Str("general.alignment").U32(4).U32(48).ToArray(), "power of two");

    [Fact]
    public void RejectsEmptyAndMissingFiles()
    {
        AssertBad([], "empty file");
        var e = Assert.Throws<SharpLMDataException>(() => GgufFile.Open("/nonexistent/x.gguf"));
        Assert.Contains("no such file", e.Message);
    }

    [Fact]
    public void DeepNestingIsBounded()
    {
        var b = GgufBytes.Header(3, 0, 1).Str("n");
        b.U32(9);
        for (int i = 0; i < 20; i++) b.U32(9).U64(1);
        AssertBad(b.U32(4).U64(0).ToArray(), "nested deeper");
    }
}
