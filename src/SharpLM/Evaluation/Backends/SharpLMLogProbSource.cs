using SharpLM.Models.Gemma3;
using SharpLM.Tokenization;

namespace SharpLM.Evaluation.Backends;

/// <summary>
/// Per-token log-probabilities from SharpLM's engine for perplexity: the sequence is fed in chunks on one KV
/// cache with logits for every position, and each position's log-softmax is read at the next token (in double).
/// Logits are never held for more than one chunk (a full window × 262k vocabulary would be gigabytes).
/// </summary>
public sealed class SharpLMLogProbSource : ITokenLogProbSource
{
    const int Chunk = 32;
    readonly Gemma3Model _model;
    readonly Gemma3Tokenizer _tokenizer;
    readonly bool _ownsModel;
    readonly EmbedScaleMode _embedScale;
    readonly float[] _logits;
    Gemma3Session? _session;

    public SharpLMLogProbSource(Gemma3Model model, Gemma3Tokenizer tokenizer, bool ownsModel = false, EmbedScaleMode embedScale = EmbedScaleMode.Bf16)
    {
        _model = model;
        _tokenizer = tokenizer;
        _ownsModel = ownsModel;
        _embedScale = embedScale;
        _logits = new float[Chunk * model.Config.VocabSize];
    }

    public string Description => $"sharplm {Path.GetFullPath(_model.Path)}";
    public int ContextLength => _model.Config.MaxPositionEmbeddings;
    public int? BosToken => _tokenizer.BosId >= 0 ? _tokenizer.BosId : null;

    public int[] Tokenize(string text) => _tokenizer.Encode(text, addBos: false, parseSpecial: false);

    public void LogProbs(ReadOnlySpan<int> tokens, Span<double> logProbs, CancellationToken cancellation)
    {
        if (tokens.Length < 2) return;
        if (logProbs.Length < tokens.Length - 1) throw new ArgumentException("logProbs too short", nameof(logProbs));
        if (tokens.Length > ContextLength) throw new ArgumentException($"{tokens.Length} tokens exceed the model's {ContextLength} positions");
        if (_session is null || _session.ContextLength < tokens.Length)
        {
            _session?.Dispose();
            _session = _model.CreateSession(Math.Min(ContextLength, (tokens.Length + 511) / 512 * 512), _embedScale);
        }
        _session.Reset();
        int V = _model.Config.VocabSize;
        for (int start = 0; start < tokens.Length - 1; start += Chunk)
        {
            cancellation.ThrowIfCancellationRequested();
            int n = Math.Min(Chunk, tokens.Length - 1 - start); // the last token's logits are never needed
            var logits = _logits.AsSpan(0, n * V);
            _session.Forward(tokens.Slice(start, n), logits, allPositions: true);
            for (int k = 0; k < n; k++)
                logProbs[start + k] = LogSoftmaxAt(logits.Slice(k * V, V), tokens[start + k + 1]);
        }
    }

    /// <summary>log softmax(row)[target] = row[target] − max − log Σ exp(row − max), in double.</summary>
    internal static double LogSoftmaxAt(ReadOnlySpan<float> row, int target)
    {
        float max = float.NegativeInfinity;
        foreach (var v in row) if (v > max) max = v;
        double sum = 0;
        foreach (var v in row) sum += Math.Exp(v - max);
        return row[target] - max - Math.Log(sum);
    }

    public void Dispose()
    {
        _session?.Dispose();
        if (_ownsModel) _model.Dispose();
    }
}
