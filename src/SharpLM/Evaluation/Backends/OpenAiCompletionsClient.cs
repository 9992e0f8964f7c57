using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace SharpLM.Evaluation.Backends;

/// <summary>
/// Greedy completions from any OpenAI-compatible server (llama-server, vLLM, Ollama, TGI) through
/// <c>POST /v1/completions</c>: raw few-shot prompts, <c>temperature 0</c>, <c>max_tokens</c>, up to four
/// <c>stop</c> strings (all stops are also applied to the returned text, since servers differ in whether they
/// include them). Connection failures, timeouts, 429 and 5xx are retried with exponential backoff; other errors
/// and malformed replies fail at once with the server's message.
/// </summary>
public sealed class OpenAiCompletionsClient : ITextGenerator
{
    readonly HttpClient _http;
    readonly EndpointOptions _options;
    readonly Uri _completions;
    readonly Func<TimeSpan, CancellationToken, Task> _delay;

    /// <param name="options">Endpoint settings.</param>
    /// <param name="handler">HTTP handler (tests pass their own); default: a fresh SocketsHttpHandler.</param>
    /// <param name="delay">How to wait between retries (tests record instead of sleeping); default Task.Delay.</param>
    public OpenAiCompletionsClient(EndpointOptions options, HttpMessageHandler? handler = null, Func<TimeSpan, CancellationToken, Task>? delay = null)
    {
        _options = options;
        _completions = CompletionsUri(options.Url);
        _http = new HttpClient(handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = Timeout.InfiniteTimeSpan, // per-request timeouts below, so a timeout is told apart from Ctrl-C
        };
        _delay = delay ?? ((t, ct) => Task.Delay(t, ct));
    }

    public string Description => $"endpoint {_completions} model {_options.ModelName}";

    public string ModelIdentity => "endpoint-model:" + _options.ModelName;

    /// <summary>The completions URL for what a user typed: a server root, a <c>/v1</c> base or the full path.</summary>
    public static Uri CompletionsUri(string url)
    {
        if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out var u) || (u.Scheme != Uri.UriSchemeHttp && u.Scheme != Uri.UriSchemeHttps))
            throw new SharpLMDataException("--endpoint", $"'{url}' is not an http(s) URL");
        var path = u.AbsolutePath.TrimEnd('/');
        if (path.EndsWith("/completions", StringComparison.Ordinal)) return u;
        var b = new UriBuilder(u) { Path = path.EndsWith("/v1", StringComparison.Ordinal) ? path + "/completions" : path + "/v1/completions" };
        return b.Uri;
    }

    public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<GenerationRequest> batch, CancellationToken cancellation)
    {
        using var gate = new SemaphoreSlim(Math.Max(1, _options.Concurrency));
        var tasks = batch.Select(async r =>
        {
            await gate.WaitAsync(cancellation).ConfigureAwait(false);
            try { return await CompleteAsync(r, cancellation).ConfigureAwait(false); }
            finally { gate.Release(); }
        }).ToArray();
        try
        {
            return Task.WhenAll(tasks).GetAwaiter().GetResult();
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            throw e.InnerExceptions[0];
        }
    }

    async Task<GenerationResult> CompleteAsync(GenerationRequest request, CancellationToken cancellation)
    {
        var body = RequestBody(request);
        var backoff = _options.InitialBackoff ?? TimeSpan.FromSeconds(1);
        for (int attempt = 0; ; attempt++)
        {
            cancellation.ThrowIfCancellationRequested();
            string failure;
            TimeSpan? retryAfter = null;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation))
            {
                timeout.CancelAfter(_options.Timeout);
                try
                {
                    using var msg = new HttpRequestMessage(HttpMethod.Post, _completions) { Content = new ByteArrayContent(body) };
                    msg.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                    if (_options.ApiKey is { Length: > 0 } key) msg.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
                    using var resp = await _http.SendAsync(msg, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
                    var text = await resp.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
                    if (resp.IsSuccessStatusCode) return ParseResponse(text, request.Stop);
                    var code = (int)resp.StatusCode;
                    failure = $"server answered {code} {resp.ReasonPhrase}: {Snippet(ServerMessage(text))}";
                    if (!(code == 429 || code >= 500))
                    {
                        var hint = code == 404 ? $" (is {_completions} an OpenAI-compatible completions endpoint?)" : "";
                        throw new SharpLMDataException(_completions.ToString(), failure + hint);
                    }
                    retryAfter = resp.Headers.RetryAfter?.Delta;
                }
                catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
                {
                    failure = $"no answer within {_options.Timeout.TotalSeconds:0.#} s";
                }
                catch (HttpRequestException e)
                {
                    failure = $"cannot reach the server: {e.Message}";
                }
            }
            if (attempt >= _options.MaxRetries)
                throw new SharpLMDataException(_completions.ToString(),
                    attempt == 0 ? failure : $"{failure} (gave up after {attempt + 1} attempts)");
            var wait = retryAfter is { } ra && ra > TimeSpan.Zero ? TimeSpan.FromSeconds(Math.Min(ra.TotalSeconds, 60)) : backoff;
            await _delay(wait, cancellation).ConfigureAwait(false);
            backoff = TimeSpan.FromSeconds(Math.Min(backoff.TotalSeconds * 2, 30));
        }
    }

    byte[] RequestBody(GenerationRequest r)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("model", _options.ModelName);
            w.WriteString("prompt", r.Prompt);
            w.WriteNumber("max_tokens", r.MaxTokens);
            w.WriteNumber("temperature", 0);
            w.WriteNumber("top_p", 1);
            w.WriteNumber("n", 1);
            w.WriteBoolean("stream", false);
            var stops = r.Stop.Where(s => s.Length > 0).Take(4).ToList(); // the OpenAI API accepts at most 4
            if (stops.Count > 0)
            {
                w.WriteStartArray("stop");
                foreach (var s in stops) w.WriteStringValue(s);
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    GenerationResult ParseResponse(string text, IReadOnlyList<string> stops)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("choices", out var choices)
                || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0)
                throw new SharpLMDataException(_completions.ToString(), "malformed reply: no \"choices\" array: " + Snippet(text));
            var c = choices[0];
            if (!c.TryGetProperty("text", out var t) || t.ValueKind != JsonValueKind.String)
                throw new SharpLMDataException(_completions.ToString(), "malformed reply: choice has no \"text\" (is this a chat-only endpoint?): " + Snippet(text));
            var raw = t.GetString()!;
            var cut = Tasks.GenerativeTask.ApplyStops(raw, stops);
            var finish = c.TryGetProperty("finish_reason", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString()! : "stop";
            if (cut.Length < raw.Length) finish = "stop";
            int? promptTokens = null, outputTokens = null;
            if (root.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object)
            {
                if (u.TryGetProperty("prompt_tokens", out var pt) && pt.TryGetInt32(out var p)) promptTokens = p;
                if (u.TryGetProperty("completion_tokens", out var ct) && ct.TryGetInt32(out var o)) outputTokens = o;
            }
            return new GenerationResult(cut, finish, promptTokens, outputTokens);
        }
        catch (JsonException e)
        {
            throw new SharpLMDataException(_completions.ToString(), $"malformed reply (not JSON: {e.Message.Split(". ")[0]}): {Snippet(text)}");
        }
    }

    /// <summary>The <c>error.message</c> of an OpenAI-style error body, else the body itself.</summary>
    static string ServerMessage(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var e))
            {
                if (e.ValueKind == JsonValueKind.String) return e.GetString()!;
                if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String) return m.GetString()!;
            }
        }
        catch (JsonException) { }
        return body;
    }

    static string Snippet(string s)
    {
        s = s.Replace('\n', ' ').Trim();
        return s.Length <= 300 ? s : s[..300] + "...";
    }

    public void Dispose() => _http.Dispose();
}
