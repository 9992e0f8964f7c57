using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SharpLM.Quantization;

/// <summary>
/// ggml <c>block_q4_0</c>: 32 weights as an fp16 scale <c>d</c> and 16 bytes of 4-bit codes, 18 bytes
/// (4.5 bits/weight). Byte j holds element j in its low nibble and element j + 16 in its high nibble;
/// a weight is <c>(q − 8)·d</c>.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ4_0
{
    public const int Size = 32;
    public Half D;
    public Nibbles Qs;

    [InlineArray(16)]
    public struct Nibbles
    {
        byte _element0;
    }
}

/// <summary>
/// ggml <c>block_q8_0</c>: 32 weights as an fp16 scale <c>d</c> and 32 signed bytes, 34 bytes
/// (8.5 bits/weight); a weight is <c>q·d</c>.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ8_0
{
    public const int Size = 32;
    public Half D;
    public Codes Qs;

    [InlineArray(32)]
    public struct Codes
    {
        sbyte _element0;
    }
}
