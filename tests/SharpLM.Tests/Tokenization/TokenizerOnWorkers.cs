using SharpLM.Tokenization;

namespace SharpLM.Tests.Tokenization;

/// <summary>
/// Runs a test body on a test class's own tokenizer with its batch threads set to given workers. The tokenizer's batch
/// knobs are shared state, so bodies run one at a time, and every knob (threads, output protocol, threading kind,
/// timeline) is back at its default afterwards, whatever the body changed and however it ended.
/// </summary>
static class TokenizerOnWorkers
{
    public static void Run(Lazy<Gemma3Tokenizer> tokenizer, BatchWorkers workers, Action<Gemma3Tokenizer> body)
    {
        lock (tokenizer)
        {
            var tok = tokenizer.Value;
            tok.Threads = workers;
            try { body(tok); }
            finally
            {
                tok.Threads = BatchWorkers.Shared;
                tok.PlaceIds = TokenBatch.PlaceIdsByDefault;
                tok.BatchThreading = Gemma3Tokenizer.BatchThreadingKind.PersistentWorkers;
                tok.Timeline = null;
            }
        }
    }
}
