using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SharpLM.Data.Tests.Annotation;

/// <summary>
/// An OpenAI-compatible chat endpoint on 127.0.0.1 for tests. It answers from markers in the page text:
/// <c>[score=N]</c> → "… Final score: N"; <c>[flaky]</c> → HTTP 503 twice, then the answer; <c>[broken]</c> → an
/// answer without the marker; <c>[bad-request]</c> → HTTP 400. Each request takes ~20 ms so requests overlap.
/// </summary>
internal sealed partial class StubChatServer : IDisposable
{
    readonly HttpListener _listener = new();
    readonly CancellationTokenSource _stop = new();
    readonly Task _loop;
    readonly Dictionary<string, int> _flakyHits = [];
    int _inFlight;

    public string Url { get; }
    public int MaxInFlight { get; private set; }
    public int Requests { get; private set; }

    [GeneratedRegex(@"\[score=(\d+)\]")]
    private static partial Regex ScoreMarker();

    public StubChatServer()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        Url = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(Url);
        _listener.Start();
        _loop = Task.Run(Loop);
    }

    async Task Loop()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception) when (_stop.IsCancellationRequested) { return; }
            catch (HttpListenerException) { return; }
            _ = Task.Run(() => Handle(ctx));
        }
    }

    async Task Handle(HttpListenerContext ctx)
    {
        int now = Interlocked.Increment(ref _inFlight);
        lock (this) { MaxInFlight = Math.Max(MaxInFlight, now); Requests++; }
        try
        {
            await Task.Delay(20);
            if (ctx.Request.Url!.AbsolutePath != "/v1/chat/completions") { Reply(ctx, 404, "{}"); return; }
            using var body = JsonDocument.Parse(await new StreamReader(ctx.Request.InputStream).ReadToEndAsync());
            var prompt = body.RootElement.GetProperty("messages")[0].GetProperty("content").GetString()!;
            if (prompt.Contains("[bad-request]")) { Reply(ctx, 400, "{\"error\":\"bad\"}"); return; }
            if (prompt.Contains("[flaky]"))
            {
                int hits;
                lock (_flakyHits) _flakyHits[prompt] = hits = _flakyHits.GetValueOrDefault(prompt) + 1;
                if (hits <= 2) { Reply(ctx, 503, "{}"); return; }
            }
            string answer = prompt.Contains("[broken]") ? "I cannot decide."
                : $"The extract has math and worked steps (3 of them, 100 words).\nFinal score: {ScoreMarker().Match(prompt).Groups[1].Value}";
            var json = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["choices"] = new[] { new Dictionary<string, object> { ["message"] = new Dictionary<string, string> { ["role"] = "assistant", ["content"] = answer } } },
            });
            Reply(ctx, 200, json);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    static void Reply(HttpListenerContext ctx, int status, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        ctx.Response.OutputStream.Write(bytes);
        ctx.Response.Close();
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _listener.Close();
        try { _loop.Wait(5000); } catch (AggregateException) { }
    }
}
