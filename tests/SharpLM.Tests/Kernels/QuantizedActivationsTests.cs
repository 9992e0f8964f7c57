using SharpLM.Kernels;

namespace SharpLM.Tests.Kernels;

public sealed unsafe class QuantizedActivationsTests
{
    [Fact]
    public void BlocksFollowTheQ8Rule()
    {
        var x = KernelTestData.RandomVector(2 * 32 * 6, 5, 4f);
        x[3] = 0; // a zero inside a block
        for (int i = 64; i < 96; i++) x[i] = 0; // an all-zero block: d = 0, q = 0
        var a = new QuantizedActivations();
        a.Quantize(x, 2, 32 * 6);
        for (int t = 0; t < 2; t++)
        {
            var tok = a.Token(t);
            for (int b = 0; b < 6; b++)
            {
                float amax = 0;
                int sum = 0;
                for (int i = 0; i < 32; i++) amax = Math.Max(amax, Math.Abs(x[t * 192 + b * 32 + i]));
                Assert.Equal(amax / 127f, tok.Scale[b]);
                for (int i = 0; i < 32; i++)
                {
                    sbyte q = tok.Natural[b * 32 + i];
                    float v = x[t * 192 + b * 32 + i];
                    Assert.InRange(q, -127, 127);
                    if (amax > 0) Assert.True(Math.Abs(q * tok.Scale[b] - v) <= tok.Scale[b] * 0.5001f, $"t{t} b{b} i{i}");
                    else Assert.Equal(0, q);
                    sum += q;
                }
                for (int k = 0; k < 4; k++) { Assert.Equal(tok.Scale[b], tok.X4[4 * b + k]); Assert.Equal(2 * sum, tok.Off4[4 * b + k]); }
                Assert.Equal(8 * sum, tok.Sum8[b]);
                for (int k = 0; k < 8; k++) Assert.Equal(tok.Scale[b], tok.X8[8 * b + k]);
            }
        }
    }

    /// <summary>The Q8_0 prefill tile's 16-bit copy: each 4 values in the order q0, q2, q1, q3, every token.</summary>
    [Fact]
    public void WideHoldsPairsInTileOrder()
    {
        var x = KernelTestData.RandomVector(3 * 32 * 5, 9, 4f);
        var a = new QuantizedActivations();
        a.Quantize(x, 3, 32 * 5);
        a.Widen();
        int[] order = [0, 2, 1, 3];
        for (int i = 0; i < 3 * 32 * 5; i++)
            Assert.Equal(a.Natural[i - i % 4 + order[i % 4]], a.Wide[i]);
    }

    [Fact]
    public void NibbleOrderGroupsFourBlocks()
    {
        // 6 blocks: one group of 4 (interleaved), then 2 blocks left in element order.
        var x = KernelTestData.RandomVector(32 * 6, 8);
        var a = new QuantizedActivations();
        a.Quantize(x, 1, 32 * 6);
        var t = a.Token(0);
        for (int j = 0; j < 4; j++)
            for (int i = 0; i < 16; i++)
            {
                Assert.Equal(t.Natural[j * 32 + i], t.Nibble[j * 16 + i]);
                Assert.Equal(t.Natural[j * 32 + 16 + i], t.Nibble[64 + j * 16 + i]);
            }
        for (int i = 128; i < 192; i++) Assert.Equal(t.Natural[i], t.Nibble[i]);
    }

    [Fact]
    public void RejectsRowsThatAreNotWholeBlocks()
    {
        var a = new QuantizedActivations();
        Assert.Throws<ArgumentException>(() => a.Quantize(new float[40], 1, 40));
        Assert.Throws<ArgumentException>(() => a.Quantize(new float[32], 2, 32));
    }
}

public sealed unsafe class QuantizedActivationsLevelTests
{
    [Fact]
    public void EveryLevelQuantizesToTheSameBytes()
    {
        int tokens = 3, cols = 32 * 37;
        var x = KernelTestData.RandomVector(tokens * cols, 21, 5f);
        for (int i = 0; i < 32; i++) x[64 + i] = 0;          // an all-zero block
        x[100] = 0.5f * (x[101] = 1f);                        // exact halves: ties must round to even alike
        var want = new QuantizedActivations();
        want.Quantize(x, tokens, cols, KernelIsa.Scalar);
        foreach (var isa in KernelIsaInfo.Supported)
        {
            var got = new QuantizedActivations();
            got.Quantize(x, tokens, cols, isa);
            int nb = cols / 32;
            Assert.True(new ReadOnlySpan<sbyte>(want.Natural, tokens * cols).SequenceEqual(new ReadOnlySpan<sbyte>(got.Natural, tokens * cols)), $"{isa} natural");
            Assert.True(new ReadOnlySpan<sbyte>(want.NibbleOrder, tokens * cols).SequenceEqual(new ReadOnlySpan<sbyte>(got.NibbleOrder, tokens * cols)), $"{isa} nibble");
            Assert.True(new ReadOnlySpan<float>(want.Scale, tokens * nb).SequenceEqual(new ReadOnlySpan<float>(got.Scale, tokens * nb)), $"{isa} scale");
            Assert.True(new ReadOnlySpan<float>(want.ScaleX8, tokens * nb * 8).SequenceEqual(new ReadOnlySpan<float>(got.ScaleX8, tokens * nb * 8)), $"{isa} x8");
            Assert.True(new ReadOnlySpan<float>(want.ScaleX4, tokens * nb * 4).SequenceEqual(new ReadOnlySpan<float>(got.ScaleX4, tokens * nb * 4)), $"{isa} x4");
            Assert.True(new ReadOnlySpan<int>(want.OffsetX4, tokens * nb * 4).SequenceEqual(new ReadOnlySpan<int>(got.OffsetX4, tokens * nb * 4)), $"{isa} off4");
        }
    }
}
