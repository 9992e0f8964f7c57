using SharpLM.Kernels;
using SharpLM.Tensors;

namespace SharpLM.Models.Gemma3;

/// <summary>
/// One running sequence: a KV cache, scratch activations, and the forward pass (spec §1). Tokens are fed
/// with <see cref="Forward"/> in any number of calls; each call continues at <see cref="Position"/>.
/// Prompts are processed in chunks of <see cref="ChunkSize"/> tokens with matrix-matrix products.
/// Not thread-safe; the kernels inside use <see cref="KernelThreads.Count"/> threads.
/// </summary>
/// <remarks>
/// Shapes: C tokens in a chunk, H hidden, nH·d query width, nKV·d key/value width, I MLP width, V vocabulary.
/// </remarks>
public sealed class Gemma3Session : IDisposable
{
    public const int DefaultChunkSize = 64;

    readonly Gemma3Model _model;
    readonly Gemma3Config _c;
    readonly KvCache _cache;
    readonly float _embedScale;
    readonly float[] _localInvFreq, _globalInvFreq;

    // Activations for one chunk.
    readonly float[] _x, _a, _q, _k, _v, _att, _o, _gate, _up, _cosL, _sinL, _cosG, _sinG;

    /// <summary>Tokens already processed (the next token's position).</summary>
    public int Position { get; private set; }
    public int ContextLength => _cache.ContextLength;
    public int ChunkSize { get; }
    public KvCache Cache => _cache;
    public Gemma3Model Model => _model;

    internal Gemma3Session(Gemma3Model model, int contextLength, EmbedScaleMode embedScale, int chunkSize = DefaultChunkSize)
    {
        _model = model;
        _c = model.Config;
        _cache = new KvCache(_c, contextLength);
        _embedScale = _c.EmbedScale(embedScale);
        ChunkSize = Math.Max(1, Math.Min(chunkSize, contextLength));
        int C = ChunkSize, H = _c.HiddenSize, half = _c.HeadDim / 2;
        _x = new float[C * H];
        _a = new float[C * H];
        _o = new float[C * H];
        _q = new float[C * _c.QueryWidth];
        _att = new float[C * _c.QueryWidth];
        _k = new float[C * _c.KvWidth];
        _v = new float[C * _c.KvWidth];
        _gate = new float[C * _c.IntermediateSize];
        _up = new float[C * _c.IntermediateSize];
        _cosL = new float[C * half]; _sinL = new float[C * half];
        _cosG = new float[C * half]; _sinG = new float[C * half];
        _localInvFreq = Rope.InverseFrequencies(_c.HeadDim, _c.RopeLocalBase, _c.RopeLocalScale);
        _globalInvFreq = Rope.InverseFrequencies(_c.HeadDim, _c.RopeGlobalBase, _c.RopeGlobalScale);
    }

    /// <summary>Forgets every position (the cache is overwritten from position 0 on).</summary>
    public void Reset() => Position = 0;

    /// <summary>
    /// Runs <paramref name="tokens"/> at positions <see cref="Position"/>… and writes logits: for every
    /// token ([T, V], <paramref name="allPositions"/>) or for the last one only ([V]). An empty
    /// <paramref name="logits"/> skips the head (prefill whose logits are not needed).
    /// </summary>
    public void Forward(ReadOnlySpan<int> tokens, Span<float> logits, bool allPositions = false)
    {
        int V = _c.VocabSize;
        if (tokens.Length == 0) throw new ArgumentException("no tokens to run", nameof(tokens));
        if (Position + tokens.Length > ContextLength)
            throw new InvalidOperationException($"context full: {Position} + {tokens.Length} tokens exceed the session's {ContextLength} positions");
        if (!logits.IsEmpty && logits.Length != (allPositions ? (long)tokens.Length * V : V))
            throw new ArgumentException($"logits must hold {(allPositions ? $"{tokens.Length} × {V}" : $"{V}")} values", nameof(logits));
        foreach (int t in tokens)
            if ((uint)t >= (uint)V) throw new ArgumentOutOfRangeException(nameof(tokens), t, $"token id outside the model's {V} embedding rows");

        for (int start = 0; start < tokens.Length; start += ChunkSize)
        {
            int n = Math.Min(ChunkSize, tokens.Length - start);
            bool last = start + n == tokens.Length;
            Span<float> chunkLogits = logits.IsEmpty ? default
                : allPositions ? logits.Slice(start * V, n * V)
                : last ? logits : default;
            RunChunk(tokens.Slice(start, n), chunkLogits, allPositions);
        }
    }

    unsafe void RunChunk(ReadOnlySpan<int> tokens, Span<float> logits, bool allPositions)
    {
        var c = _c;
        var w = _model.Weights;
        int C = tokens.Length, H = c.HiddenSize, d = c.HeadDim, half = d / 2;
        int qW = c.QueryWidth, kvW = c.KvWidth, I = c.IntermediateSize;
        int p = Position;
        var x = _x.AsSpan(0, C * H);

        // §1.1 embedding × sqrt(H)
        var emb = w.Embedding;
        for (int t = 0; t < C; t++)
        {
            var xt = x.Slice(t * H, H);
            RowDecode.Decode(emb.Type, emb.Data + tokens[t] * emb.RowBytes, xt);
            Dot.Scale(xt, _embedScale, xt);
        }
        // §1.5 RoPE angles for this chunk's absolute positions, per layer kind.
        for (int t = 0; t < C; t++)
        {
            Rope.Angles(p + t, _localInvFreq, _cosL.AsSpan(t * half, half), _sinL.AsSpan(t * half, half));
            Rope.Angles(p + t, _globalInvFreq, _cosG.AsSpan(t * half, half), _sinG.AsSpan(t * half, half));
        }

        for (int l = 0; l < c.NumLayers; l++)
        {
            var lw = w.Layers[l];
            bool global = c.IsGlobal(l);
            var cos = global ? _cosG : _cosL;
            var sin = global ? _sinG : _sinL;

            // §1.3 attention branch: pre-norm, attention, post-norm, residual.
            var a = _a.AsSpan(0, C * H);
            for (int t = 0; t < C; t++) RmsNorm.Apply(x.Slice(t * H, H), lw.InputNorm, c.RmsNormEps, a.Slice(t * H, H));
            MatMul.MatMat(lw.Q, a, C, _q.AsSpan(0, C * qW));
            MatMul.MatMat(lw.K, a, C, _k.AsSpan(0, C * kvW));
            MatMul.MatMat(lw.V, a, C, _v.AsSpan(0, C * kvW));
            for (int t = 0; t < C; t++)
            {
                // §1.4 QK-norm per head, then RoPE.
                var qt = _q.AsSpan(t * qW, qW);
                var kt = _k.AsSpan(t * kvW, kvW);
                RmsNorm.ApplyEach(qt, lw.QNorm, c.RmsNormEps);
                RmsNorm.ApplyEach(kt, lw.KNorm, c.RmsNormEps);
                Rope.Apply(qt, cos.AsSpan(t * half, half), sin.AsSpan(t * half, half));
                Rope.Apply(kt, cos.AsSpan(t * half, half), sin.AsSpan(t * half, half));
            }
            Attention.Run(c, _cache, l, p, C, _q, _k, _v, _att);
            for (int t = 0; t < C; t++)
            {
                _k.AsSpan(t * kvW, kvW).CopyTo(_cache.Key(l, p + t));
                _v.AsSpan(t * kvW, kvW).CopyTo(_cache.Value(l, p + t));
            }
            var o = _o.AsSpan(0, C * H);
            MatMul.MatMat(lw.O, _att.AsSpan(0, C * qW), C, o);
            for (int t = 0; t < C; t++)
            {
                var ot = o.Slice(t * H, H);
                RmsNorm.Apply(ot, lw.PostAttentionNorm, c.RmsNormEps, ot);
                Dot.Add(ot, x.Slice(t * H, H));
            }

            // §1.8 MLP branch: pre-norm, GeGLU, post-norm, residual.
            for (int t = 0; t < C; t++) RmsNorm.Apply(x.Slice(t * H, H), lw.PreFeedForwardNorm, c.RmsNormEps, a.Slice(t * H, H));
            var gate = _gate.AsSpan(0, C * I);
            var up = _up.AsSpan(0, C * I);
            MatMul.MatMat(lw.Gate, a, C, gate);
            MatMul.MatMat(lw.Up, a, C, up);
            Gelu.GeGlu(gate, up, gate);
            MatMul.MatMat(lw.Down, gate, C, o);
            for (int t = 0; t < C; t++)
            {
                var ot = o.Slice(t * H, H);
                RmsNorm.Apply(ot, lw.PostFeedForwardNorm, c.RmsNormEps, ot);
                Dot.Add(ot, x.Slice(t * H, H));
            }
        }
        Position = p + C;

        // §1.9 final norm and tied head over all V rows.
        if (logits.IsEmpty) return;
        if (allPositions)
        {
            var a = _a.AsSpan(0, C * H);
            for (int t = 0; t < C; t++) RmsNorm.Apply(x.Slice(t * H, H), w.FinalNorm, c.RmsNormEps, a.Slice(t * H, H));
            MatMul.MatMat(w.Head, a, C, logits);
        }
        else
        {
            var a = _a.AsSpan(0, H);
            RmsNorm.Apply(x.Slice((C - 1) * H, H), w.FinalNorm, c.RmsNormEps, a);
            MatMul.MatVec(w.Head, a, logits);
        }
    }

    public void Dispose() { }
}
