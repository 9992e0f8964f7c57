namespace SharpLM.Evaluation.Backends;

/// <summary>Settings of an OpenAI-compatible completions endpoint.</summary>
/// <param name="Url">Server URL: <c>http://host:port</c>, <c>.../v1</c> or the full <c>.../v1/completions</c>.</param>
/// <param name="ModelName">The <c>model</c> field sent with each request.</param>
/// <param name="Timeout">Per-request limit; a request that takes longer is retried.</param>
/// <param name="MaxRetries">Retries after a connection failure, timeout, 429 or 5xx (0 = no retry).</param>
/// <param name="Concurrency">Requests in flight at once (<c>--batch</c>).</param>
/// <param name="InitialBackoff">First retry delay; doubled each retry, capped at 30 s (a Retry-After header wins).</param>
/// <param name="ApiKey">Sent as <c>Authorization: Bearer</c> when set.</param>
public sealed record EndpointOptions(
    string Url,
    string ModelName,
    TimeSpan Timeout,
    int MaxRetries = 5,
    int Concurrency = 1,
    TimeSpan? InitialBackoff = null,
    string? ApiKey = null);
