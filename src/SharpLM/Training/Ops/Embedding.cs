using System.Numerics;
using SharpLM.Kernels.Training;

namespace SharpLM.Training.Ops;

/// <summary>
/// Token embedding with Gemma's scale (spec §1.1): h[t] = s·E[token[t]], s = sqrt(H) (bf16-rounded by default).
/// </summary>
/// <remarks>
/// Shapes: E, dE [V, H]; tokens [N]; h, dh [N, H].
/// Backward: dE[token[t]] += s·dh[t]. Tasks own column blocks of E and walk t in order, so repeated tokens
/// accumulate in a fixed order.
/// </remarks>
public static unsafe class Embedding
{
    const int ColumnsPerTask = 64;

    public static void Forward<T>(Workers workers, T* h, int* tokens, T* e, int n, int hidden, int vocab, T scale)
        where T : unmanaged, INumber<T>
    {
        for (int t = 0; t < n; t++)
            if ((uint)tokens[t] >= (uint)vocab)
                throw new ArgumentOutOfRangeException(nameof(tokens), $"token {tokens[t]} at position {t} is outside the vocabulary of {vocab}");
        var job = workers.Shared<ForwardJob<T>>();
        job.H = h; job.Tokens = tokens; job.E = e; job.Hidden = hidden; job.Scale = scale;
        workers.For(job, n);
    }

    sealed class ForwardJob<T> : ParallelJob where T : unmanaged, INumber<T>
    {
        public T* H, E;
        public int* Tokens;
        public int Hidden;
        public T Scale;

        public override void Run(int t, int worker) =>
            Vec.Scale(Scale, E + (long)Tokens[t] * Hidden, H + (long)t * Hidden, Hidden);
    }

    public static void Backward<T>(Workers workers, T* de, T* dh, int* tokens, int n, int hidden, T scale)
        where T : unmanaged, INumber<T>
    {
        var job = workers.Shared<BackwardJob<T>>();
        job.De = de; job.Dh = dh; job.Tokens = tokens; job.N = n; job.Hidden = hidden; job.Scale = scale;
        workers.For(job, (hidden + ColumnsPerTask - 1) / ColumnsPerTask);
    }

    sealed class BackwardJob<T> : ParallelJob where T : unmanaged, INumber<T>
    {
        public T* De, Dh;
        public int* Tokens;
        public int N, Hidden;
        public T Scale;

        public override void Run(int index, int worker)
        {
            int j0 = index * ColumnsPerTask, cols = Math.Min(ColumnsPerTask, Hidden - j0);
            for (int t = 0; t < N; t++)
                Vec.Axpy(Scale, Dh + (long)t * Hidden + j0, De + (long)Tokens[t] * Hidden + j0, cols);
        }
    }
}
