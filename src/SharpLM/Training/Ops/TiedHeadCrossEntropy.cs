using System.Numerics;
using System.Runtime.CompilerServices;
using SharpLM.Kernels.Training;

namespace SharpLM.Training.Ops;

/// <summary>
/// The tied LM head and next-token cross-entropy, fused and chunked over rows (spec §1.9): logits = x·Eᵀ
/// with the embedding matrix E, loss_r = logsumexp(logits_r) − logits_r[target_r]. The full [N, V] logits
/// never exist: each chunk of rows computes its logits, its loss, and at once its backward.
/// </summary>
/// <remarks>
/// Shapes: x, dx [N, H] (the final-normed hidden states); E, dE [V, H]; targets [N] (−1 = ignored);
/// logits scratch [rows per chunk, V].
/// Backward (seeded with dloss_r = gradScale, e.g. 1/(B·T)): dlogits_r = gradScale·(softmax(logits_r) − onehot(target_r));
/// dx_r = dlogits_r·E (=);  dE += dlogitsᵀ·x — the head's share of the tied embedding's gradient.
/// </remarks>
public static unsafe class TiedHeadCrossEntropy
{
    /// <summary>Rows per chunk so that the logits scratch stays near <paramref name="budgetElements"/>.</summary>
    public static int ChunkRows(int n, int vocab, long budgetElements = 16L << 20) =>
        (int)Math.Clamp(budgetElements / vocab, 64, Math.Max(64, n));

    /// <summary>
    /// Returns Σ_r loss_r over rows with a target (in double, summed in row order) and their count. With
    /// <paramref name="dx"/> and <paramref name="de"/> null it only evaluates.
    /// </summary>
    /// <param name="eTransposed">Eᵀ packed once per step (E changes only at the optimizer update).</param>
    /// <param name="rowLoss">[N] per-row losses (scratch).</param>
    public static double ForwardBackward<T>(Workers workers, T* x, int* targets, T* e, GemmPackedB<T> eTransposed,
        T* logits, int chunkRows, double* rowLoss, T* dx, T* de, int n, int hidden, int vocab, T gradScale, out int counted)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ForwardBackward(workers, x, targets, e, eTransposed, logits, chunkRows, rowLoss, dx, de, accumulateDe: true, n, hidden, vocab, gradScale, out counted);

    /// <param name="accumulateDe">False: the first chunk overwrites <paramref name="de"/> (dE = …) instead of adding to it; later chunks add.</param>
    public static double ForwardBackward<T>(Workers workers, T* x, int* targets, T* e, GemmPackedB<T> eTransposed,
        T* logits, int chunkRows, double* rowLoss, T* dx, T* de, bool accumulateDe, int n, int hidden, int vocab, T gradScale, out int counted)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (eTransposed.K != hidden || eTransposed.N != vocab) throw new ArgumentException("packed Eᵀ has the wrong shape", nameof(eTransposed));
        bool backward = dx != null || de != null;
        for (int r0 = 0; r0 < n; r0 += chunkRows)
        {
            int rc = Math.Min(chunkRows, n - r0);
            T* xc = x + (long)r0 * hidden;
            Gemm.Multiply(workers, rc, xc, hidden, false, eTransposed, logits, vocab, false);
            CrossEntropyRows(workers, logits, targets + r0, rowLoss + r0, rc, vocab, gradScale, backward);
            if (!backward) continue;
            if (dx != null)
                Gemm.Multiply(workers, rc, hidden, vocab, logits, vocab, false, e, hidden, false, dx + (long)r0 * hidden, hidden, false);
            if (de != null)
                Gemm.Multiply(workers, vocab, hidden, rc, logits, vocab, true, xc, hidden, false, de, hidden, accumulateDe || r0 > 0);
        }
        double sum = 0;
        counted = 0;
        for (int r = 0; r < n; r++)
            if (targets[r] >= 0) { sum += rowLoss[r]; counted++; }
        return sum;
    }

    /// <summary>
    /// Whether the float softmax rows take <see cref="RowsPerTask"/> rows per task and fetch each task's next row into the
    /// cache while the current one computes its exp (the logits come from DRAM: the row max pass otherwise waits on
    /// them), with the row max in 512-bit vectors where AVX-512 is present. The same values either way (the max is exact;
    /// only prefetches are added). SHARPLM_HEAD_SOFTMAX_PREFETCH=0: a row per task without prefetch (A/B).
    /// </summary>
    internal static bool PrefetchRows { get; set; } = Environment.GetEnvironmentVariable("SHARPLM_HEAD_SOFTMAX_PREFETCH") != "0";

    const int RowsPerTask = 8;

    /// <summary>
    /// Loss and (with <paramref name="backward"/>) dlogits of <paramref name="rows"/> rows of logits in place: the row work
    /// between the head's GEMMs.
    /// </summary>
    internal static void CrossEntropyRows<T>(Workers workers, T* logits, int* targets, double* rowLoss, int rows, int vocab, T gradScale, bool backward)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var job = workers.Shared<SoftmaxJob<T>>();
        job.Logits = logits; job.Targets = targets; job.RowLoss = rowLoss; job.Vocab = vocab; job.Rows = rows;
        job.GradScale = gradScale; job.Backward = backward;
        job.Chunk = typeof(T) == typeof(float) && (Vec.Use512 || Vec.On256) && PrefetchRows ? RowsPerTask : 1;
        workers.For(job, (rows + job.Chunk - 1) / job.Chunk);
    }

    sealed class SoftmaxJob<T> : ParallelJob where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* Logits;
        public int* Targets;
        public double* RowLoss;
        public int Vocab, Rows, Chunk;
        public T GradScale;
        public bool Backward;

        public override void Run(int index, int worker)
        {
            for (int r = index * Chunk, end = Math.Min(Rows, r + Chunk); r < end; r++)
                Row(r, Chunk > 1 && r + 1 < end ? Logits + (long)(r + 1) * Vocab : null);
        }

        /// <param name="next">The row to fetch into the cache during this one's exp pass (float only), or null.</param>
        void Row(int r, T* next)
        {
            T* z = Logits + (long)r * Vocab;
            int target = Targets[r];
            if (target < 0)
            {
                RowLoss[r] = 0;
                if (Backward) for (int j = 0; j < Vocab; j++) z[j] = T.Zero;
                return;
            }
            if (target >= Vocab) throw new ArgumentOutOfRangeException(nameof(Targets), $"target {target} is outside the vocabulary of {Vocab}");
            T max;
            double sum;
            if (Chunk > 1)
            {
                float m = Vec.MaxF((float*)z, Vocab);
                max = Unsafe.As<float, T>(ref m);
            }
            else max = Vec.Max(z, Vocab);
            T zt = z[target];
            sum = Vec.ExpShiftSum(z, max, Vocab, next); // z now holds exp(z − max)
            RowLoss[r] = Math.Log(sum) - double.CreateTruncating(zt - max);
            if (!Backward) return;
            Vec.Scale(T.CreateTruncating(1.0 / sum) * GradScale, z, z, Vocab);
            z[target] -= GradScale;
        }
    }
}
