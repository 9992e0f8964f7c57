namespace SharpLM.Quantization;

/// <summary>
/// Reference Q8_0 quantization, bit-exact with ggml's <c>quantize_row_q8_0_ref</c>: <c>d = amax/127</c>,
/// <c>q = roundf(x/d)</c> (half away from zero, computed as <c>x·(1/d)</c> with the f32 reciprocal).
/// </summary>
public static class Q8_0
{
    public static void QuantizeRow(ReadOnlySpan<float> x, Span<BlockQ8_0> y)
    {
        if (x.Length % BlockQ8_0.Size != 0 || y.Length != x.Length / BlockQ8_0.Size)
            throw new ArgumentException($"Q8_0 needs {x.Length / BlockQ8_0.Size} blocks for {x.Length} values (a multiple of 32)");
        for (int b = 0; b < y.Length; b++)
        {
            var xb = x.Slice(b * 32, 32);
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = MathF.Max(amax, MathF.Abs(xb[j]));
            float d = amax / 127;
            float id = d != 0 ? 1.0f / d : 0.0f;
            y[b].D = (Half)d;
            for (int j = 0; j < 32; j++)
                y[b].Qs[j] = (sbyte)MathF.Round(xb[j] * id, MidpointRounding.AwayFromZero);
        }
    }

    public static void DequantizeRow(ReadOnlySpan<BlockQ8_0> x, Span<float> y)
    {
        if (y.Length != x.Length * BlockQ8_0.Size) throw new ArgumentException("output length must be 32 × blocks");
        for (int b = 0; b < x.Length; b++)
        {
            float d = (float)x[b].D;
            for (int j = 0; j < 32; j++) y[b * 32 + j] = x[b].Qs[j] * d;
        }
    }
}
