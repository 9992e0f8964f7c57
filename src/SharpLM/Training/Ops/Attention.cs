using System.Numerics;
using SharpLM.Kernels.Training;

namespace SharpLM.Training.Ops;

/// <summary>
/// Causal grouped-query attention with an optional sliding window (spec §1.4, §1.7), q and k already normed
/// and rotated. Only the per-row log-sum-exp is saved; the backward recomputes the probabilities, so no
/// T×T matrix is ever stored (the FlashAttention recipe, done one query row at a time). The blocked float path can
/// instead keep the causal blocks of P when they are small (<see cref="SavedProbabilities{T}"/>, off by default).
/// </summary>
/// <remarks>
/// Shapes: q, o, dq, do [B·T, nH·d]; k, dk [B·T, nKV·d]; v, dv rows of nKV·d values <see cref="Shape.VStride"/> apart; lse [B, nH, T].
/// Query i (position within its sequence) sees key j iff j ≤ i and i − j &lt; W (W = int.MaxValue for global
/// layers). Query head h reads KV head h / (nH / nKV).
/// Forward:  s_j = c·q_i·k_j (c = query_pre_attn_scalar^−½);  p = softmax(s);  o_i = Σ_j p_j v_j;  lse_i = log Σ_j exp s_j.
/// Backward: p_j = exp(s_j − lse_i);  dv_j += p_j·do_i;  dp_j = do_i·v_j;  D_i = do_i·o_i = Σ_j p_j dp_j;
///           ds_j = p_j(dp_j − D_i);  dq_i = c·Σ_j ds_j k_j;  dk_j += c·ds_j·q_i.
/// Forward tasks are (b, h); backward tasks are (b, kv-head) so each owns its dk/dv rows outright.
/// </remarks>
public static unsafe class Attention
{
    /// <summary>Tests run the per-row reference even where the blocked float path applies (per calling thread).</summary>
    [ThreadStatic] internal static bool ForceReference;

    public struct Shape
    {
        public int Batch, SeqLen, Heads, KvHeads, HeadDim, Window;
        public double Scale;
        /// <summary>Row stride of v and dv (they may live inside the fused q|k|v rows); 0 means nKV·d.</summary>
        public int VStride;
        public readonly int QWidth => Heads * HeadDim;
        public readonly int KvWidth => KvHeads * HeadDim;
        public readonly int VRow => VStride > 0 ? VStride : KvWidth;
        public readonly int Group => Heads / KvHeads;
    }

    /// <summary>
    /// Elements of the probabilities buffer that <see cref="Forward{T}"/> may fill for <see cref="Backward{T}"/> (the
    /// blocked float path saves P when it is small enough; see <see cref="AttentionBlocked.SavedProbabilityFloats"/>);
    /// 0 when the backward recomputes them.
    /// </summary>
    public static long SavedProbabilities<T>(in Shape s) => AttentionBlocked.Applies<T>(s) ? AttentionBlocked.SavedProbabilityFloats(s) : 0;

    /// <param name="probs">null, or <see cref="SavedProbabilities{T}"/> elements (not 0) that receive the probabilities for <see cref="Backward{T}"/>.</param>
    public static void Forward<T>(Workers workers, T* o, T* lse, T* q, T* k, T* v, in Shape s, T* probs = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (AttentionBlocked.Applies<T>(s) && !ForceReference)
        {
            AttentionBlocked.Forward(workers, (float*)o, (float*)lse, (float*)q, (float*)k, (float*)v, s, (float*)probs);
            return;
        }
        var job = workers.Shared<ForwardJob<T>>();
        job.O = o; job.Lse = lse; job.Q = q; job.K = k; job.V = v; job.S = s;
        job.Scores = workers.Shared<Scratch<T>>().Get((long)workers.Count * s.SeqLen);
        workers.For(job, s.Batch * s.Heads);
    }

    sealed class ForwardJob<T> : ParallelJob where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* O, Lse, Q, K, V, Scores;
        public Shape S;

        public override void Run(int index, int worker)
        {
            Shape s = S;
            int b = index / s.Heads, h = index % s.Heads, kvh = h / s.Group, d = s.HeadDim;
            T* scores = Scores + (long)worker * s.SeqLen;
            T scale = T.CreateTruncating(s.Scale);
            for (int i = 0; i < s.SeqLen; i++)
            {
                long row = (long)b * s.SeqLen + i;
                T* qi = Q + row * s.QWidth + h * d;
                int lo = Math.Max(0, i - s.Window + 1), len = i - lo + 1;
                for (int j = 0; j < len; j++)
                    scores[j] = scale * Vec.Dot(qi, K + ((long)b * s.SeqLen + lo + j) * s.KvWidth + kvh * d, d);
                T max = Vec.Max(scores, len);
                double sum = Vec.ExpShiftSum(scores, max, len);
                T inv = T.CreateTruncating(1.0 / sum);
                T* oi = O + row * s.QWidth + h * d;
                for (int c = 0; c < d; c++) oi[c] = T.Zero;
                for (int j = 0; j < len; j++)
                    Vec.Axpy(scores[j] * inv, V + ((long)b * s.SeqLen + lo + j) * s.VRow + kvh * d, oi, d);
                Lse[((long)b * s.Heads + h) * s.SeqLen + i] = max + T.CreateTruncating(Math.Log(sum));
            }
        }
    }

    /// <summary>dq, dk, dv are overwritten.</summary>
    /// <param name="probs">The probabilities <see cref="Forward{T}"/> saved (the same buffer, same q, k, lse), or null.</param>
    public static void Backward<T>(Workers workers, T* dq, T* dk, T* dv, T* dout, T* q, T* k, T* v, T* o, T* lse, in Shape s, T* probs = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (AttentionBlocked.Applies<T>(s) && !ForceReference)
        {
            AttentionBlocked.Backward(workers, (float*)dq, (float*)dk, (float*)dv, (float*)dout, (float*)q, (float*)k, (float*)v, (float*)o, (float*)lse, s, (float*)probs);
            return;
        }
        var job = workers.Shared<BackwardJob<T>>();
        job.Dq = dq; job.Dk = dk; job.Dv = dv; job.Do = dout; job.Q = q; job.K = k; job.V = v; job.O = o; job.Lse = lse; job.S = s;
        workers.For(job, s.Batch * s.KvHeads);
    }

    sealed class BackwardJob<T> : ParallelJob where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T* Dq, Dk, Dv, Do, Q, K, V, O, Lse;
        public Shape S;

        public override void Run(int index, int worker)
        {
            Shape s = S;
            int b = index / s.KvHeads, kvh = index % s.KvHeads, d = s.HeadDim;
            T scale = T.CreateTruncating(s.Scale);
            long baseRow = (long)b * s.SeqLen;
            for (int j = 0; j < s.SeqLen; j++)
            {
                T* dkj = Dk + (baseRow + j) * s.KvWidth + kvh * d, dvj = Dv + (baseRow + j) * s.VRow + kvh * d;
                for (int c = 0; c < d; c++) { dkj[c] = T.Zero; dvj[c] = T.Zero; }
            }
            for (int h = kvh * s.Group; h < (kvh + 1) * s.Group; h++)
            {
                for (int i = 0; i < s.SeqLen; i++)
                {
                    long row = baseRow + i;
                    T* qi = Q + row * s.QWidth + h * d, doi = Do + row * s.QWidth + h * d, oi = O + row * s.QWidth + h * d;
                    T* dqi = Dq + row * s.QWidth + h * d;
                    int lo = Math.Max(0, i - s.Window + 1), len = i - lo + 1;
                    T l = Lse[((long)b * s.Heads + h) * s.SeqLen + i];
                    T di = Vec.Dot(doi, oi, d);
                    for (int c = 0; c < d; c++) dqi[c] = T.Zero;
                    for (int j = 0; j < len; j++)
                    {
                        long kr = (baseRow + lo + j) * s.KvWidth + kvh * d, vr = (baseRow + lo + j) * s.VRow + kvh * d;
                        T pj = T.Exp(scale * Vec.Dot(qi, K + kr, d) - l);
                        T dp = Vec.Dot(doi, V + vr, d);
                        T ds = pj * (dp - di) * scale;
                        Vec.Axpy(pj, doi, Dv + vr, d);
                        Vec.Axpy(ds, K + kr, dqi, d);
                        Vec.Axpy(ds, qi, Dk + kr, d);
                    }
                }
            }
        }
    }
}
