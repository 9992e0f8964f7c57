using System.Text;
using SharpLM.Generation;
using SharpLM.Models.Gemma3;
using SharpLM.Tokenization;

namespace SharpLM.Evaluation.Backends;

/// <summary>
/// The harness on SharpLM's own engine: each prompt is encoded with BOS (as lighteval does for base models),
/// run through a <see cref="Gemma3Session"/> and continued greedily by <see cref="Generator"/> (temperature 0),
/// decoding as it goes and stopping at <c>&lt;eos&gt;</c>, the token cap or the first stop sequence in the text.
/// </summary>
/// <remarks>
/// Prompts run one after another on one reused KV cache: the engine has no multi-sequence forward, so
/// <c>--batch</c> only groups the writes of finished samples here. A prompt that does not fit the model's
/// context together with the token cap keeps its last tokens (lighteval truncates on the left too).
/// </remarks>
public sealed class SharpLMGenerator : ITextGenerator
{
    readonly Gemma3Model _model;
    readonly Gemma3Tokenizer _tokenizer;
    readonly bool _ownsModel;
    readonly EmbedScaleMode _embedScale;
    Gemma3Session? _session;

    public SharpLMGenerator(Gemma3Model model, Gemma3Tokenizer tokenizer, bool ownsModel = false, EmbedScaleMode embedScale = EmbedScaleMode.Bf16)
    {
        _model = model;
        _tokenizer = tokenizer;
        _ownsModel = ownsModel;
        _embedScale = embedScale;
    }

    public string Description => $"sharplm {Path.GetFullPath(_model.Path)}";

    public string ModelIdentity => "sharplm:" + Path.GetFullPath(_model.Path);

    public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<GenerationRequest> batch, CancellationToken cancellation)
    {
        var results = new List<GenerationResult>(batch.Count);
        foreach (var r in batch) results.Add(GenerateOne(r, cancellation));
        return results;
    }

    GenerationResult GenerateOne(GenerationRequest request, CancellationToken cancellation)
    {
        int maxPositions = _model.Config.MaxPositionEmbeddings;
        int maxNew = Math.Min(request.MaxTokens, maxPositions - 2);
        var prompt = _tokenizer.Encode(request.Prompt, addBos: true);
        if (prompt.Length + maxNew > maxPositions)
        {
            int keep = maxPositions - maxNew - 1;
            prompt = [prompt[0], .. prompt[^keep..]];
        }
        var session = SessionFor(prompt.Length + maxNew);
        session.Reset();
        var sampler = new Sampler(new SamplerOptions { Temperature = 0 }, Math.Min(_tokenizer.VocabSize, _model.Config.VocabSize));
        var generator = new Generator(session, sampler, _tokenizer.StopIds);
        var detok = _tokenizer.NewStreamingDetokenizer();
        var text = new StringBuilder();
        int maxStop = request.Stop.Count == 0 ? 0 : request.Stop.Max(s => s.Length);
        int produced = 0;
        string finish = "length";
        foreach (int id in generator.Generate(prompt, maxNew, cancellation))
        {
            produced++;
            var piece = detok.Push(id);
            if (piece.Length == 0) continue;
            text.Append(piece);
            if (maxStop > 0 && FindStop(text, request.Stop, piece.Length + maxStop) is int cut)
            {
                text.Length = cut;
                finish = "stop";
                break;
            }
        }
        if (finish != "stop")
        {
            text.Append(detok.Flush());
            var whole = text.ToString();
            var cutText = Tasks.GenerativeTask.ApplyStops(whole, request.Stop);
            if (cutText.Length < whole.Length || generator.StopReason == StopReason.StopToken) finish = "stop";
            return new GenerationResult(cutText, finish, prompt.Length, produced);
        }
        return new GenerationResult(text.ToString(), finish, prompt.Length, produced);
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

    Gemma3Session SessionFor(int positions)
    {
        if (_session is null || _session.ContextLength < positions)
        {
            _session?.Dispose();
            int size = Math.Min(_model.Config.MaxPositionEmbeddings, (positions + 511) / 512 * 512);
            _session = _model.CreateSession(size, _embedScale);
        }
        return _session;
    }

    public void Dispose()
    {
        _session?.Dispose();
        if (_ownsModel) _model.Dispose();
    }
}
