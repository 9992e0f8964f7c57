using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace SharpLM.Data.Annotation;

/// <summary>
/// A client of any OpenAI-compatible <c>/v1/chat/completions</c> endpoint (vLLM, llama.cpp server, TGI,
/// OpenAI…): one user message, greedy decoding (temperature 0), the first choice's message content back.
/// </summary>
public sealed class OpenAiChatClient : IChatModel, IDisposable
{
    readonly HttpClient _http;
    readonly Uri _url;
    readonly int _maxTokens;

    public string Name { get; }
    public int MaxConcurrency { get; }

    /// <param name="endpoint">Base URL (<c>http://host:8000</c>, <c>…/v1</c>) or the full <c>…/chat/completions</c> URL.</param>
    /// <param name="model">The <c>model</c> field of the request.</param>
    public OpenAiChatClient(string endpoint, string model, int concurrency, TimeSpan timeout, string? apiKey = null, int maxTokens = 512)
    {
        _url = CompletionsUrl(endpoint);
        Name = model;
        MaxConcurrency = concurrency;
        _maxTokens = maxTokens;
        _http = new HttpClient { Timeout = timeout };
        if (apiKey is not null) _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
    }

    public static Uri CompletionsUrl(string endpoint)
    {
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https"))
            throw new SharpLMDataException(endpoint, "not an http(s) URL");
        var path = u.AbsolutePath.TrimEnd('/');
        if (path.EndsWith("/chat/completions", StringComparison.Ordinal)) return u;
        if (!path.EndsWith("/v1", StringComparison.Ordinal)) path += "/v1";
        return new UriBuilder(u) { Path = path + "/chat/completions" }.Uri;
    }

    public async Task<string> CompleteAsync(string prompt, CancellationToken cancel)
    {
        var body = new MemoryStream();
        using (var w = new Utf8JsonWriter(body))
        {
            w.WriteStartObject();
            w.WriteString("model", Name);
            w.WriteStartArray("messages");
            w.WriteStartObject();
            w.WriteString("role", "user");
            w.WriteString("content", prompt);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteNumber("temperature", 0);
            w.WriteNumber("max_tokens", _maxTokens);
            w.WriteEndObject();
        }
        HttpResponseMessage response;
        try
        {
            using var content = new ByteArrayContent(body.ToArray());
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            response = await _http.PostAsync(_url, content, cancel).ConfigureAwait(false);
        }
        catch (HttpRequestException e) { throw new TransientChatException($"{_url}: {e.Message}", e); }
        catch (TaskCanceledException e) when (!cancel.IsCancellationRequested) { throw new TransientChatException($"{_url}: timed out", e); }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancel).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500)
                throw new TransientChatException($"{_url}: HTTP {(int)response.StatusCode}");
            if (!response.IsSuccessStatusCode)
                throw new PermanentChatException($"{_url}: HTTP {(int)response.StatusCode}: {Shorten(text)}");
            try
            {
                using var doc = JsonDocument.Parse(text);
                return doc.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()
                    ?? throw new PermanentChatException($"{_url}: null message content");
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or IndexOutOfRangeException or InvalidOperationException)
            {
                throw new PermanentChatException($"{_url}: not a chat completion response: {Shorten(text)}", e);
            }
        }
    }

    static string Shorten(string s) => s.Length <= 200 ? s : s[..200] + "…";

    public void Dispose() => _http.Dispose();
}
