using SharpLM.Evaluation.Backends;

namespace SharpLM.Tests.Evaluation;

public class OpenAiCompletionsClientTests
{
    static readonly GenerationRequest Req = new("Question: 1+1?\nAnswer:", 32, ["Question:"]);

    static OpenAiCompletionsClient Client(string url, List<TimeSpan>? waits = null, int retries = 3, double timeoutSeconds = 10, int concurrency = 1) =>
        new(new EndpointOptions(url, "stub-model", TimeSpan.FromSeconds(timeoutSeconds), retries, concurrency, TimeSpan.FromMilliseconds(100)),
            delay: (t, ct) => { waits?.Add(t); return Task.CompletedTask; });

    [Theory]
    [InlineData("http://h:8080", "http://h:8080/v1/completions")]
    [InlineData("http://h:8080/", "http://h:8080/v1/completions")]
    [InlineData("http://h:8080/v1", "http://h:8080/v1/completions")]
    [InlineData("https://h/v1/", "https://h/v1/completions")]
    [InlineData("http://h/api/v1/completions", "http://h/api/v1/completions")]
    public void CompletionsUrl(string given, string expected) => Assert.Equal(expected, OpenAiCompletionsClient.CompletionsUri(given).ToString());

    [Fact]
    public void RejectsANonHttpUrl() =>
        Assert.Throws<SharpLMDataException>(() => OpenAiCompletionsClient.CompletionsUri("ftp://x"));

    [Fact]
    public void SendsGreedyRequestsAndCutsAtStops()
    {
        using var server = new StubCompletionsServer((req, n) => StubCompletionsServer.Completion(" 2\n#### 2\n\nQuestion: next one"));
        using var client = Client(server.Url);
        var r = client.Generate([Req, Req with { Prompt = "other" }], CancellationToken.None);
        Assert.Equal(2, r.Count);
        Assert.Equal(" 2\n#### 2\n\n", r[0].Text);
        Assert.Equal("stop", r[0].FinishReason);
        Assert.Equal(11, r[0].PromptTokens);
        Assert.Equal(7, r[0].OutputTokens);
        var sent = server.Requests[0];
        Assert.Equal("stub-model", sent.GetProperty("model").GetString());
        Assert.Equal(0, sent.GetProperty("temperature").GetDouble());
        Assert.Equal(32, sent.GetProperty("max_tokens").GetInt32());
        Assert.Equal("Question:", sent.GetProperty("stop")[0].GetString());
        Assert.Contains(server.Requests, q => q.GetProperty("prompt").GetString() == "other");
    }

    [Fact]
    public void RetriesServerErrorsWithBackoffThenSucceeds()
    {
        using var server = new StubCompletionsServer((req, n) => n <= 2
            ? new StubReply(503, "{\"error\":{\"message\":\"loading model\"}}")
            : StubCompletionsServer.Completion("ok"));
        var waits = new List<TimeSpan>();
        using var client = Client(server.Url, waits);
        Assert.Equal("ok", client.Generate([Req], CancellationToken.None)[0].Text);
        Assert.Equal(3, server.RequestCount);
        Assert.Equal([TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200)], waits); // doubled each retry
    }

    [Fact]
    public void HonoursRetryAfterOn429()
    {
        using var server = new StubCompletionsServer((req, n) => n == 1
            ? new StubReply(429, "{\"error\":\"slow down\"}", RetryAfter: "3")
            : StubCompletionsServer.Completion("ok"));
        var waits = new List<TimeSpan>();
        using var client = Client(server.Url, waits);
        Assert.Equal("ok", client.Generate([Req], CancellationToken.None)[0].Text);
        Assert.Equal([TimeSpan.FromSeconds(3)], waits);
    }

    [Fact]
    public void GivesUpWithTheServersMessage()
    {
        using var server = new StubCompletionsServer((req, n) => new StubReply(500, "{\"error\":{\"message\":\"CUDA out of memory\"}}"));
        using var client = Client(server.Url, retries: 2);
        var e = Assert.Throws<SharpLMDataException>(() => client.Generate([Req], CancellationToken.None));
        Assert.Contains("500", e.Message);
        Assert.Contains("CUDA out of memory", e.Message);
        Assert.Contains("gave up after 3 attempts", e.Message);
        Assert.Equal(3, server.RequestCount);
    }

    [Fact]
    public void ClientErrorsAreNotRetried()
    {
        using var server = new StubCompletionsServer((req, n) => new StubReply(400, "{\"error\":{\"message\":\"model 'stub-model' not found\"}}"));
        using var client = Client(server.Url);
        var e = Assert.Throws<SharpLMDataException>(() => client.Generate([Req], CancellationToken.None));
        Assert.Contains("model 'stub-model' not found", e.Message);
        Assert.Equal(1, server.RequestCount);
    }

    [Fact]
    public void WrongPathSaysSo()
    {
        using var server = new StubCompletionsServer((req, n) => StubCompletionsServer.Completion("x"));
        using var client = Client(server.Url + "api/other/completions");
        var e = Assert.Throws<SharpLMDataException>(() => client.Generate([Req], CancellationToken.None));
        Assert.Contains("404", e.Message);
        Assert.Contains("OpenAI-compatible", e.Message);
    }

    [Fact]
    public void TimeoutsAreRetriedAndReported()
    {
        using var server = new StubCompletionsServer((req, n) => new StubReply(200, "{}", Delay: TimeSpan.FromSeconds(3)));
        using var client = Client(server.Url, retries: 1, timeoutSeconds: 0.3);
        var e = Assert.Throws<SharpLMDataException>(() => client.Generate([Req], CancellationToken.None));
        Assert.Contains("no answer within 0.3 s", e.Message);
        Assert.Equal(2, server.RequestCount);
    }

    [Fact]
    public void UnreachableServer()
    {
        int port;
        using (var tmp = new StubCompletionsServer((r, n) => StubCompletionsServer.Completion(""))) port = new Uri(tmp.Url).Port;
        using var client = Client($"http://127.0.0.1:{port}", retries: 1);
        var e = Assert.Throws<SharpLMDataException>(() => client.Generate([Req], CancellationToken.None));
        Assert.Contains("cannot reach the server", e.Message);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("{\"choices\": []}")]
    [InlineData("{\"choices\": [{\"message\": {\"content\": \"hi\"}}]}")]
    public void MalformedRepliesFailClearly(string body)
    {
        using var server = new StubCompletionsServer((req, n) => new StubReply(200, body));
        using var client = Client(server.Url);
        var e = Assert.Throws<SharpLMDataException>(() => client.Generate([Req], CancellationToken.None));
        Assert.Contains("malformed reply", e.Message);
        Assert.Equal(1, server.RequestCount);
    }

    [Fact]
    public void CancellationStopsWaiting()
    {
        using var server = new StubCompletionsServer((req, n) => new StubReply(200, "{}", Delay: TimeSpan.FromSeconds(5)));
        using var client = Client(server.Url, timeoutSeconds: 30);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        Assert.ThrowsAny<OperationCanceledException>(() => client.Generate([Req], cts.Token));
    }
}
