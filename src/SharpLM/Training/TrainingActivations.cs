using System.Numerics;
using SharpLM.Models.Gemma3;
using SharpLM.Training.Ops;
using Attention = SharpLM.Training.Ops.Attention;

namespace SharpLM.Training;

/// <summary>
/// Everything one forward/backward at batch B × sequence T needs, carved from one arena at construction
/// (llm.c's ActivationTensors): per layer, what the backward reads; shared, the scratch and gradient buffers
/// reused by every layer. N = B·T rows; no T×T attention matrix is kept (see <see cref="Attention"/>).
/// </summary>
public sealed unsafe class TrainingActivations<T> : IDisposable where T : unmanaged, INumber<T>
{
    /// <summary>Saved tensors of one layer (shapes in the comments; qW = nH·d, kvW = nKV·d, qkv = qW + 2·kvW).</summary>
    public struct Layer
    {
        public T* Ln1, Ln1Rstd;           // [N,H], [N]   input_layernorm out
        public T* Qkv;                    // [N,qkv]      q_proj | k_proj | v_proj out, one fused projection
        public T* QRstd, Q;               // [N·nH], [N,qW]    q_norm stats, normed + rotated q
        public T* KRstd, K;               // [N·nKV], [N,kvW]
        public T* Att, Lse;               // [N,qW], [B·nH·T]   attention out (o_proj input), row log-sum-exp
        public T* Probs;                  // attention probabilities for the backward (Attention.SavedProbabilities), or null
        public T* AttProj, PostAttnRstd;  // [N,H], [N]   o_proj out (post_attention_layernorm input)
        public T* Mid;                    // [N,H]   residual after the attention half
        public T* Ln2, Ln2Rstd;           // [N,H], [N]   pre_feedforward_layernorm out
        public T* GateUp;                 // [N,2I]  gate_proj | up_proj out, one fused projection
        public T* FfnOut, PostFfnRstd;    // [N,H], [N]   down_proj out (post_feedforward_layernorm input)
    }

    readonly NativeArray<T> _arena;
    readonly NativeArray<int> _tokens;
    readonly NativeArray<double> _rowLoss;

    public int Batch { get; }
    public int SeqLen { get; }
    public int Rows => Batch * SeqLen;
    public Layer[] Layers { get; }
    /// <summary>Resid[l] is the input of layer l; Resid[L] feeds the final norm. [N,H] each.</summary>
    public T*[] Resid { get; }
    public T* Lnf, LnfRstd;               // [N,H], [N]
    public T* Hidden;                     // scratch [N,I] (gelu(gate)·up, recomputed in the backward)
    public T* DResid, DA, DB;             // [N,H] gradient buffers
    public T* DGateUp, DHidden;           // [N,2I], [N,I]
    public T* DQkv, DQ, DK, DAtt;         // [N,qkv], [N,qW], [N,kvW], [N,qW]
    public T* Logits;                     // [HeadChunk, V]
    public T* CosLocal, SinLocal, CosGlobal, SinGlobal; // [T, d/2]
    public int HeadChunk { get; }
    public int* Inputs => _tokens.Pointer;
    public int* Targets => _tokens.Pointer + Rows;
    public double* RowLoss => _rowLoss.Pointer;

    /// <summary>Bytes held by the arena.</summary>
    public long Bytes => _arena.Length * sizeof(T) + _tokens.Length * 4 + _rowLoss.Length * 8;

    public TrainingActivations(Gemma3Config c, int batch, int seqLen)
    {
        if (batch <= 0 || seqLen <= 0) throw new ArgumentOutOfRangeException(nameof(batch), "batch and sequence length must be positive");
        Batch = batch;
        SeqLen = seqLen;
        long N = (long)batch * seqLen, H = c.HiddenSize, I = c.IntermediateSize, qW = c.QueryWidth, kvW = c.KvWidth;
        int L = c.NumLayers, half = c.HeadDim / 2;
        HeadChunk = TiedHeadCrossEntropy.ChunkRows((int)N, c.VocabSize);

        long perLayer = PerLayer(c, N);
        long shared = Shared(c, N, HeadChunk) + 4L * seqLen * half;
        // each carve rounds up to 16 elements
        long total = L * (perLayer + 20 * 16) + shared + 40 * 16 + 16L * (L + 1) + SavedProbabilities(c, batch, seqLen);
        _arena = new NativeArray<T>(total);
        long at = 0;
        T* Take(long count)
        {
            T* p = _arena.At(at);
            at += (count + 15) / 16 * 16;
            if (at > _arena.Length) throw new InvalidOperationException("activation arena sized too small");
            return p;
        }

        Resid = new T*[L + 1];
        for (int l = 0; l <= L; l++) Resid[l] = Take(N * H);
        Layers = new Layer[L];
        for (int l = 0; l < L; l++)
        {
            ref var a = ref Layers[l];
            a.Ln1 = Take(N * H); a.Ln1Rstd = Take(N);
            a.Qkv = Take(N * (qW + 2 * kvW));
            a.QRstd = Take(N * c.NumHeads); a.Q = Take(N * qW);
            a.KRstd = Take(N * c.NumKvHeads); a.K = Take(N * kvW);
            a.Att = Take(N * qW); a.Lse = Take(N * c.NumHeads);
            long probs = Attention.SavedProbabilities<T>(AttentionShape(c, batch, seqLen, l));
            a.Probs = probs > 0 ? Take(probs) : null;
            a.AttProj = Take(N * H); a.PostAttnRstd = Take(N);
            a.Mid = Take(N * H);
            a.Ln2 = Take(N * H); a.Ln2Rstd = Take(N);
            a.GateUp = Take(N * 2 * I);
            a.FfnOut = Take(N * H); a.PostFfnRstd = Take(N);
        }
        Lnf = Take(N * H); LnfRstd = Take(N);
        Hidden = Take(N * I);
        DResid = Take(N * H); DA = Take(N * H); DB = Take(N * H);
        DGateUp = Take(N * 2 * I); DHidden = Take(N * I);
        DQkv = Take(N * (qW + 2 * kvW)); DQ = Take(N * qW); DK = Take(N * kvW); DAtt = Take(N * qW);
        Logits = Take((long)HeadChunk * c.VocabSize);
        CosLocal = Take((long)seqLen * half); SinLocal = Take((long)seqLen * half);
        CosGlobal = Take((long)seqLen * half); SinGlobal = Take((long)seqLen * half);
        Rope.BuildTables(CosLocal, SinLocal, seqLen, c.HeadDim, c.RopeLocalBase, c.RopeLocalScale);
        Rope.BuildTables(CosGlobal, SinGlobal, seqLen, c.HeadDim, c.RopeGlobalBase, c.RopeGlobalScale);

        _tokens = new NativeArray<int>(2 * N);
        _rowLoss = new NativeArray<double>(N);
    }

    /// <summary>Elements saved per layer: five [N,H] (ln1, att_proj, mid, ln2, ffn_out), four [N] stats, q|k|v, q, k, att, gate|up.</summary>
    static long PerLayer(Gemma3Config c, long N) =>
        N * c.HiddenSize * 5 + N * 4 + N * c.NumHeads * 2 + N * c.NumKvHeads
        + N * (c.QueryWidth + 2L * c.KvWidth) + N * c.QueryWidth * 2 + N * c.KvWidth + N * 2L * c.IntermediateSize;

    /// <summary>Elements shared by all layers: the residual stream per layer, final norm, scratch and gradient buffers, the head's logits chunk.</summary>
    static long Shared(Gemma3Config c, long N, int headChunk) =>
        (c.NumLayers + 1) * N * c.HiddenSize + N * c.HiddenSize * 4 + N + N * c.IntermediateSize * 4
        + N * (c.QueryWidth + 2L * c.KvWidth) + N * c.QueryWidth * 2 + N * c.KvWidth + (long)headChunk * c.VocabSize;

    /// <summary>Arena bytes for a model of <paramref name="c"/> at (<paramref name="batch"/>, <paramref name="seqLen"/>), without allocating.</summary>
    public static long EstimateBytes(Gemma3Config c, int batch, int seqLen)
    {
        long N = (long)batch * seqLen;
        int chunk = TiedHeadCrossEntropy.ChunkRows((int)Math.Min(N, int.MaxValue), c.VocabSize);
        return (c.NumLayers * PerLayer(c, N) + Shared(c, N, chunk) + SavedProbabilities(c, batch, seqLen)) * sizeof(T) + N * 16;
    }

    /// <summary>Layer <paramref name="layer"/>'s attention shape (the model's <c>AttentionShape</c> without the row stride of v, which sizes nothing).</summary>
    public static Attention.Shape AttentionShape(Gemma3Config c, int batch, int seqLen, int layer) => new()
    {
        Batch = batch, SeqLen = seqLen, Heads = c.NumHeads, KvHeads = c.NumKvHeads, HeadDim = c.HeadDim,
        VStride = c.QueryWidth + 2 * c.KvWidth,
        Window = c.IsGlobal(layer) ? int.MaxValue : c.SlidingWindow,
        Scale = 1.0 / Math.Sqrt(c.QueryPreAttnScalar),
    };

    /// <summary>Elements of saved attention probabilities over all layers (<see cref="Attention.SavedProbabilities{T}"/>, plus each carve's rounding).</summary>
    static long SavedProbabilities(Gemma3Config c, int batch, int seqLen)
    {
        long total = 0;
        for (int l = 0; l < c.NumLayers; l++)
        {
            long p = Attention.SavedProbabilities<T>(AttentionShape(c, batch, seqLen, l));
            if (p > 0) total += (p + 15) / 16 * 16;
        }
        return total;
    }

    public void Dispose()
    {
        _arena.Dispose();
        _tokens.Dispose();
        _rowLoss.Dispose();
    }
}
