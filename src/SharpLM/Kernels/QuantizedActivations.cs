using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SharpLM.Kernels;

/// <summary>
/// Activations x [T, C] quantized to Q8_0-style blocks of 32 (d = max|x|/127, q = round(x/d), ties to even)
/// so that Q4_0 and Q8_0 weights can be multiplied with integer dot products, as llama.cpp pairs
/// q4_0/q8_0 weights with q8_0 activations. One instance is a reusable, pinned workspace: it grows to the
/// largest [T, C] seen and never shrinks, so a decode loop allocates nothing.
/// </summary>
/// <remarks>
/// Per token t, with nb = C/32 blocks (all arrays are [T, …] row-major):
/// <list type="bullet">
/// <item><see cref="Natural"/> [C]: q in element order (Q8_0 weights, and every scalar path).</item>
/// <item><see cref="NibbleOrder"/> [C]: q regrouped for Q4_0 weights, whose 16 bytes per block hold element
///   i in the low nibble and i+16 in the high one. In each group of 4 blocks (128 bytes) the low halves of
///   the four blocks come first (16 bytes each), then the four high halves, so one 512-bit load of the
///   masked low nibbles of 4 blocks pairs with one load here. Blocks after the last whole group stay in
///   element order.</item>
/// <item><see cref="Scale"/> [nb]: d per block. <see cref="Sum8"/> [nb]: 8·Σq, for the −8 offset of Q4_0 in the
///   prefill tile (<see cref="QuantTileQ4_0"/>): Σ (n−8)·q = Σ n·q − 8·Σ q with n the unsigned nibble, so the inner
///   loop can multiply unsigned nibbles.</item>
/// <item><see cref="ScaleX4"/> [4·nb] and <see cref="ScaleX8"/> [8·nb]: d repeated 4 and 8 times, the lane
///   layout of the 32-bit block sums of the Q4_0 (4 lanes per block per 128 bits) and Q8_0 (8 lanes)
///   kernels, loaded directly instead of broadcast.</item>
/// <item><see cref="OffsetX4"/> [4·nb]: 2·Σq repeated 4 times. The Q4_0 kernels multiply unsigned nibbles n
///   and fold the −8 back in the integer domain: Σ (n−8)·q = Σ n·q − 8·Σ q, spread as 2·Σ q over the 4 lanes
///   that hold a block's partial sums.</item>
/// <item><see cref="Wide"/> [C], filled only by <see cref="Widen"/>: q as 16-bit values for the Q8_0 prefill tile
///   (<see cref="QuantTileQ8_0"/>), each 4 elements in the order q0, q2, q1, q3 (the pairs the tile's weight
///   vectors hold).</item>
/// </list>
/// </remarks>
internal sealed unsafe class QuantizedActivations
{
    public const int Block = 32;

    sbyte[] _natural = [], _nibble = [];
    float[] _scale = [], _x4 = [], _x8 = [];
    int[] _off4 = [], _sum8 = [];
    short[] _wide = [];

    public int Tokens { get; private set; }
    public int Cols { get; private set; }
    public int Blocks => Cols / Block;

    // Each array starts 64-byte aligned (pinned arrays are only 8-aligned; the first 64 bytes are slack), so
    // the kernels' full-width loads never split a cache line.
    public sbyte* Natural => (sbyte*)Align(Unsafe.AsPointer(ref _natural[0]));
    public sbyte* NibbleOrder => (sbyte*)Align(Unsafe.AsPointer(ref _nibble[0]));
    public float* Scale => (float*)Align(Unsafe.AsPointer(ref _scale[0]));
    public int* Sum8 => (int*)Align(Unsafe.AsPointer(ref _sum8[0]));
    public short* Wide => (short*)Align(Unsafe.AsPointer(ref _wide[0]));
    public float* ScaleX4 => (float*)Align(Unsafe.AsPointer(ref _x4[0]));
    public float* ScaleX8 => (float*)Align(Unsafe.AsPointer(ref _x8[0]));
    public int* OffsetX4 => (int*)Align(Unsafe.AsPointer(ref _off4[0]));

    static void* Align(void* p) => (void*)(((nuint)p + 63) & ~(nuint)63);

    /// <summary>Fills <see cref="Wide"/> from <see cref="Natural"/> for the tokens of the last <see cref="Quantize(ReadOnlySpan{float}, int, int)"/>.</summary>
    public void Widen()
    {
        long n = (long)Tokens * Cols;
        if (_wide.Length < n + 64) _wide = GC.AllocateUninitializedArray<short>(checked((int)n + 64), pinned: true);
        sbyte* q = Natural;
        short* dst = Wide;
        long i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var order = Vector256.Create((short)0, 2, 1, 3, 4, 6, 5, 7, 8, 10, 9, 11, 12, 14, 13, 15);
            for (; i + 16 <= n; i += 16)
            {
                var (lo, hi) = Vector128.Widen(Vector128.Load(q + i));
                Vector256.Shuffle(Vector256.Create(lo, hi), order).Store(dst + i);
            }
        }
        for (; i < n; i += 4)
        {
            dst[i] = q[i]; dst[i + 1] = q[i + 2]; dst[i + 2] = q[i + 1]; dst[i + 3] = q[i + 3];
        }
    }

    /// <summary>Token <paramref name="t"/>'s blocks.</summary>
    public Q8Token Token(int t)
    {
        long c = (long)t * Cols, nb = (long)t * Blocks;
        return new Q8Token(Natural + c, NibbleOrder + c, Scale + nb, ScaleX4 + nb * 4, ScaleX8 + nb * 8, OffsetX4 + nb * 4, Sum8 + nb);
    }

    /// <summary>Quantizes <paramref name="x"/> [<paramref name="tokens"/>, <paramref name="cols"/>]; cols must be a multiple of 32.</summary>
    public void Quantize(ReadOnlySpan<float> x, int tokens, int cols) => Quantize(x, tokens, cols, KernelIsaInfo.Default);

    /// <summary>As <see cref="Quantize(ReadOnlySpan{float}, int, int)"/> at a chosen level; every level gives the same bytes.</summary>
    internal void Quantize(ReadOnlySpan<float> x, int tokens, int cols, KernelIsa isa)
    {
        if (cols % Block != 0 || cols <= 0) throw new ArgumentException($"quantized activations need a positive multiple of {Block} columns, got {cols}", nameof(cols));
        if (tokens <= 0 || (long)tokens * cols > x.Length) throw new ArgumentException($"x holds {x.Length} values, need {tokens}×{cols}", nameof(x));
        Reserve(tokens, cols);
        int nb = cols / Block;
        fixed (float* px = x)
        {
            bool vector = isa >= KernelIsa.V256 && Vector256.IsHardwareAccelerated;
            for (int t = 0; t < tokens; t++)
                if (vector)
                    QuantizeToken256(px + (long)t * cols, nb,
                        Natural + (long)t * cols, NibbleOrder + (long)t * cols,
                        Scale + (long)t * nb, Sum8 + (long)t * nb, ScaleX4 + (long)t * nb * 4, ScaleX8 + (long)t * nb * 8,
                        OffsetX4 + (long)t * nb * 4);
                else
                QuantizeToken(px + (long)t * cols, nb,
                    Natural + (long)t * cols, NibbleOrder + (long)t * cols,
                    Scale + (long)t * nb, Sum8 + (long)t * nb, ScaleX4 + (long)t * nb * 4, ScaleX8 + (long)t * nb * 8,
                    OffsetX4 + (long)t * nb * 4);
        }
    }

    void Reserve(int tokens, int cols)
    {
        long n = (long)tokens * cols, nb = n / Block;
        if (_natural.Length < n + 128)
        {
            // Pinned (the kernels hold raw pointers while workers run); 64 bytes of alignment slack plus one
            // 64-byte vector, so a full-width load that starts inside the data never leaves the array.
            _natural = GC.AllocateUninitializedArray<sbyte>(checked((int)n + 128), pinned: true);
            _nibble = GC.AllocateUninitializedArray<sbyte>(checked((int)n + 128), pinned: true);
        }
        if (_scale.Length < nb + 32)
        {
            _scale = GC.AllocateUninitializedArray<float>(checked((int)nb + 32), pinned: true);
            _sum8 = GC.AllocateUninitializedArray<int>(checked((int)nb + 32), pinned: true);
            _x4 = GC.AllocateUninitializedArray<float>(checked((int)nb * 4 + 32), pinned: true);
            _x8 = GC.AllocateUninitializedArray<float>(checked((int)nb * 8 + 32), pinned: true);
            _off4 = GC.AllocateUninitializedArray<int>(checked((int)nb * 4 + 32), pinned: true);
        }
        Tokens = tokens;
        Cols = cols;
    }

    /// <summary>
    /// <see cref="QuantizeToken"/> with 256-bit vectors: the same float operations (max of |x|, d = amax/127,
    /// x·(1/d) rounded to nearest-even), so the same bytes; it runs on the calling thread before the
    /// parallel product, so its speed bounds decode on short rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void QuantizeToken256(float* x, int nb, sbyte* natural, sbyte* nibble, float* scale, int* sum8, float* x4, float* x8, int* off4)
    {
        int groups = nb / 4;
        for (int b = 0; b < nb; b++)
        {
            float* xb = x + b * Block;
            var v0 = Vector256.Load(xb); var v1 = Vector256.Load(xb + 8); var v2 = Vector256.Load(xb + 16); var v3 = Vector256.Load(xb + 24);
            var m = Vector256.Max(Vector256.Max(Vector256.Abs(v0), Vector256.Abs(v1)), Vector256.Max(Vector256.Abs(v2), Vector256.Abs(v3)));
            var m4 = Vector128.Max(m.GetLower(), m.GetUpper());
            float amax = MathF.Max(MathF.Max(m4[0], m4[1]), MathF.Max(m4[2], m4[3]));
            float d = amax / 127f;
            float id = d != 0 ? 1f / d : 0f;
            var vid = Vector256.Create(id);
            var q0 = Vector256.ConvertToInt32(Vector256.Round(v0 * vid));
            var q1 = Vector256.ConvertToInt32(Vector256.Round(v1 * vid));
            var q2 = Vector256.ConvertToInt32(Vector256.Round(v2 * vid));
            var q3 = Vector256.ConvertToInt32(Vector256.Round(v3 * vid));
            int s = Vector256.Sum((q0 + q1) + (q2 + q3));
            // |q| ≤ 127, so truncating narrows are exact.
            var lo = Vector128.Narrow(Vector256.Narrow(q0, q1).GetLower(), Vector256.Narrow(q0, q1).GetUpper());
            var hi = Vector128.Narrow(Vector256.Narrow(q2, q3).GetLower(), Vector256.Narrow(q2, q3).GetUpper());
            sbyte* q = natural + b * Block;
            lo.Store(q);
            hi.Store(q + 16);
            scale[b] = d;
            sum8[b] = 8 * s;
            Vector128.Create(d).Store(x4 + 4 * b);
            Vector256.Create(d).Store(x8 + 8 * b);
            Vector128.Create(2 * s).Store(off4 + 4 * b);
            if (b < groups * 4)
            {
                sbyte* l = nibble + (b >> 2) * 128 + (b & 3) * 16;
                lo.Store(l);
                hi.Store(l + 64);
            }
            else
            {
                lo.Store(nibble + b * Block);
                hi.Store(nibble + b * Block + 16);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void QuantizeToken(float* x, int nb, sbyte* natural, sbyte* nibble, float* scale, int* sum8, float* x4, float* x8, int* off4)
    {
        int groups = nb / 4;
        for (int b = 0; b < nb; b++)
        {
            float* xb = x + b * Block;
            float amax = 0;
            for (int i = 0; i < Block; i++) amax = MathF.Max(amax, MathF.Abs(xb[i]));
            float d = amax / 127f;
            float id = d != 0 ? 1f / d : 0f;
            sbyte* q = natural + b * Block;
            int s = 0;
            for (int i = 0; i < Block; i++)
            {
                int v = (int)MathF.Round(xb[i] * id); // ties to even, as vector rounding does; |v| ≤ 127
                q[i] = (sbyte)v;
                s += v;
            }
            scale[b] = d;
            sum8[b] = 8 * s;
            for (int k = 0; k < 4; k++) { x4[4 * b + k] = d; off4[4 * b + k] = 2 * s; }
            for (int k = 0; k < 8; k++) x8[8 * b + k] = d;

            if (b < groups * 4)
            {
                int g = b / 4, j = b % 4;
                sbyte* lo = nibble + g * 128 + j * 16, hi = lo + 64;
                for (int i = 0; i < 16; i++) { lo[i] = q[i]; hi[i] = q[16 + i]; }
            }
            else
            {
                for (int i = 0; i < Block; i++) nibble[b * Block + i] = q[i];
            }
        }
    }
}

/// <summary>Pointers to one token's quantized activations (see <see cref="QuantizedActivations"/> for the layouts).</summary>
internal readonly unsafe struct Q8Token
{
    public readonly sbyte* Natural;
    public readonly sbyte* Nibble;
    public readonly float* Scale;
    public readonly float* X4;
    public readonly float* X8;
    public readonly int* Off4;
    public readonly int* Sum8;

    public Q8Token(sbyte* natural, sbyte* nibble, float* scale, float* x4, float* x8, int* off4, int* sum8)
    {
        Natural = natural; Nibble = nibble; Scale = scale; X4 = x4; X8 = x8; Off4 = off4; Sum8 = sum8;
    }

    /// <summary>The same token's blocks from block <paramref name="b"/> on (b a multiple of 4, so groups stay aligned).</summary>
    public Q8Token FromBlock(int b) => new(Natural + b * 32, Nibble + b * 32, Scale + b, X4 + b * 4, X8 + b * 8, Off4 + b * 4, Sum8 + b);
}
