using System.Runtime.Intrinsics;
using SharpLM.Kernels;

namespace SharpLM.Tests.Kernels;

/// <summary>The F16 → F32 bit conversion against System.Half for all 65536 inputs, at every width.</summary>
public sealed class HalfBitsTests
{
    static uint Expected(int h) => BitConverter.SingleToUInt32Bits((float)BitConverter.UInt16BitsToHalf((ushort)h));

    static void AssertSame(int h, float got)
    {
        uint want = Expected(h), bits = BitConverter.SingleToUInt32Bits(got);
        if (float.IsNaN(got)) Assert.True(float.IsNaN(BitConverter.UInt32BitsToSingle(want)), $"0x{h:X4}");
        else Assert.True(want == bits, $"0x{h:X4}: got 0x{bits:X8}, want 0x{want:X8}");
    }

    [Fact]
    public void ScalarMatchesSystemHalf()
    {
        for (int h = 0; h < 65536; h++) AssertSame(h, HalfBits.ToSingle((ushort)h));
    }

    [Fact]
    public void VectorsMatchSystemHalf()
    {
        // Vector512/256 arithmetic is computed in software where not accelerated, so every width runs here.
        var lanes = new uint[16];
        for (int h0 = 0; h0 < 65536; h0 += 16)
        {
            for (int k = 0; k < 16; k++) lanes[k] = (uint)(h0 + k);
            var v512 = HalfBits.ToSingle(Vector512.Create(lanes));
            var v256 = HalfBits.ToSingle(Vector256.Create(lanes.AsSpan(0, 8)));
            var v128 = HalfBits.ToSingle(Vector128.Create(lanes.AsSpan(8, 4)));
            for (int k = 0; k < 16; k++) AssertSame(h0 + k, v512[k]);
            for (int k = 0; k < 8; k++) AssertSame(h0 + k, v256[k]);
            for (int k = 0; k < 4; k++) AssertSame(h0 + 8 + k, v128[k]);
        }
    }
}
