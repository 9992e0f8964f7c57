using SharpLM.Kernels;
using SharpLM.Tensors;

namespace SharpLM.Tests.Kernels;

/// <summary>Random weight matrices in every type, built byte by byte from the format rules (not from our quantizer).</summary>
internal static class KernelTestData
{
    /// <summary>Every kernel level this process can run (under DOTNET_EnableAVX512=0 etc. the list is shorter).</summary>
    public static TheoryData<KernelIsa> Levels()
    {
        var d = new TheoryData<KernelIsa>();
        foreach (var isa in KernelIsaInfo.Supported) d.Add(isa);
        return d;
    }

    public static readonly TensorType[] AllTypes = [TensorType.F32, TensorType.F16, TensorType.BF16, TensorType.Q4_0, TensorType.Q8_0];

    /// <summary>Raw bytes of a [rows, cols] matrix of <paramref name="type"/> with random contents.</summary>
    public static byte[] RandomMatrix(TensorType type, int rows, int cols, int seed)
    {
        var rng = new Random(seed);
        long rowBytes = type.RowBytes(cols);
        var bytes = new byte[rowBytes * rows];
        for (int r = 0; r < rows; r++)
        {
            var row = bytes.AsSpan((int)(r * rowBytes), (int)rowBytes);
            switch (type)
            {
                case TensorType.F32:
                    for (int i = 0; i < cols; i++) BitConverter.TryWriteBytes(row[(4 * i)..], (float)(rng.NextDouble() * 2 - 1));
                    break;
                case TensorType.F16:
                    for (int i = 0; i < cols; i++) BitConverter.TryWriteBytes(row[(2 * i)..], (Half)(rng.NextDouble() * 2 - 1));
                    break;
                case TensorType.BF16:
                    for (int i = 0; i < cols; i++) BitConverter.TryWriteBytes(row[(2 * i)..], BFloat16.FromSingle((float)(rng.NextDouble() * 2 - 1)));
                    break;
                case TensorType.Q4_0:
                case TensorType.Q8_0:
                    int bb = type.BlockBytes();
                    for (int b = 0; b < cols / 32; b++)
                    {
                        var blk = row.Slice(b * bb, bb);
                        rng.NextBytes(blk[2..]); // every nibble / every int8 including -128
                        BitConverter.TryWriteBytes(blk, (Half)(rng.NextDouble() * 0.02 + 1e-4));
                    }
                    break;
            }
        }
        return bytes;
    }

    /// <summary>Element i of row r, decoded by the format rule in double precision.</summary>
    public static double Weight(TensorType type, ReadOnlySpan<byte> row, int i)
    {
        switch (type)
        {
            case TensorType.F32: return BitConverter.ToSingle(row[(4 * i)..]);
            case TensorType.F16: return (double)BitConverter.ToHalf(row[(2 * i)..]);
            case TensorType.BF16: return BitConverter.Int32BitsToSingle(BitConverter.ToUInt16(row[(2 * i)..]) << 16);
            case TensorType.Q4_0:
            {
                var blk = row.Slice(i / 32 * 18, 18);
                double d = (double)BitConverter.ToHalf(blk);
                int j = i % 32;
                int n = j < 16 ? blk[2 + j] & 0x0F : blk[2 + j - 16] >> 4;
                return (n - 8) * d;
            }
            case TensorType.Q8_0:
            {
                var blk = row.Slice(i / 32 * 34, 34);
                return (sbyte)blk[2 + i % 32] * (double)BitConverter.ToHalf(blk);
            }
            default: throw new ArgumentOutOfRangeException(nameof(type));
        }
    }

    public static float[] RandomVector(int n, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return x;
    }
}
