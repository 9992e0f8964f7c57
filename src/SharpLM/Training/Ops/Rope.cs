using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SharpLM.Kernels.Training;

namespace SharpLM.Training.Ops;

/// <summary>
/// Rotary position embedding, rotate-half pairing over the full head_dim (spec §1.5), in place.
/// </summary>
/// <remarks>
/// Shapes: x [B·T, heads, d]; cos, sin [T, d/2]; the position of row r is r mod T (every sequence of the
/// batch starts at 0). With θ = pos·inv_freq[i]:
///   y[i] = x[i]·cos θ − x[i+d/2]·sin θ,   y[i+d/2] = x[i+d/2]·cos θ + x[i]·sin θ.
/// y = R(θ)·x with R a rotation, so the backward is dx = R(θ)ᵀ·dy = R(−θ)·dy: the same loop with sin negated.
/// </remarks>
public static unsafe class Rope
{
    /// <summary>Tests run the scalar loop even where a vector float path applies (read on the calling thread).</summary>
    [ThreadStatic] internal static bool ForceScalar;

    /// <summary>Tables for positions 0..T−1 with inv_freq[i] = base^(−2i/d) / factor, computed in double and rounded once.</summary>
    public static void BuildTables<T>(T* cos, T* sin, int seqLen, int headDim, double ropeBase, double factor)
        where T : unmanaged, INumber<T>
    {
        int half = headDim / 2;
        for (int i = 0; i < half; i++)
        {
            double invFreq = Math.Pow(ropeBase, -2.0 * i / headDim) / factor;
            // spec §1.11: angle = (float)p × (float)inv_freq in the float model; exact in the double one.
            T inv = T.CreateTruncating(invFreq);
            for (int p = 0; p < seqLen; p++)
            {
                double angle = double.CreateTruncating(T.CreateTruncating(p) * inv);
                cos[(long)p * half + i] = T.CreateTruncating(Math.Cos(angle));
                sin[(long)p * half + i] = T.CreateTruncating(Math.Sin(angle));
            }
        }
    }

    public static void Forward<T>(Workers workers, T* x, T* cos, T* sin, int rows, int seqLen, int heads, int headDim)
        where T : unmanaged, INumber<T> => Run(workers, x, cos, sin, rows, seqLen, heads, headDim, inverse: false);

    public static void Backward<T>(Workers workers, T* dx, T* cos, T* sin, int rows, int seqLen, int heads, int headDim)
        where T : unmanaged, INumber<T> => Run(workers, dx, cos, sin, rows, seqLen, heads, headDim, inverse: true);

    static void Run<T>(Workers workers, T* x, T* cos, T* sin, int rows, int seqLen, int heads, int headDim, bool inverse)
        where T : unmanaged, INumber<T>
    {
        var job = workers.Shared<Job<T>>();
        job.X = x; job.Cos = cos; job.Sin = sin; job.SeqLen = seqLen; job.Heads = heads; job.HeadDim = headDim;
        job.Inverse = inverse;
        job.Rows = rows;
        job.Vector = VectorApplies<T>(headDim);
        workers.For(job, (rows + 15) / 16);
    }

    /// <summary>
    /// Whether <see cref="RotateRow{T}"/> takes a vector path (512-bit, or 256-bit on <see cref="Vec.Use256"/>) for this element
    /// type and head_dim: each half of a head a whole number of vectors (read on the calling thread).
    /// </summary>
    internal static bool VectorApplies<T>(int headDim) =>
        typeof(T) == typeof(float) && !ForceScalar && (Vec.Use512 ? headDim % 32 == 0 : Vec.On256 && headDim % 16 == 0);

    /// <summary>
    /// Rotates the <paramref name="heads"/> head vectors of one position (x holds them back to back) by the
    /// angles of table rows c, s; <paramref name="inverse"/> rotates by −θ. The fused QK-norm + RoPE op calls this
    /// per token, so its bits are exactly this op's.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void RotateRow<T>(T* x, T* c, T* s, int heads, int headDim, bool inverse, bool vector) where T : unmanaged, INumber<T>
    {
        if (vector)
        {
            if (Vec.Use512) RotateRow512((float*)x, (float*)c, (float*)s, heads, headDim, inverse);
            else RotateRow256((float*)x, (float*)c, (float*)s, heads, headDim, inverse);
            return;
        }
        int half = headDim / 2;
        for (int h = 0; h < heads; h++)
        {
            T* v = x + (long)h * headDim;
            for (int i = 0; i < half; i++)
            {
                T a = v[i], b = v[i + half], si = inverse ? -s[i] : s[i];
                v[i] = a * c[i] - b * si;
                v[i + half] = b * c[i] + a * si;
            }
        }
    }

    /// <summary>
    /// The float row of all heads at one position, 16 lanes at a time: the scalar loop's operations in the same
    /// order (no fused multiply-add), so the same bits.
    /// </summary>
    static void RotateRow512(float* x, float* cos, float* sin, int heads, int headDim, bool inverse)
    {
        int half = headDim / 2;
        for (int h = 0; h < heads; h++)
        {
            float* v = x + (long)h * headDim;
            for (int i = 0; i < half; i += 16)
            {
                var a = Vector512.Load(v + i);
                var b = Vector512.Load(v + i + half);
                var c = Vector512.Load(cos + i);
                var si = inverse ? -Vector512.Load(sin + i) : Vector512.Load(sin + i);
                (a * c - b * si).Store(v + i);
                (b * c + a * si).Store(v + i + half);
            }
        }
    }

    /// <summary><see cref="RotateRow512"/> 8 lanes at a time (AVX2): the scalar loop's operations in the same order, so the same bits.</summary>
    internal static void RotateRow256(float* x, float* cos, float* sin, int heads, int headDim, bool inverse)
    {
        int half = headDim / 2;
        for (int h = 0; h < heads; h++)
        {
            float* v = x + (long)h * headDim;
            for (int i = 0; i < half; i += 8)
            {
                var a = Vector256.Load(v + i);
                var b = Vector256.Load(v + i + half);
                var c = Vector256.Load(cos + i);
                var si = inverse ? -Vector256.Load(sin + i) : Vector256.Load(sin + i);
                (a * c - b * si).Store(v + i);
                (b * c + a * si).Store(v + i + half);
            }
        }
    }

    sealed class Job<T> : ParallelJob where T : unmanaged, INumber<T>
    {
        public T* X, Cos, Sin;
        public int SeqLen, Heads, HeadDim, Rows;
        public bool Inverse, Vector;

        public override void Run(int index, int worker)
        {
            int half = HeadDim / 2;
            for (int r = index * 16, end = Math.Min(Rows, r + 16); r < end; r++)
            {
                int pos = r % SeqLen;
                RotateRow(X + (long)r * Heads * HeadDim, Cos + (long)pos * half, Sin + (long)pos * half, Heads, HeadDim, Inverse, Vector);
            }
        }
    }
}
