using System.Text;
using SharpLM.Generation;
using SharpLM.Models.Gemma3;
using SharpLM.Tokenization;

namespace SharpLM.Evaluation.Backends;

/// <summary>
/// The harness on SharpLM's own engine: each prompt is encoded with BOS (as lighteval does for base models) and
/// continued greedily (temperature 0), decoding as it goes and stopping at <c>&lt;eos&gt;</c>, the token cap or the
/// first stop sequence in the text. Prompts run <see cref="Slots"/> at a time on a <see cref="Gemma3Batch"/>
/// with continuous batching (<see cref="BatchGenerator"/>); the few-shot prefix most prompts share is run once
/// and copied into each prompt's cache (<see cref="SharedPrefix"/>). Outputs are the same for every batch size
/// and with or without prefix reuse.
/// </summary>
/// <remarks>
/// A prompt that does not fit the model's context together with the token cap keeps its last tokens (lighteval
/// truncates on the left too).
/// </remarks>
public sealed class SharpLMGenerator : IStreamingTextGenerator
{
    /// <summary>Shortest prefix worth sharing: below this, copying its cache saves too little to bother.</summary>
    public const int MinSharedPrefix = 16;

    readonly Gemma3Model _model;
    readonly Gemma3Tokenizer _tokenizer;
    readonly bool _ownsModel;
    readonly EmbedScaleMode _embedScale;
    Gemma3Batch? _batch;

    /// <param name="slots">Sequences decoded together (<c>--batch</c>).</param>
    /// <param name="reusePrefix">Run a shared few-shot prefix once and copy its cache into each prompt.</param>
    public SharpLMGenerator(Gemma3Model model, Gemma3Tokenizer tokenizer, bool ownsModel = false,
        EmbedScaleMode embedScale = EmbedScaleMode.Bf16, int slots = 1, bool reusePrefix = true)
    {
        if (slots < 1) throw new ArgumentOutOfRangeException(nameof(slots), slots, "at least one slot");
        _model = model;
        _tokenizer = tokenizer;
        _ownsModel = ownsModel;
        _embedScale = embedScale;
        Slots = slots;
        ReusePrefix = reusePrefix;
    }

    public int Slots { get; }
    public bool ReusePrefix { get; }

    /// <summary>Tokens of the shared prefix the last <see cref="Generate(IReadOnlyList{GenerationRequest}, Action{int, GenerationResult}, CancellationToken)"/> ran once (0 when none).</summary>
    public int LastSharedPrefixTokens { get; private set; }

    public string Description => $"sharplm {Path.GetFullPath(_model.Path)}";

    public string ModelIdentity => "sharplm:" + Path.GetFullPath(_model.Path);

    public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<GenerationRequest> batch, CancellationToken cancellation)
    {
        var results = new GenerationResult[batch.Count];
        Generate(batch, (i, r) => results[i] = r, cancellation);
        return results;
    }

    public void Generate(IReadOnlyList<GenerationRequest> requests, Action<int, GenerationResult> finished, CancellationToken cancellation)
    {
        if (requests.Count == 0) return;
        int maxPositions = _model.Config.MaxPositionEmbeddings;
        var prompts = new int[requests.Count][];
        var caps = new int[requests.Count];
        var texts = new Completion[requests.Count];
        int positions = 0;
        for (int i = 0; i < requests.Count; i++)
        {
            caps[i] = Math.Min(requests[i].MaxTokens, maxPositions - 2);
            var prompt = _tokenizer.Encode(requests[i].Prompt, addBos: true);
            EngineModel.CheckIds(_model, prompt);
            if (prompt.Length + caps[i] > maxPositions)
            {
                int keep = maxPositions - caps[i] - 1;
                prompt = [prompt[0], .. prompt[^keep..]];
            }
            prompts[i] = prompt;
            positions = Math.Max(positions, prompt.Length + caps[i]);
        }

        var batch = BatchFor(positions);
        var prefixTokens = ReusePrefix ? SharedPrefix.Find(prompts, MinSharedPrefix) : null;
        using var prefix = prefixTokens is null ? null : SharedPrefix.Run(_model, prefixTokens, _embedScale);
        LastSharedPrefixTokens = prefixTokens?.Length ?? 0;
        var generator = new BatchGenerator(batch, new SamplerOptions { Temperature = 0 },
            Math.Min(_tokenizer.VocabSize, _model.Config.VocabSize), _tokenizer.StopIds);
        generator.Run(prompts, caps,
            (i, token) => (texts[i] ??= new Completion(_tokenizer, requests[i].Stop)).Push(token),
            (i, reason, generated) => finished(i, (texts[i] ?? new Completion(_tokenizer, requests[i].Stop)).Finish(reason, prompts[i].Length, generated)),
            prefix, cancellation);
    }

    /// <summary>One prompt's text as it is generated: streaming detokenization and the stop-sequence cut.</summary>
    sealed class Completion(Gemma3Tokenizer tokenizer, IReadOnlyList<string> stops)
    {
        readonly StreamingDetokenizer _detok = tokenizer.NewStreamingDetokenizer();
        readonly StringBuilder _text = new();
        readonly int _maxStop = stops.Count == 0 ? 0 : stops.Max(s => s.Length);
        bool _stopped;

        /// <summary>Adds a token's text; false when a stop sequence has appeared (the text is cut before it).</summary>
        public bool Push(int token)
        {
            var piece = _detok.Push(token);
            if (piece.Length == 0) return true;
            _text.Append(piece);
            if (_maxStop > 0 && FindStop(_text, stops, piece.Length + _maxStop) is int cut)
            {
                _text.Length = cut;
                _stopped = true;
                return false;
            }
            return true;
        }

        public GenerationResult Finish(StopReason reason, int promptTokens, int generated)
        {
            if (_stopped) return new GenerationResult(_text.ToString(), "stop", promptTokens, generated);
            _text.Append(_detok.Flush());
            var whole = _text.ToString();
            var cutText = Tasks.GenerativeTask.ApplyStops(whole, stops);
            string finish = cutText.Length < whole.Length || reason == StopReason.StopToken ? "stop" : "length";
            return new GenerationResult(cutText, finish, promptTokens, generated);
        }
    }

    /// <summary>Start of the first stop sequence that ends within the last <paramref name="tail"/> characters, or null.</summary>
    static int? FindStop(StringBuilder text, IReadOnlyList<string> stops, int tail)
    {
        int from = Math.Max(0, text.Length - tail);
        var window = text.ToString(from, text.Length - from);
        int best = -1;
        foreach (var s in stops)
        {
            if (s.Length == 0) continue;
            int at = window.IndexOf(s, StringComparison.Ordinal);
            if (at >= 0 && (best < 0 || at < best)) best = at;
        }
        return best < 0 ? null : from + best;
    }

    Gemma3Batch BatchFor(int positions)
    {
        if (_batch is null || _batch.ContextLength < positions)
        {
            _batch?.Dispose();
            int size = Math.Min(_model.Config.MaxPositionEmbeddings, (positions + 511) / 512 * 512);
            _batch = _model.CreateBatch(Slots, size, _embedScale);
        }
        return _batch;
    }

    public void Dispose()
    {
        _batch?.Dispose();
        if (_ownsModel) _model.Dispose();
    }
}
