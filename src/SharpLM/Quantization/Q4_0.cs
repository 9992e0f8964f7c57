namespace SharpLM.Quantization;

/// <summary>
/// Reference Q4_0 quantization, bit-exact with ggml's <c>quantize_row_q4_0_ref</c> / <c>dequantize_row_q4_0</c>
/// (spec recipes.md §2.2). The scale is the <em>signed</em> extreme divided by −8, so the element with
/// the largest magnitude (the first one on ties) maps to code 0 exactly and the opposite side is capped at
/// code 15; the reciprocal is taken from the f32 scale before it is rounded to fp16.
/// </summary>
public static class Q4_0
{
    /// <summary>Quantizes <paramref name="x"/> (a multiple of 32 long) into <paramref name="y"/> (x.Length/32 blocks).</summary>
    public static void QuantizeRow(ReadOnlySpan<float> x, Span<BlockQ4_0> y)
    {
        if (x.Length % BlockQ4_0.Size != 0 || y.Length != x.Length / BlockQ4_0.Size)
            throw new ArgumentException($"Q4_0 needs {x.Length / BlockQ4_0.Size} blocks for {x.Length} values (a multiple of 32)");
        for (int b = 0; b < y.Length; b++)
        {
            var xb = x.Slice(b * 32, 32);
            float amax = 0, max = 0;
            for (int j = 0; j < 32; j++)
            {
                float a = MathF.Abs(xb[j]);
                if (amax < a) { amax = a; max = xb[j]; }
            }
            float d = max / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            y[b].D = (Half)d;
            for (int j = 0; j < 16; j++)
            {
                // (int8_t)(v + 8.5f) in C truncates toward zero; the argument is ≥ 0.5 here, so this is floor.
                int lo = Math.Min(15, (int)(sbyte)(xb[j] * id + 8.5f));
                int hi = Math.Min(15, (int)(sbyte)(xb[j + 16] * id + 8.5f));
                y[b].Qs[j] = (byte)(lo | (hi << 4));
            }
        }
    }

    public static void DequantizeRow(ReadOnlySpan<BlockQ4_0> x, Span<float> y)
    {
        if (y.Length != x.Length * BlockQ4_0.Size) throw new ArgumentException("output length must be 32 × blocks");
        for (int b = 0; b < x.Length; b++)
        {
            float d = (float)x[b].D;
            for (int j = 0; j < 16; j++)
            {
                byte q = x[b].Qs[j];
                y[b * 32 + j] = ((q & 0x0F) - 8) * d;
                y[b * 32 + j + 16] = ((q >> 4) - 8) * d;
            }
        }
    }
}
