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
                for (int k = 0; k < 8; k++) Assert.Equal(tok.Scale[b], tok.X8[8 * b + k]);
            }
        }
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
