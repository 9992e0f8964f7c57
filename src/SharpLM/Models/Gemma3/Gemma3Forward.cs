using SharpLM.Kernels;
using SharpLM.Tensors;

namespace SharpLM.Models.Gemma3;

/// <summary>
/// The decoder body (spec §1) over a block of rows that may belong to one sequence (a prefill chunk of
/// <see cref="Gemma3Session"/>) or to several (one new token each, a step of <see cref="Gemma3Batch"/>).
/// Every weight matrix is applied to all rows with one <see cref="MatMul.MatMat"/>, so N sequences decoding
/// together read the weights once; only attention looks at each sequence's own cache and position.
/// Holds the scratch activations for up to <see cref="MaxRows"/> rows; nothing is allocated per call.
/// </summary>
/// <remarks>
/// Shapes: R rows, H hidden, nH·d query width, nKV·d key/value width, I MLP width, V vocabulary.
/// </remarks>
internal sealed class Gemma3Forward
{
    readonly Gemma3Model _model;
    readonly Gemma3Config _c;
    readonly float _embedScale;
    readonly float[] _localInvFreq, _globalInvFreq;
    readonly Attention.Job[] _jobs;

    // Activations for up to MaxRows rows.
    readonly float[] _x, _a, _q, _k, _v, _att, _o, _gate, _up, _cosL, _sinL, _cosG, _sinG;

    public int MaxRows { get; }

    public Gemma3Forward(Gemma3Model model, EmbedScaleMode embedScale, int maxRows)
    {
        _model = model;
        _c = model.Config;
        _embedScale = _c.EmbedScale(embedScale);
        MaxRows = maxRows;
        int R = maxRows, H = _c.HiddenSize, half = _c.HeadDim / 2;
        _x = new float[R * H];
        _a = new float[R * H];
        _o = new float[R * H];
        _q = new float[R * _c.QueryWidth];
        _att = new float[R * _c.QueryWidth];
        _k = new float[R * _c.KvWidth];
        _v = new float[R * _c.KvWidth];
        _gate = new float[R * _c.IntermediateSize];
        _up = new float[R * _c.IntermediateSize];
        _cosL = new float[R * half]; _sinL = new float[R * half];
        _cosG = new float[R * half]; _sinG = new float[R * half];
        _jobs = new Attention.Job[R];
        _localInvFreq = Rope.InverseFrequencies(_c.HeadDim, _c.RopeLocalBase, _c.RopeLocalScale);
        _globalInvFreq = Rope.InverseFrequencies(_c.HeadDim, _c.RopeGlobalBase, _c.RopeGlobalScale);
    }

    /// <summary>
    /// Runs <paramref name="tokens"/> (one per row) through every layer, appending each row's key and value to
    /// its sequence's cache, and writes logits: for every row ([R, V], <paramref name="allRows"/>) or for the
    /// last row of each segment ([segments, V]). An empty <paramref name="logits"/> skips the head. Positions
    /// are the caller's to advance.
    /// </summary>
    public void Run(ReadOnlySpan<int> tokens, ReadOnlySpan<SequenceRows> segments, Span<float> logits, bool allRows)
    {
        var c = _c;
        var w = _model.Weights;
        int R = tokens.Length, H = c.HiddenSize, half = c.HeadDim / 2;
        int qW = c.QueryWidth, kvW = c.KvWidth, I = c.IntermediateSize;
        var x = _x.AsSpan(0, R * H);

        // §1.1 embedding × sqrt(H)
        var emb = w.Embedding;
        for (int t = 0; t < R; t++)
        {
            var xt = x.Slice(t * H, H);
            unsafe { RowDecode.Decode(emb.Type, emb.Data + tokens[t] * emb.RowBytes, xt); }
            Dot.Scale(xt, _embedScale, xt);
        }
        // §1.5 RoPE angles for each row's absolute position, per layer kind.
        foreach (var seg in segments)
            for (int t = seg.Row; t < seg.Row + seg.Count; t++)
            {
                int position = seg.Position + t - seg.Row;
                Rope.Angles(position, _localInvFreq, _cosL.AsSpan(t * half, half), _sinL.AsSpan(t * half, half));
                Rope.Angles(position, _globalInvFreq, _cosG.AsSpan(t * half, half), _sinG.AsSpan(t * half, half));
            }

        for (int l = 0; l < c.NumLayers; l++)
        {
            var lw = w.Layers[l];
            bool global = c.IsGlobal(l);
            var cos = global ? _cosG : _cosL;
            var sin = global ? _sinG : _sinL;

            // §1.3 attention branch: pre-norm, attention, post-norm, residual.
            var a = _a.AsSpan(0, R * H);
            for (int t = 0; t < R; t++) RmsNorm.Apply(x.Slice(t * H, H), lw.InputNorm, c.RmsNormEps, a.Slice(t * H, H));
            MatMul.MatMat(lw.Q, a, R, _q.AsSpan(0, R * qW));
            MatMul.MatMat(lw.K, a, R, _k.AsSpan(0, R * kvW));
            MatMul.MatMat(lw.V, a, R, _v.AsSpan(0, R * kvW));
            for (int t = 0; t < R; t++)
            {
                // §1.4 QK-norm per head, then RoPE.
                var qt = _q.AsSpan(t * qW, qW);
                var kt = _k.AsSpan(t * kvW, kvW);
                RmsNorm.ApplyEach(qt, lw.QNorm, c.RmsNormEps);
                RmsNorm.ApplyEach(kt, lw.KNorm, c.RmsNormEps);
                Rope.Apply(qt, cos.AsSpan(t * half, half), sin.AsSpan(t * half, half));
                Rope.Apply(kt, cos.AsSpan(t * half, half), sin.AsSpan(t * half, half));
            }
            Attention.Run(c, l, segments, _jobs, _q, _k, _v, _att);
            foreach (var seg in segments)
                for (int t = 0; t < seg.Count; t++)
                {
                    _k.AsSpan((seg.Row + t) * kvW, kvW).CopyTo(seg.Cache.Key(l, seg.Position + t));
                    _v.AsSpan((seg.Row + t) * kvW, kvW).CopyTo(seg.Cache.Value(l, seg.Position + t));
                }
            var o = _o.AsSpan(0, R * H);
            MatMul.MatMat(lw.O, _att.AsSpan(0, R * qW), R, o);
            for (int t = 0; t < R; t++)
            {
                var ot = o.Slice(t * H, H);
                RmsNorm.Apply(ot, lw.PostAttentionNorm, c.RmsNormEps, ot);
                Dot.Add(ot, x.Slice(t * H, H));
            }

            // §1.8 MLP branch: pre-norm, GeGLU, post-norm, residual.
            for (int t = 0; t < R; t++) RmsNorm.Apply(x.Slice(t * H, H), lw.PreFeedForwardNorm, c.RmsNormEps, a.Slice(t * H, H));
            var gate = _gate.AsSpan(0, R * I);
            var up = _up.AsSpan(0, R * I);
            MatMul.MatMat(lw.Gate, a, R, gate);
            MatMul.MatMat(lw.Up, a, R, up);
            Gelu.GeGlu(gate, up, gate);
            MatMul.MatMat(lw.Down, gate, R, o);
            for (int t = 0; t < R; t++)
            {
                var ot = o.Slice(t * H, H);
                RmsNorm.Apply(ot, lw.PostFeedForwardNorm, c.RmsNormEps, ot);
                Dot.Add(ot, x.Slice(t * H, H));
            }
        }

        // §1.9 final norm and tied head over all V rows.
        if (logits.IsEmpty) return;
        if (allRows)
        {
            var a = _a.AsSpan(0, R * H);
            for (int t = 0; t < R; t++) RmsNorm.Apply(x.Slice(t * H, H), w.FinalNorm, c.RmsNormEps, a.Slice(t * H, H));
            MatMul.MatMat(w.Head, a, R, logits);
        }
        else
        {
            int n = segments.Length;
            var a = _a.AsSpan(0, n * H);
            for (int s = 0; s < n; s++)
                RmsNorm.Apply(x.Slice((segments[s].Row + segments[s].Count - 1) * H, H), w.FinalNorm, c.RmsNormEps, a.Slice(s * H, H));
            MatMul.MatMat(w.Head, a, n, logits);
        }
    }
}
