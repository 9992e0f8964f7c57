namespace SharpLM.Data.Annotation;

/// <summary>Something that answers a one-turn chat prompt: an OpenAI-compatible endpoint, or SharpLM's own engine.</summary>
public interface IChatModel
{
    /// <summary>A name for the output records (the served model name, or the local model path).</summary>
    string Name { get; }
    /// <summary>How many requests may be in flight at once (a local engine answers one at a time).</summary>
    int MaxConcurrency { get; }
    /// <summary>The completion text. Throws <see cref="TransientChatException"/> for failures worth retrying.</summary>
    Task<string> CompleteAsync(string prompt, CancellationToken cancel);
}

/// <summary>A failure that may succeed on retry (HTTP 429/5xx, timeouts, dropped connections).</summary>
public sealed class TransientChatException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A failure that will not succeed on retry (HTTP 4xx, malformed responses).</summary>
public sealed class PermanentChatException(string message, Exception? inner = null) : Exception(message, inner);
