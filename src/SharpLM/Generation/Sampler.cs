namespace SharpLM.Generation;

/// <summary>
/// Picks the next token from logits: masks ids the tokenizer cannot produce (rows ≥ its size, e.g. the
/// 64 padding rows of the multimodal checkpoints) and forbidden ids (<c>&lt;start_of_image&gt;</c>,
/// <c>&lt;end_of_image&gt;</c>), applies the repeat penalty, then either takes the argmax (temperature 0) or
/// samples after temperature → top-k → top-p → min-p (HF's order: the filters see tempered
/// probabilities). Deterministic for a given seed. Reuses its buffers: no allocation per token.
/// </summary>
public sealed class Sampler
{
    readonly SamplerOptions _o;
    readonly int _allowed;
    readonly HashSet<int> _forbidden;
    readonly List<int> _penalised = [];
    int[] _ids = [];
    float[] _vals = [];
    double[] _probs = [];
    ulong _state;

    /// <param name="options">Sampling parameters (validated).</param>
    /// <param name="allowedVocab">Ids below this may be sampled (the tokenizer's size, at most the logits' length).</param>
    /// <param name="forbidden">Ids never sampled.</param>
    public Sampler(SamplerOptions options, int allowedVocab, IEnumerable<int>? forbidden = null)
    {
        options.Validate();
        if (allowedVocab <= 0) throw new ArgumentOutOfRangeException(nameof(allowedVocab));
        _o = options;
        _allowed = allowedVocab;
        _forbidden = [.. forbidden ?? []];
        _state = options.Seed ^ 0x9E37_79B9_7F4A_7C15UL;
    }

    public SamplerOptions Options => _o;

    /// <summary>The next token for <paramref name="logits"/> (modified in place by the penalty), given the tokens so far.</summary>
    public int Sample(Span<float> logits, ReadOnlySpan<int> history)
    {
        int n = Math.Min(_allowed, logits.Length);
        foreach (int id in _forbidden)
            if ((uint)id < (uint)logits.Length) logits[id] = float.NegativeInfinity;
        ApplyRepeatPenalty(logits, history, n);

        if (_o.Temperature == 0)
        {
            int best = -1;
            float bv = float.NegativeInfinity;
            for (int i = 0; i < n; i++)
                if (logits[i] > bv) { bv = logits[i]; best = i; }
            return best >= 0 ? best : throw new InvalidOperationException("every token is masked");
        }

        int k = _o.TopK > 0 ? Math.Min(_o.TopK, n) : n;
        int m = SelectTop(logits[..n], k);
        // Softmax over the candidates of logits / T, in double; candidates are sorted, most likely first.
        double invT = 1.0 / _o.Temperature, max = _vals[0] * invT, sum = 0;
        for (int i = 0; i < m; i++) { _probs[i] = Math.Exp(_vals[i] * invT - max); sum += _probs[i]; }
        for (int i = 0; i < m; i++) _probs[i] /= sum;
        int keep = m;
        if (_o.TopP < 1)
        {
            double cum = 0;
            for (int i = 0; i < m; i++)
            {
                cum += _probs[i];
                if (cum >= _o.TopP) { keep = i + 1; break; }
            }
        }
        if (_o.MinP > 0)
        {
            double floor = _o.MinP * _probs[0];
            int j = 1;
            while (j < keep && _probs[j] >= floor) j++;
            keep = j;
        }
        double total = 0;
        for (int i = 0; i < keep; i++) total += _probs[i];
        double r = NextDouble() * total;
        for (int i = 0; i < keep; i++)
        {
            r -= _probs[i];
            if (r < 0) return _ids[i];
        }
        return _ids[keep - 1];
    }

    void ApplyRepeatPenalty(Span<float> logits, ReadOnlySpan<int> history, int n)
    {
        if (_o.RepeatPenalty == 1 || _o.RepeatLastN == 0) return;
        _penalised.Clear();
        var recent = history.Length > _o.RepeatLastN ? history[^_o.RepeatLastN..] : history;
        foreach (int id in recent)
        {
            if ((uint)id >= (uint)n || _penalised.Contains(id)) continue;
            _penalised.Add(id);
            logits[id] = logits[id] > 0 ? logits[id] / _o.RepeatPenalty : logits[id] * _o.RepeatPenalty;
        }
    }

    /// <summary>The k largest finite logits, sorted descending (ties: lower id first), into _ids/_vals; returns how many.</summary>
    int SelectTop(ReadOnlySpan<float> logits, int k)
    {
        if (_ids.Length < k) { _ids = new int[k]; _vals = new float[k]; _probs = new double[k]; }
        // Insertion into a sorted buffer; a new value enters only if it beats the current k-th.
        int m = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            float v = logits[i];
            if (float.IsNegativeInfinity(v) || float.IsNaN(v)) continue;
            if (m == k && v <= _vals[k - 1]) continue;
            int pos = m < k ? m++ : k - 1;
            while (pos > 0 && _vals[pos - 1] < v)
            {
                _vals[pos] = _vals[pos - 1];
                _ids[pos] = _ids[pos - 1];
                pos--;
            }
            _vals[pos] = v;
            _ids[pos] = i;
        }
        if (m == 0) throw new InvalidOperationException("every token is masked");
        return m;
    }

    /// <summary>SplitMix64 → [0, 1): tiny, fast, and the same on every runtime.</summary>
    double NextDouble()
    {
        ulong z = _state += 0x9E37_79B9_7F4A_7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EBUL;
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53));
    }
}
