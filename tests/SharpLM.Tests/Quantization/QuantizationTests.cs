using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SharpLM.Quantization;

namespace SharpLM.Tests.Quantization;

public class QuantizationTests
{
    [Fact]
    public void BlocksHaveGgmlSizes()
    {
        Assert.Equal(18, Unsafe.SizeOf<BlockQ4_0>());
        Assert.Equal(34, Unsafe.SizeOf<BlockQ8_0>());
        Assert.Equal(18, Marshal.SizeOf<BlockQ4_0>());
    }

    [Fact]
    public void Q4_0MatchesGgmlOnTheWorkedVector()
    {
        // recipes.md §2.2: x_j = 0.1·(j − 10); the extreme is +2.1, d = fp16(−0.2625) = 0xB433.
        var x = Enumerable.Range(0, 32).Select(j => 0.1f * (j - 10)).ToArray();
        var b = new BlockQ4_0[1];
        Q4_0.QuantizeRow(x, b);
        Assert.Equal(0xB433, BitConverter.HalfToUInt16Bits(b[0].D));
        int[] codes = [12, 11, 11, 11, 10, 10, 10, 9, 9, 8, 8, 8, 7, 7, 6, 6, 6, 5, 5, 5, 4, 4, 3, 3, 3, 2, 2, 2, 1, 1, 0, 0];
        for (int j = 0; j < 16; j++)
        {
            Assert.Equal(codes[j], b[0].Qs[j] & 15);
            Assert.Equal(codes[j + 16], b[0].Qs[j] >> 4);
        }
        var bytes = MemoryMarshal.AsBytes(b.AsSpan()).ToArray();
        Assert.Equal(new byte[] { 0x6C, 0x5B, 0x5B, 0x5B }, bytes[2..6]);
        var y = new float[32];
        Q4_0.DequantizeRow(b, y);
        Assert.InRange(x.Zip(y, (p, q) => MathF.Abs(p - q)).Max(), 0.125f, 0.1254f);

        // Negated input: same codes, positive scale.
        Q4_0.QuantizeRow(x.Select(v => -v).ToArray(), b);
        Assert.Equal(0.2625f, (float)b[0].D, 3);
        Assert.True(b[0].D > Half.Zero);
        for (int j = 0; j < 16; j++) Assert.Equal(codes[j], b[0].Qs[j] & 15);
    }

    [Fact]
    public void Q4_0ExtremeMapsToCodeZeroAndFirstTieWins()
    {
        var x = new float[32];
        x[3] = -2f; x[7] = 2f; // |−2| seen first: d = −2 / −8 = 0.25
        var b = new BlockQ4_0[1];
        Q4_0.QuantizeRow(x, b);
        Assert.Equal(0.25f, (float)b[0].D);
        Assert.Equal(0, b[0].Qs[3] & 15);   // −2 = (0 − 8)·0.25
        Assert.Equal(15, b[0].Qs[7] & 15);  // +2 is capped at code 15 (1.75)
        Assert.Equal(8, b[0].Qs[0] & 15);
        var zero = new BlockQ4_0[1];
        Q4_0.QuantizeRow(new float[32], zero);
        Assert.Equal(0f, (float)zero[0].D);
        Assert.Equal(0x88, zero[0].Qs[0]);
    }

    [Fact]
    public void Q8_0MatchesGgmlRounding()
    {
        // amax 127 → d = 1: x·(1/d) rounds half away from zero.
        var x = new float[32];
        x[0] = 127; x[1] = 2.5f; x[2] = -2.5f; x[3] = 0.49f; x[4] = -127;
        var b = new BlockQ8_0[1];
        Q8_0.QuantizeRow(x, b);
        Assert.Equal(1f, (float)b[0].D);
        Assert.Equal(new sbyte[] { 127, 3, -3, 0, -127 }, new[] { b[0].Qs[0], b[0].Qs[1], b[0].Qs[2], b[0].Qs[3], b[0].Qs[4] });

        var rnd = new Random(5);
        var v = Enumerable.Range(0, 256).Select(_ => (float)(rnd.NextDouble() * 4 - 2)).ToArray();
        var blocks = new BlockQ8_0[8];
        Q8_0.QuantizeRow(v, blocks);
        var back = new float[256];
        Q8_0.DequantizeRow(blocks, back);
        // Half a step, plus up to 127 × the fp16 rounding of d (the codes come from the f32 scale).
        for (int i = 0; i < 256; i++) Assert.True(MathF.Abs(v[i] - back[i]) <= (float)blocks[i / 32].D * (0.5f + 127f / 2048) + 1e-6f);
    }

    [Fact]
    public void RejectsPartialBlocks()
    {
        Assert.Throws<ArgumentException>(() => Q4_0.QuantizeRow(new float[33], new BlockQ4_0[1]));
        Assert.Throws<ArgumentException>(() => Q8_0.QuantizeRow(new float[32], new BlockQ8_0[2]));
    }
}
