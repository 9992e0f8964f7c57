using System.Diagnostics;
using SharpLM.Models.Gemma3;

namespace SharpLM.Generation;

/// <summary>Why generation stopped.</summary>
public enum StopReason
{
    /// <summary>Still running (or not started).</summary>
    None,
    /// <summary>A stop token (e.g. <c>&lt;eos&gt;</c>, <c>&lt;end_of_turn&gt;</c>) was sampled; it is not yielded.</summary>
    StopToken,
    /// <summary>The token budget was used up.</summary>
    MaxTokens,
    /// <summary>The session's context is full.</summary>
    ContextFull,
    /// <summary>The caller ended it after a token (e.g. a stop sequence appeared in the text).</summary>
    Caller,
}

/// <summary>
/// Streaming generation on a <see cref="Gemma3Session"/>: feeds a prompt (continuing at the session's
/// position, so a chat appends each turn), then samples one token at a time on the KV cache, yielding
/// each as soon as it is chosen. Keeps prefill and decode timings for tokens/s reports.
/// </summary>
public sealed class Generator
{
    readonly Gemma3Session _session;
    readonly Sampler _sampler;
    readonly HashSet<int> _stop;
    readonly float[] _logits;
    readonly List<int> _history = [];

    public Generator(Gemma3Session session, Sampler sampler, IEnumerable<int> stopTokens)
    {
        _session = session;
        _sampler = sampler;
        _stop = [.. stopTokens];
        _logits = new float[session.Model.Config.VocabSize];
    }

    public StopReason StopReason { get; private set; }
    /// <summary>Prompt tokens fed by the last <see cref="Generate"/>.</summary>
    public int PromptTokens { get; private set; }
    public double PrefillSeconds { get; private set; }
    /// <summary>Tokens sampled by the last <see cref="Generate"/> (including a stop token).</summary>
    public int DecodedTokens { get; private set; }
    /// <summary>Time spent in forward passes of generated tokens.</summary>
    public double DecodeSeconds { get; private set; }
    public double PrefillTokensPerSecond => PrefillSeconds > 0 ? PromptTokens / PrefillSeconds : 0;
    /// <summary>Forward passes of generated tokens per second (each sampled token except the last is fed back).</summary>
    public double DecodeTokensPerSecond => DecodeSeconds > 0 ? _decodeForwards / DecodeSeconds : 0;
    int _decodeForwards;

    /// <summary>
    /// Feeds <paramref name="prompt"/> and yields up to <paramref name="maxNewTokens"/> sampled tokens, stopping
    /// early on a stop token or a full context. The stop token is fed to no forward pass and is not yielded.
    /// </summary>
    public IEnumerable<int> Generate(int[] prompt, int maxNewTokens, CancellationToken cancel = default)
    {
        if (prompt.Length == 0) throw new ArgumentException("empty prompt", nameof(prompt));
        StopReason = StopReason.None;
        PromptTokens = prompt.Length;
        DecodedTokens = 0;
        DecodeSeconds = 0;
        _decodeForwards = 0;
        if (_session.Position + prompt.Length > _session.ContextLength)
            throw new InvalidOperationException($"the prompt ({prompt.Length} tokens after {_session.Position}) does not fit the {_session.ContextLength}-token context");

        var clock = Stopwatch.StartNew();
        _session.Forward(prompt, _logits);
        PrefillSeconds = clock.Elapsed.TotalSeconds;
        _history.AddRange(prompt);

        for (int produced = 0; ; produced++)
        {
            if (produced >= maxNewTokens) { StopReason = StopReason.MaxTokens; yield break; }
            cancel.ThrowIfCancellationRequested();
            int next = _sampler.Sample(_logits, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_history));
            DecodedTokens++;
            if (_stop.Contains(next)) { StopReason = StopReason.StopToken; LastStopToken = next; yield break; }
            _history.Add(next);
            yield return next;
            if (_session.Position >= _session.ContextLength) { StopReason = StopReason.ContextFull; yield break; }
            long t0 = Stopwatch.GetTimestamp();
            _session.Forward([next], _logits);
            DecodeSeconds += Stopwatch.GetElapsedTime(t0).TotalSeconds;
            _decodeForwards++;
        }
    }

    /// <summary>The stop token that ended the last generation, when <see cref="StopReason"/> is <see cref="StopReason.StopToken"/>.</summary>
    public int LastStopToken { get; private set; } = -1;
}
