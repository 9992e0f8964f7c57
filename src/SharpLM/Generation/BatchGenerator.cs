using System.Runtime.InteropServices;
using SharpLM.Models.Gemma3;

namespace SharpLM.Generation;

/// <summary>
/// Generation for many prompts on a <see cref="Gemma3Batch"/> with continuous batching: every slot runs one
/// prompt; each step decodes one token for all running slots together; a slot whose sequence ends (stop
/// token, token cap, full context, or the caller says so) takes the next waiting prompt at once, so the
/// batch stays full. Each prompt's tokens are those <see cref="Generator"/> would produce for it alone.
/// </summary>
public sealed class BatchGenerator
{
    readonly Gemma3Batch _batch;
    readonly SamplerOptions _options;
    readonly int _allowedVocab;
    readonly HashSet<int> _stop;

    /// <param name="batch">The slots to run on.</param>
    /// <param name="options">Sampling for every prompt (a fresh <see cref="Sampler"/> each).</param>
    /// <param name="allowedVocab">Ids below this may be sampled (the tokenizer's size).</param>
    /// <param name="stopTokens">Tokens that end a sequence; they are not reported.</param>
    public BatchGenerator(Gemma3Batch batch, SamplerOptions options, int allowedVocab, IEnumerable<int> stopTokens)
    {
        _batch = batch;
        _options = options;
        _allowedVocab = allowedVocab;
        _stop = [.. stopTokens];
    }

    /// <summary>Called with (prompt index, token) for each generated token; return false to end that prompt here.</summary>
    public delegate bool TokenHandler(int prompt, int token);

    /// <summary>Called once per prompt when its sequence ends, with how many tokens were reported.</summary>
    public delegate void FinishHandler(int prompt, StopReason reason, int generated);

    /// <summary>
    /// Generates up to <paramref name="maxNewTokens"/>[i] tokens for each prompt i of <paramref name="prompts"/>, each starting
    /// from an empty cache, or from <paramref name="prefix"/>'s cache when the prompt starts with it. Prompts start
    /// in order as slots free up; <paramref name="onToken"/> and <paramref name="onFinished"/> are called on this
    /// thread as tokens are chosen and sequences end (in the order that happens, not prompt order).
    /// </summary>
    public void Run(IReadOnlyList<int[]> prompts, IReadOnlyList<int> maxNewTokens, TokenHandler onToken, FinishHandler onFinished,
        SharedPrefix? prefix = null, CancellationToken cancellation = default)
    {
        int slots = _batch.Slots, V = _batch.Model.Config.VocabSize;
        if (maxNewTokens.Count != prompts.Count) throw new ArgumentException($"{prompts.Count} prompts but {maxNewTokens.Count} token caps", nameof(maxNewTokens));
        foreach (var p in prompts)
        {
            if (p.Length == 0) throw new ArgumentException("empty prompt", nameof(prompts));
            if (p.Length > _batch.ContextLength)
                throw new InvalidOperationException($"a prompt of {p.Length} tokens does not fit the {_batch.ContextLength}-token context");
        }
        var state = new Slot[slots];
        for (int s = 0; s < slots; s++) state[s] = new Slot();
        var logits = new float[(long)slots * V];
        var active = new int[slots];
        var tokens = new int[slots];
        int next = 0;

        while (true)
        {
            for (int s = 0; s < slots; s++)
                while (state[s].Prompt < 0 && next < prompts.Count)
                {
                    cancellation.ThrowIfCancellationRequested();
                    Start(s, next, prompts[next], prefix, state[s], logits.AsSpan(s * V, V));
                    next++;
                    Choose(s, state[s], logits.AsSpan(s * V, V), maxNewTokens, onToken, onFinished);
                }
            int n = 0;
            for (int s = 0; s < slots; s++)
                if (state[s].Prompt >= 0) { active[n] = s; tokens[n] = state[s].Next; n++; }
            if (n == 0) return;
            cancellation.ThrowIfCancellationRequested();
            _batch.Decode(active.AsSpan(0, n), tokens.AsSpan(0, n), logits.AsSpan(0, n * V));
            // Row i of the step's logits belongs to slot active[i] ≥ i (active is increasing): move each row to its
            // slot's row, last first, so no row is overwritten before it has been moved.
            for (int i = n - 1; i >= 0; i--)
                if (active[i] != i) logits.AsSpan(i * V, V).CopyTo(logits.AsSpan(active[i] * V, V));
            for (int i = 0; i < n; i++)
                Choose(active[i], state[active[i]], logits.AsSpan(active[i] * V, V), maxNewTokens, onToken, onFinished);
        }
    }

    /// <summary>What one slot is doing: its prompt index (−1 when free), its sampler and history, and the token to feed next.</summary>
    sealed class Slot
    {
        public int Prompt = -1;
        public int Next;
        public int Generated;
        public Sampler? Sampler;
        public readonly List<int> History = [];
    }

    void Start(int s, int index, int[] prompt, SharedPrefix? prefix, Slot slot, Span<float> logits)
    {
        _batch.Reset(s);
        int from = 0;
        if (prefix is not null && prefix.Covers(prompt))
        {
            _batch.CopyFrom(s, prefix.Session);
            from = prefix.Tokens.Length;
        }
        _batch.Prefill(s, prompt.AsSpan(from), logits);
        slot.Prompt = index;
        slot.Generated = 0;
        slot.Sampler = new Sampler(_options, _allowedVocab);
        slot.History.Clear();
        slot.History.AddRange(prompt);
    }

    /// <summary>Picks the slot's next token from its logits and ends the sequence when it should (the same order
    /// of checks as <see cref="Generator.Generate"/>).</summary>
    void Choose(int s, Slot slot, Span<float> logits, IReadOnlyList<int> maxNewTokens, TokenHandler onToken, FinishHandler onFinished)
    {
        if (slot.Prompt < 0) return;
        StopReason reason;
        if (slot.Generated >= maxNewTokens[slot.Prompt]) reason = StopReason.MaxTokens;
        else
        {
            int token = slot.Sampler!.Sample(logits, CollectionsMarshal.AsSpan(slot.History));
            if (_stop.Contains(token)) reason = StopReason.StopToken;
            else
            {
                slot.Generated++;
                slot.History.Add(token);
                if (!onToken(slot.Prompt, token)) reason = StopReason.Caller;
                else if (_batch.Position(s) >= _batch.ContextLength) reason = StopReason.ContextFull;
                else { slot.Next = token; return; }
            }
        }
        int prompt = slot.Prompt;
        slot.Prompt = -1;
        onFinished(prompt, reason, slot.Generated);
    }
}
