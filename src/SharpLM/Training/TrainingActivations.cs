using System.Numerics;
using SharpLM.Models.Gemma3;
using SharpLM.Training.Ops;

namespace SharpLM.Training;

/// <summary>
/// Everything one forward/backward at batch B × sequence T needs, carved from one arena at construction
/// (llm.c's ActivationTensors): per layer, what the backward reads; shared, the scratch and gradient buffers
/// reused by every layer. N = B·T rows; no T×T attention matrix is kept (see <see cref="Attention"/>).
/// </summary>
public sealed unsafe class TrainingActivations<T> : IDisposable where T : unmanaged, INumber<T>
{
    /// <summary>Saved tensors of one layer (shapes in the comments; qW = nH·d, kvW = nKV·d).</summary>
    public struct Layer
    {
        public T* Ln1, Ln1Rstd;           // [N,H], [N]   input_layernorm out
        public T* QRaw, QRstd, Q;         // [N,qW], [N·nH], [N,qW]   q_proj out, q_norm stats, normed+rotated
        public T* KRaw, KRstd, K;         // [N,kvW], [N·nKV], [N,kvW]
        public T* V;                      // [N,kvW]
        public T* Att, Lse;               // [N,qW], [B·nH·T]   attention out (o_proj input), row log-sum-exp
        public T* AttProj, PostAttnRstd;  // [N,H], [N]   o_proj out (post_attention_layernorm input)
        public T* Mid;                    // [N,H]   residual after the attention half
        public T* Ln2, Ln2Rstd;           // [N,H], [N]   pre_feedforward_layernorm out
        public T* Gate, Up;               // [N,I] each
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
    public T* Normed, Hidden;             // scratch [N,H] and [N,I] (gelu(gate)·up, recomputed in the backward)
    public T* DResid, DA, DB;             // [N,H] gradient buffers
    public T* DGate, DUp, DHidden;        // [N,I]
    public T* DQ, DK, DV, DAtt;           // [N,qW], [N,kvW], [N,kvW], [N,qW]
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

        long perLayer = N * H * 6 + N * 4 + N * c.NumHeads + N * c.NumKvHeads + N * qW * 3 + N * kvW * 3 + N * I * 2;
        long shared = (L + 1) * N * H + N * H * 2 + N + N * H + N * I + N * H * 3 + N * I * 3 + N * qW * 2 + N * kvW * 2
                    + (long)HeadChunk * c.VocabSize + 4L * seqLen * half;
        // each carve rounds up to 16 elements
        long total = L * (perLayer + 20 * 16) + shared + 40 * 16 + 16L * (L + 1);
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
            a.QRaw = Take(N * qW); a.QRstd = Take(N * c.NumHeads); a.Q = Take(N * qW);
            a.KRaw = Take(N * kvW); a.KRstd = Take(N * c.NumKvHeads); a.K = Take(N * kvW);
            a.V = Take(N * kvW);
            a.Att = Take(N * qW); a.Lse = Take(N * c.NumHeads);
            a.AttProj = Take(N * H); a.PostAttnRstd = Take(N);
            a.Mid = Take(N * H);
            a.Ln2 = Take(N * H); a.Ln2Rstd = Take(N);
            a.Gate = Take(N * I); a.Up = Take(N * I);
            a.FfnOut = Take(N * H); a.PostFfnRstd = Take(N);
        }
        Lnf = Take(N * H); LnfRstd = Take(N);
        Normed = Take(N * H); Hidden = Take(N * I);
        DResid = Take(N * H); DA = Take(N * H); DB = Take(N * H);
        DGate = Take(N * I); DUp = Take(N * I); DHidden = Take(N * I);
        DQ = Take(N * qW); DK = Take(N * kvW); DV = Take(N * kvW); DAtt = Take(N * qW);
        Logits = Take((long)HeadChunk * c.VocabSize);
        CosLocal = Take((long)seqLen * half); SinLocal = Take((long)seqLen * half);
        CosGlobal = Take((long)seqLen * half); SinGlobal = Take((long)seqLen * half);
        Rope.BuildTables(CosLocal, SinLocal, seqLen, c.HeadDim, c.RopeLocalBase, c.RopeLocalScale);
        Rope.BuildTables(CosGlobal, SinGlobal, seqLen, c.HeadDim, c.RopeGlobalBase, c.RopeGlobalScale);

        _tokens = new NativeArray<int>(2 * N);
        _rowLoss = new NativeArray<double>(N);
    }

    /// <summary>Arena bytes for a model of <paramref name="c"/> at (<paramref name="batch"/>, <paramref name="seqLen"/>), without allocating.</summary>
    public static long EstimateBytes(Gemma3Config c, int batch, int seqLen)
    {
        long N = (long)batch * seqLen, H = c.HiddenSize, I = c.IntermediateSize, qW = c.QueryWidth, kvW = c.KvWidth;
        long perLayer = N * H * 6 + N * 4 + N * c.NumHeads + N * c.NumKvHeads + N * qW * 3 + N * kvW * 3 + N * I * 2;
        long shared = (c.NumLayers + 1) * N * H + N * H * 5 + N * I * 4 + N * qW * 2 + N * kvW * 2
                    + (long)TiedHeadCrossEntropy.ChunkRows((int)Math.Min(N, int.MaxValue), c.VocabSize) * c.VocabSize;
        return (c.NumLayers * perLayer + shared) * sizeof(T) + N * 16;
    }

    public void Dispose()
    {
        _arena.Dispose();
        _tokens.Dispose();
        _rowLoss.Dispose();
    }
}
