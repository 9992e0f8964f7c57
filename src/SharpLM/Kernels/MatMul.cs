using SharpLM.Tensors;

namespace SharpLM.Kernels;

/// <summary>
/// Matrix products against a stored weight matrix W [Rows, Cols] (any <see cref="TensorType"/>), in f32.
/// <see cref="MatVec"/> is decode's y = W·x; <see cref="MatMul"/> is prefill's Y = X·Wᵀ for a chunk of
/// t tokens, which decodes each weight row once and reuses it for all t tokens. Both split the rows over
/// <see cref="KernelThreads.Count"/> threads. These are the entry points model code calls; the loops
/// behind them may change, the signatures not.
/// </summary>
public static unsafe class MatMul
{
    /// <summary>Below this many multiply-adds a call runs on the calling thread only.</summary>
    const long ParallelThreshold = 1 << 15;

    /// <summary>y[Rows] = W · x[Cols].</summary>
    public static void MatVec(in WeightMatrix w, ReadOnlySpan<float> x, Span<float> y)
    {
        if (x.Length != w.Cols || y.Length != w.Rows)
            throw new ArgumentException($"MatVec: W is [{w.Rows}, {w.Cols}], x has {x.Length}, y has {y.Length}");
        fixed (float* px = x)
        fixed (float* py = y)
        {
            var m = w;
            float* xp = px, yp = py;
            int parts = Parts(m.Rows, (long)m.Rows * m.Cols);
            if (parts == 1)
            {
                RowsVec(m, xp, yp, 0, m.Rows);
                return;
            }
            int chunk = (m.Rows + parts - 1) / parts;
            Parallel.For(0, parts, KernelThreads.Options(parts), p =>
            {
                int lo = p * chunk, hi = Math.Min(m.Rows, lo + chunk);
                if (lo < hi) RowsVec(m, xp, yp, lo, hi);
            });
        }
    }

    static void RowsVec(WeightMatrix w, float* x, float* y, int lo, int hi)
    {
        byte* row = w.Data + lo * w.RowBytes;
        for (int r = lo; r < hi; r++, row += w.RowBytes)
            y[r] = RowDot.Compute(w.Type, row, x, w.Cols);
    }

    /// <summary>
    /// y[t, Rows] = x[t, Cols] · Wᵀ (row i of y is W · row i of x). (TEAM.md calls this <c>MatMul.MatMul</c>;
    /// C# forbids a method named like its class, hence <c>MatMat</c>.)
    /// </summary>
    public static void MatMat(in WeightMatrix w, ReadOnlySpan<float> x, int t, Span<float> y)
    {
        if (t < 0 || x.Length != (long)t * w.Cols || y.Length != (long)t * w.Rows)
            throw new ArgumentException($"MatMat: W is [{w.Rows}, {w.Cols}], t = {t}, x has {x.Length}, y has {y.Length}");
        if (t == 0) return;
        if (t == 1)
        {
            MatVec(w, x, y);
            return;
        }
        fixed (float* px = x)
        fixed (float* py = y)
        {
            var m = w;
            float* xp = px, yp = py;
            int parts = Parts(m.Rows, (long)m.Rows * m.Cols * t);
            // Chunks of rows small enough that threads share the work evenly.
            int chunk = Math.Max(1, (m.Rows + parts * 4 - 1) / (parts * 4));
            int chunks = (m.Rows + chunk - 1) / chunk;
            if (parts == 1)
            {
                RowsMat(m, xp, t, yp, 0, m.Rows);
                return;
            }
            Parallel.For(0, chunks, KernelThreads.Options(parts), c =>
            {
                int lo = c * chunk, hi = Math.Min(m.Rows, lo + chunk);
                RowsMat(m, xp, t, yp, lo, hi);
            });
        }
    }

    [ThreadStatic] static float[]? t_row;

    static void RowsMat(WeightMatrix w, float* x, int t, float* y, int lo, int hi)
    {
        int n = w.Cols;
        if (w.Type == TensorType.F32)
        {
            for (int r = lo; r < hi; r++)
            {
                var row = new ReadOnlySpan<float>(w.Data + r * w.RowBytes, n);
                for (int i = 0; i < t; i++) y[(long)i * w.Rows + r] = Dot.Compute(row, new ReadOnlySpan<float>(x + (long)i * n, n));
            }
            return;
        }
        var buf = t_row is { } b && b.Length >= n ? b : t_row = new float[n];
        fixed (float* pr = buf)
        {
            for (int r = lo; r < hi; r++)
            {
                RowDecode.Decode(w.Type, w.Data + r * w.RowBytes, buf.AsSpan(0, n));
                var row = new ReadOnlySpan<float>(pr, n);
                for (int i = 0; i < t; i++) y[(long)i * w.Rows + r] = Dot.Compute(row, new ReadOnlySpan<float>(x + (long)i * n, n));
            }
        }
    }

    static int Parts(int rows, long work)
    {
        int threads = KernelThreads.Count;
        if (threads == 1 || work < ParallelThreshold || rows < 2) return 1;
        return Math.Min(threads, rows);
    }
}
