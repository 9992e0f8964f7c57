using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SharpLM.Tensors;

namespace SharpLM.Kernels;

/// <summary>
/// Decodes one stored row to f32 (the embedding lookup, and prefill's matrix-matrix product, which decodes
/// each weight row once and reuses it for every token of the chunk).
/// </summary>
public static unsafe class RowDecode
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Decode(TensorType type, byte* row, Span<float> y)
    {
        int n = y.Length;
        fixed (float* py = y)
        {
            switch (type)
            {
                case TensorType.F32:
                    new ReadOnlySpan<float>(row, n).CopyTo(y);
                    break;
                case TensorType.BF16:
                {
                    var w = (ushort*)row;
                    int j = 0;
                    if (Vector256.IsHardwareAccelerated)
                        for (; j <= n - 16; j += 16)
                        {
                            var (lo, hi) = Vector256.Widen(Vector256.Load(w + j));
                            Vector256.ShiftLeft(lo, 16).AsSingle().Store(py + j);
                            Vector256.ShiftLeft(hi, 16).AsSingle().Store(py + j + 8);
                        }
                    for (; j < n; j++) py[j] = BFloat16.ToSingle(w[j]);
                    break;
                }
                case TensorType.F16:
                {
                    var w = (ushort*)row;
                    int j = 0;
                    if (Vector256.IsHardwareAccelerated)
                        for (; j <= n - 16; j += 16)
                        {
                            var (lo, hi) = Vector256.Widen(Vector256.Load(w + j));
                            HalfBits.ToSingle(lo).Store(py + j);
                            HalfBits.ToSingle(hi).Store(py + j + 8);
                        }
                    for (; j < n; j++) py[j] = (float)((Half*)row)[j];
                    break;
                }
                case TensorType.Q8_0:
                    for (int b = 0; b < n / 32; b++, row += 34)
                    {
                        float d = (float)*(Half*)row;
                        var q = (sbyte*)(row + 2);
                        for (int j = 0; j < 32; j++) py[b * 32 + j] = q[j] * d;
                    }
                    break;
                case TensorType.Q4_0:
                    for (int b = 0; b < n / 32; b++, row += 18)
                    {
                        float d = (float)*(Half*)row;
                        byte* q = row + 2;
                        for (int j = 0; j < 16; j++)
                        {
                            py[b * 32 + j] = ((q[j] & 0x0F) - 8) * d;
                            py[b * 32 + j + 16] = ((q[j] >> 4) - 8) * d;
                        }
                    }
                    break;
                default:
                    throw new NotSupportedException($"no decoder for {type}");
            }
        }
    }
}
