using System.Numerics;
using SharpLM.Kernels.Training;
using SharpLM.Models.Gemma3;
using SharpLM.Training.Ops;
using Attention = SharpLM.Training.Ops.Attention;

namespace SharpLM.Training;

/// <summary>
/// Gemma 3 for training (spec §1): flat parameter and gradient arenas, a forward that reads like the block
/// diagram and a backward that is the same list reversed. Generic over the element type so the very same
/// code runs in float (training) and double (finite-difference tests).
/// </summary>
/// <remarks>
/// Conventions (llm.c): parameter gradients accumulate (<c>+=</c>) so micro-batches add up until
/// <see cref="ZeroGradients"/> (after which a weight matrix's first GEMM overwrites); activation gradients are overwritten, except the running residual gradient.
/// Letters: B batch, T sequence, N = B·T rows, H hidden, I MLP width, V vocabulary, nH/nKV heads, d head dim.
/// </remarks>
public sealed unsafe class Gemma3TrainingModel<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    readonly bool _ownsWorkers;
    readonly GemmPackedB<T> _embedTransposed = new();
    TrainingActivations<T>? _acts;

    public Gemma3Config Config { get; }
    public ParameterLayout Layout { get; }
    public NativeArray<T> Parameters { get; }
    public NativeArray<T> Gradients { get; }
    public Workers Workers { get; }
    /// <summary>sqrt(H), rounded as <see cref="EmbedScaleMode"/> says (bf16 by default, spec §1.1).</summary>
    public T EmbedScale { get; }

    public Gemma3TrainingModel(Gemma3Config config, Workers? workers = null, EmbedScaleMode embedScale = EmbedScaleMode.Bf16)
    {
        config.Validate("model config");
        Config = config;
        Layout = new ParameterLayout(config);
        Parameters = new NativeArray<T>(Layout.Count);
        Gradients = new NativeArray<T>(Layout.Count);
        _ownsWorkers = workers is null;
        Workers = workers ?? new Workers();
        EmbedScale = T.CreateTruncating(config.EmbedScale(embedScale));
        _gemmWritten = GemmWrittenGradients();
    }

    T* P(long offset) => Parameters.At(offset);
    T* G(long offset) => Gradients.At(offset);

    /// <summary>HF initialisation (spec §7): matrices and embedding ~ N(0, <paramref name="std"/>), norm offsets 0.</summary>
    public void InitializeWeights(ulong seed, double std = 0.02)
    {
        Parameters.Clear();
        ulong stream = 0;
        foreach (var t in Layout.Tensors)
        {
            stream++;
            if (t.Kind == ParameterKind.Norm) continue;
            var rng = DeterministicRandom.For(seed, stream); // per tensor, so adding tensors never shifts the others
            T* p = P(t.Offset);
            for (long i = 0; i < t.Count; i++) p[i] = T.CreateTruncating(rng.NextGaussian() * std);
        }
    }

    /// <summary>
    /// Whether <see cref="ZeroGradients"/> leaves the weight matrices' and the embedding's gradients to their first
    /// GEMM, which then overwrites instead of adding (default on; <c>SHARPLM_TRAIN_OVERWRITE_GRADS=0</c> clears everything, as
    /// in sessions 1–9). Same values either way (a GEMM's sum starts at +0, so adding it to a cleared +0 changes nothing).
    /// </summary>
    public bool OverwriteFirstGradients { get; set; } = Environment.GetEnvironmentVariable("SHARPLM_TRAIN_OVERWRITE_GRADS") != "0";

    /// <summary>True from <see cref="ZeroGradients"/> to the end of the next backward: the GEMM-written gradients still hold stale values to overwrite.</summary>
    bool _gradientsStale;
    /// <summary><see cref="GemmWrittenGradients"/>, worked out once (a step allocates nothing).</summary>
    readonly (long Offset, long Count)[] _gemmWritten;

    /// <summary>
    /// Starts a new sum of gradients. With <see cref="OverwriteFirstGradients"/>, only what no GEMM writes (norm vectors,
    /// layout padding: a few KB) is cleared here; the weight matrices' gradients (~80 % of all: 160 MB for small), written
    /// first by one GEMM each in the next backward, are overwritten there. That saves a single-threaded clear of all
    /// gradients per step and the first GEMM pass's reading of those zeros back from DRAM.
    /// </summary>
    public void ZeroGradients()
    {
        if (!OverwriteFirstGradients)
        {
            // Everything, with all workers (Optimization.ParallelClear; SHARPLM_ZERO_PARALLEL=0: one thread's memset).
            if (Gradients is NativeArray<float> g) Optimization.ParallelClear.Clear(Workers, g);
            else Gradients.Clear();
            _gradientsStale = false;
            return;
        }
        // The complement of the GEMM-written regions (sorted by offset: the arena's order), cleared piece by piece.
        long at = 0;
        foreach (var (offset, count) in _gemmWritten)
        {
            if (offset > at) new Span<T>(G(at), checked((int)(offset - at))).Clear();
            at = offset + count;
        }
        if (Layout.Count > at) new Span<T>(G(at), checked((int)(Layout.Count - at))).Clear();
        _gradientsStale = true;
    }

    /// <summary>
    /// The gradient regions the backward writes first with a GEMM, in arena order: the embedding (the head's first chunk;
    /// the embedding's own scatter-add comes after) and each block's [Wq; Wk; Wv], Wo, [Wgate; Wup], Wdown.
    /// </summary>
    (long Offset, long Count)[] GemmWrittenGradients()
    {
        var c = Config;
        long H = c.HiddenSize, I = c.IntermediateSize, qkv = c.QueryWidth + 2 * c.KvWidth;
        var regions = new List<(long, long)> { (Layout.Embedding, (long)c.VocabSize * H) };
        foreach (var w in Layout.Layers)
        {
            regions.Add((w.Q, qkv * H));
            regions.Add((w.O, H * c.QueryWidth));
            regions.Add((w.Gate, 2 * I * H));
            regions.Add((w.Down, H * I));
        }
        regions.Sort();
        return [.. regions];
    }

    /// <summary>The activation arena for (B, T), reallocated only when the shape changes.</summary>
    public TrainingActivations<T> ActivationsFor(int batch, int seqLen)
    {
        if (_acts is { } a && a.Batch == batch && a.SeqLen == seqLen) return a;
        _acts?.Dispose();
        _acts = null;
        return _acts = new TrainingActivations<T>(Config, batch, seqLen);
    }

    /// <summary>
    /// One micro-batch: forward, loss, backward. Gradients are added to <see cref="Gradients"/> with the loss
    /// seeded as dL/dloss_r = <paramref name="gradScale"/> for every target (1/(B·T·K) for the mean over K
    /// accumulated micro-batches). Returns the summed loss and the number of targets (−1 targets are ignored).
    /// </summary>
    public (double LossSum, int Count) ForwardBackward(ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets, int batch, int seqLen, double gradScale)
        => Run(inputs, targets, batch, seqLen, backward: true, gradScale);

    /// <summary>Forward and loss only (evaluation).</summary>
    public (double LossSum, int Count) Evaluate(ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets, int batch, int seqLen)
        => Run(inputs, targets, batch, seqLen, backward: false, 0);

    (double, int) Run(ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets, int batch, int seqLen, bool backward, double gradScale)
    {
        var a = ActivationsFor(batch, seqLen);
        int N = a.Rows;
        if (inputs.Length != N || targets.Length != N) throw new ArgumentException($"expected {N} inputs and targets");
        inputs.CopyTo(new Span<int>(a.Inputs, N));
        targets.CopyTo(new Span<int>(a.Targets, N));
        var c = Config;
        int H = c.HiddenSize, V = c.VocabSize;

        // ---- forward ----
        Embedding.Forward(Workers, a.Resid[0], a.Inputs, P(Layout.Embedding), N, H, V, EmbedScale);
        // Block 0's input norm; every later norm of the residual stream (the next block's input norm, the final
        // norm) is fused into the residual add before it (RmsNorm.ForwardAddNorm at the end of BlockForward).
        RmsNorm.Forward(Workers, a.Layers[0].Ln1, a.Layers[0].Ln1Rstd, a.Resid[0], P(Layout.Layers[0].InputNorm), N, H, c.RmsNormEps);
        for (int l = 0; l < c.NumLayers; l++) BlockForward(a, l);

        // ---- tied head + cross-entropy (its backward runs chunk by chunk inside) ----
        _embedTransposed.PackOnFirstUse(H, V, P(Layout.Embedding), H, transposed: true); // packed by the head's tiles as they first need it
        double loss = TiedHeadCrossEntropy.ForwardBackward(Workers, a.Lnf, a.Targets, P(Layout.Embedding), _embedTransposed,
            a.Logits, a.HeadChunk, a.RowLoss, backward ? a.DA : null, backward ? G(Layout.Embedding) : null, accumulateDe: !_gradientsStale,
            N, H, V, T.CreateTruncating(gradScale), out int count);
        if (!backward) return (loss, count);

        // ---- backward: the forward list reversed ----
        // final norm, then (same pass) the last block's post-feedforward norm: DA = its branch gradient
        int last = c.NumLayers - 1;
        RmsNorm.BackwardThen(Workers, a.DResid, G(Layout.FinalNorm), a.DA, a.Resid[c.NumLayers], a.LnfRstd, P(Layout.FinalNorm), accumulateDx: false,
            a.DA, G(Layout.Layers[last].PostFeedforwardNorm), a.Layers[last].FfnOut, a.Layers[last].PostFfnRstd, P(Layout.Layers[last].PostFeedforwardNorm), N, H);
        for (int l = c.NumLayers - 1; l >= 0; l--) BlockBackward(a, l);
        Embedding.Backward(Workers, G(Layout.Embedding), a.DResid, a.Inputs, N, H, EmbedScale);
        _gradientsStale = false; // every GEMM-written gradient has had its first write: later micro-batches add
        return (loss, count);
    }

    Attention.Shape AttentionShape(TrainingActivations<T> a, int layer) => TrainingActivations<T>.AttentionShape(Config, a.Batch, a.SeqLen, layer);

    void RopeTables(TrainingActivations<T> a, int layer, out T* cos, out T* sin)
    {
        bool global = Config.IsGlobal(layer);
        cos = global ? a.CosGlobal : a.CosLocal;
        sin = global ? a.SinGlobal : a.SinLocal;
    }

    /// <summary>One decoder block (spec §1.3): pre-norm → attention → post-norm → add; pre-norm → GeGLU MLP → post-norm → add.</summary>
    /// <remarks>
    /// q, k, v come from one GEMM against [Wq; Wk; Wv] and gate, up from one against [Wgate; Wup]: the arena stores
    /// those weights back to back (<see cref="ParameterLayout"/>), so the fused matrices are views, not copies.
    /// </remarks>
    void BlockForward(TrainingActivations<T> a, int l)
    {
        var c = Config;
        var w = Layout.Layers[l];
        ref var s = ref a.Layers[l];
        int N = a.Rows, H = c.HiddenSize, I = c.IntermediateSize, d = c.HeadDim, qW = c.QueryWidth, kvW = c.KvWidth, qkv = qW + 2 * kvW;
        double eps = c.RmsNormEps;
        RopeTables(a, l, out T* cos, out T* sin);
        T* x = a.Resid[l];
        var qk = new QkNormRope.Shape(N, a.SeqLen, c.NumHeads, c.NumKvHeads, d, qkv);

        // s.Ln1 = input_layernorm(h) is already there: the previous block's last add (or Run, for block 0) computed it.
        Linear.Forward(Workers, s.Qkv, s.Ln1, P(w.Q), N, H, qkv);                              // q | k | v = a·[Wq; Wk; Wv]ᵀ
        QkNormRope.Forward(Workers, s.Q, s.QRstd, s.K, s.KRstd, s.Qkv, P(w.QNorm), P(w.KNorm), cos, sin, qk, eps); // QK-norm, then RoPE
        var shape = AttentionShape(a, l);
        Attention.Forward(Workers, s.Att, s.Lse, s.Q, s.K, s.Qkv + qW + kvW, shape, s.Probs);  // causal (+ window) GQA
        Linear.Forward(Workers, s.AttProj, s.Att, P(w.O), N, qW, H);                           // o = att·Woᵀ
        RmsNorm.ForwardAddNorm(Workers, s.Mid, s.PostAttnRstd, s.AttProj, P(w.PostAttentionNorm), x,  // h = r + post_attention_layernorm(o)
            s.Ln2, s.Ln2Rstd, P(w.PreFeedforwardNorm), N, H, eps);                             // m = pre_feedforward_layernorm(h)
        Linear.Forward(Workers, s.GateUp, s.Ln2, P(w.Gate), N, H, 2 * I);                      // g | u = m·[Wgate; Wup]ᵀ
        GeGlu.Forward(Workers, a.Hidden, s.GateUp, N, I);                                       // gelu_tanh(g) ⊙ u
        Linear.Forward(Workers, s.FfnOut, a.Hidden, P(w.Down), N, I, H);                       // ·Wdownᵀ
        // h = r + post_feedforward_layernorm(m), then the next norm of h: the next block's input norm or the final norm
        bool lastBlock = l == c.NumLayers - 1;
        T* z = lastBlock ? a.Lnf : a.Layers[l + 1].Ln1, zRstd = lastBlock ? a.LnfRstd : a.Layers[l + 1].Ln1Rstd;
        T* zw = P(lastBlock ? Layout.FinalNorm : Layout.Layers[l + 1].InputNorm);
        RmsNorm.ForwardAddNorm(Workers, a.Resid[l + 1], s.PostFfnRstd, s.FfnOut, P(w.PostFeedforwardNorm), s.Mid, z, zRstd, zw, N, H, eps);
    }

    /// <summary>
    /// The block backward: <see cref="TrainingActivations{T}.DResid"/> holds dL/d(output) on entry and dL/d(input) on exit.
    /// On entry <see cref="TrainingActivations{T}.DA"/> already holds the post-feedforward norm's branch gradient
    /// dL/d(ffn_out) (that norm's backward ran fused with the norm backward before it); on exit, for l &gt; 0, it
    /// holds block l−1's.
    /// </summary>
    void BlockBackward(TrainingActivations<T> a, int l)
    {
        var c = Config;
        var w = Layout.Layers[l];
        ref var s = ref a.Layers[l];
        int N = a.Rows, H = c.HiddenSize, I = c.IntermediateSize, d = c.HeadDim, qW = c.QueryWidth, kvW = c.KvWidth, qkv = qW + 2 * kvW;
        RopeTables(a, l, out T* cos, out T* sin);
        T* dres = a.DResid;
        var qk = new QkNormRope.Shape(N, a.SeqLen, c.NumHeads, c.NumKvHeads, d, qkv);

        // MLP half: out = mid + post_ffn_norm(ffn_out); dres flows to mid unchanged and into the branch (DA, computed already).
        if (GeGlu.FusedBackward)                                                                // dHidden = DA·Wdown, GeGLU backward in its epilogue
            GeGlu.BackwardThroughDown(Workers, a.DGateUp, a.DA, P(w.Down), s.GateUp, N, I, H, h: a.Hidden);
        else
        {
            Linear.BackwardInput(Workers, a.DHidden, a.DA, P(w.Down), N, I, H, accumulate: false);
            GeGlu.Backward(Workers, a.DGateUp, a.DHidden, s.GateUp, N, I, h: a.Hidden);
        }                                                                                       // both also recompute gelu(g)⊙u (one arena for all layers)…
        bool accW = !_gradientsStale;                                                           // dW = on a step's first micro-batch, else +=
        Linear.BackwardWeight(Workers, G(w.Down), a.DA, a.Hidden, N, I, H, accW);               // …for dW_down
        Linear.Backward(Workers, a.DB, G(w.Gate), a.DGateUp, s.Ln2, P(w.Gate), N, H, 2 * I, accumulateDx: false, accW);
        // pre-ffn norm into dres, then the attention half's mid = x + post_attn_norm(att_proj): DA from dres, one pass
        RmsNorm.BackwardThen(Workers, dres, G(w.PreFeedforwardNorm), a.DB, s.Mid, s.Ln2Rstd, P(w.PreFeedforwardNorm), accumulateDx: true,
            a.DA, G(w.PostAttentionNorm), s.AttProj, s.PostAttnRstd, P(w.PostAttentionNorm), N, H);
        Linear.Backward(Workers, a.DAtt, G(w.O), a.DA, s.Att, P(w.O), N, qW, H, accumulateDx: false, accW);
        var shape = AttentionShape(a, l);
        Attention.Backward(Workers, a.DQ, a.DK, a.DQkv + qW + kvW, a.DAtt, s.Q, s.K, s.Qkv + qW + kvW, s.Att, s.Lse, shape, s.Probs);
        QkNormRope.Backward(Workers, a.DQkv, G(w.QNorm), G(w.KNorm), a.DQ, a.DK, s.Qkv, s.QRstd, s.KRstd, P(w.QNorm), P(w.KNorm), cos, sin, qk);
        Linear.Backward(Workers, a.DB, G(w.Q), a.DQkv, s.Ln1, P(w.Q), N, H, qkv, accumulateDx: false, accW);
        if (l == 0)
        {
            RmsNorm.Backward(Workers, dres, G(w.InputNorm), a.DB, a.Resid[l], s.Ln1Rstd, P(w.InputNorm), N, H, accumulateDx: true);
            return;
        }
        // input norm into dres, then block l−1's post-ffn norm: DA for the next BlockBackward, one pass
        var wp = Layout.Layers[l - 1];
        ref var sp = ref a.Layers[l - 1];
        RmsNorm.BackwardThen(Workers, dres, G(w.InputNorm), a.DB, a.Resid[l], s.Ln1Rstd, P(w.InputNorm), accumulateDx: true,
            a.DA, G(wp.PostFeedforwardNorm), sp.FfnOut, sp.PostFfnRstd, P(wp.PostFeedforwardNorm), N, H);
    }

    public void Dispose()
    {
        _acts?.Dispose();
        _embedTransposed.Dispose();
        Parameters.Dispose();
        Gradients.Dispose();
        if (_ownsWorkers) Workers.Dispose();
    }
}
