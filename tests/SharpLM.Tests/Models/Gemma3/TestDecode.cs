using SharpLM.Tensors;

namespace SharpLM.Tests.Models.Gemma3;

/// <summary>Test-side decoders of stored tensor bytes (written from the GGUF block layouts, not shared with the engine).</summary>
public static class TestDecode
{
    public static double[] Decode(TensorType type, ReadOnlySpan<byte> b, long n)
    {
        var y = new double[n];
        switch (type)
        {
            case TensorType.F32:
                for (long i = 0; i < n; i++) y[i] = BitConverter.ToSingle(b.Slice((int)(4 * i), 4));
                break;
            case TensorType.F16:
                for (long i = 0; i < n; i++) y[i] = (double)BitConverter.ToHalf(b.Slice((int)(2 * i), 2));
                break;
            case TensorType.BF16:
                for (long i = 0; i < n; i++) y[i] = BitConverter.UInt32BitsToSingle((uint)BitConverter.ToUInt16(b.Slice((int)(2 * i), 2)) << 16);
                break;
            case TensorType.Q8_0:
                for (long blk = 0; blk < n / 32; blk++)
                {
                    var block = b.Slice((int)(blk * 34), 34);
                    double d = (double)BitConverter.ToHalf(block);
                    for (int j = 0; j < 32; j++) y[blk * 32 + j] = (sbyte)block[2 + j] * d;
                }
                break;
            case TensorType.Q4_0:
                for (long blk = 0; blk < n / 32; blk++)
                {
                    var block = b.Slice((int)(blk * 18), 18);
                    double d = (double)BitConverter.ToHalf(block);
                    for (int j = 0; j < 16; j++)
                    {
                        y[blk * 32 + j] = ((block[2 + j] & 15) - 8) * d;
                        y[blk * 32 + j + 16] = ((block[2 + j] >> 4) - 8) * d;
                    }
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type));
        }
        return y;
    }
}
