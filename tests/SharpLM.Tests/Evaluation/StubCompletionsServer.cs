using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace SharpLM.Tests.Evaluation;

/// <summary>What the stub answers to one request.</summary>
public sealed record StubReply(int Status, string Body, TimeSpan Delay = default, string? RetryAfter = null);

/// <summary>
/// A local OpenAI-compatible completions server on 127.0.0.1 (HttpListener, free port) for tests: the handler
/// sees each request's JSON and decides the reply. Never touches the network.
/// </summary>
public sealed class StubCompletionsServer : IDisposable
{
    readonly HttpListener _listener = new();
    readonly Func<JsonElement, int, StubReply> _handler;
    readonly Task _loop;
    int _count;

    public string Url { get; }
    public List<JsonElement> Requests { get; } = [];
    public int RequestCount => Volatile.Read(ref _count);

    public StubCompletionsServer(Func<JsonElement, int, StubReply> handler)
    {
        _handler = handler;
        int port = FreePort();
        Url = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(Url);
        _listener.Start();
        _loop = Task.Run(Loop);
    }

    static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    async Task Loop()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception) { return; }
            _ = Task.Run(() => Serve(ctx));
        }
    }

    async Task Serve(HttpListenerContext ctx)
    {
        try
        {
            using var reader = new StreamReader(ctx.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var json = JsonDocument.Parse(body).RootElement.Clone();
            int n = Interlocked.Increment(ref _count);
            lock (Requests) Requests.Add(json);
            var reply = ctx.Request.Url!.AbsolutePath == "/v1/completions"
                ? _handler(json, n)
                : new StubReply(404, "{\"error\":{\"message\":\"no route\"}}");
            if (reply.Delay > TimeSpan.Zero) await Task.Delay(reply.Delay);
            var bytes = Encoding.UTF8.GetBytes(reply.Body);
            ctx.Response.StatusCode = reply.Status;
            ctx.Response.ContentType = "application/json";
            if (reply.RetryAfter is not null) ctx.Response.Headers["Retry-After"] = reply.RetryAfter;
            await ctx.Response.OutputStream.WriteAsync(bytes);
            ctx.Response.Close();
        }
        catch (Exception)
        {
            try { ctx.Response.Abort(); } catch (Exception) { }
        }
    }

    /// <summary>A well-formed completions reply with <paramref name="text"/>.</summary>
    public static StubReply Completion(string text, string finish = "stop") =>
        new(200, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["id"] = "cmpl-1",
            ["object"] = "text_completion",
            ["choices"] = new object[] { new Dictionary<string, object> { ["index"] = 0, ["text"] = text, ["finish_reason"] = finish } },
            ["usage"] = new Dictionary<string, int> { ["prompt_tokens"] = 11, ["completion_tokens"] = 7 },
        }));

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
