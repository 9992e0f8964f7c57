using System.Numerics;
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
        workers.For(job, (rows + 15) / 16);
    }

    sealed class Job<T> : ParallelJob where T : unmanaged, INumber<T>
    {
        public T* X, Cos, Sin;
        public int SeqLen, Heads, HeadDim, Rows;
        public bool Inverse;

        public override void Run(int index, int worker)
        {
            int half = HeadDim / 2;
            for (int r = index * 16, end = Math.Min(Rows, r + 16); r < end; r++)
            {
                int pos = r % SeqLen;
                T* c = Cos + (long)pos * half, s = Sin + (long)pos * half;
                for (int h = 0; h < Heads; h++)
                {
                    T* v = X + ((long)r * Heads + h) * HeadDim;
                    for (int i = 0; i < half; i++)
                    {
                        T a = v[i], b = v[i + half], si = Inverse ? -s[i] : s[i];
                        v[i] = a * c[i] - b * si;
                        v[i + half] = b * c[i] + a * si;
                    }
                }
            }
        }
    }
}
