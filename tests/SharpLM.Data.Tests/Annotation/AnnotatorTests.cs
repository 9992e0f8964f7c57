using System.Text.Json;
using SharpLM.Data.Annotation;

namespace SharpLM.Data.Tests.Annotation;

public class AnnotatorTests
{
    static string WritePages(string dir, int count, Func<int, string> marker)
    {
        var path = Path.Combine(dir, "pages.jsonl");
        File.WriteAllLines(path, Enumerable.Range(0, count).Select(i => JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["id"] = $"p{i}", ["url"] = $"https://example.org/{i}", ["text"] = $"Page {i}: solve $x^2 = {i}$. {marker(i)}",
        })));
        return path;
    }

    static List<JsonElement> Lines(string path) => File.ReadLines(path).Select(l => JsonDocument.Parse(l).RootElement).ToList();

    static string Marker(int i) => i switch
    {
        3 => "[flaky] [score=4]",
        5 => "[broken]",
        7 => "[bad-request]",
        _ => $"[score={i % 6}]",
    };

    [Fact]
    public async Task AnnotatesConcurrentlyRetriesAndWritesInInputOrder()
    {
        using var server = new StubChatServer();
        var dir = TestPaths.NewTempDir();
        var input = WritePages(dir, 24, Marker);
        var output = Path.Combine(dir, "out.jsonl");
        using var client = new OpenAiChatClient(server.Url, "stub", concurrency: 4, TimeSpan.FromSeconds(10));
        var logs = new List<string>();
        var options = new AnnotatorOptions { Rubric = Rubric.FineMath5, BackoffBase = TimeSpan.FromMilliseconds(5) };
        var summary = await new Annotator(client, options, l => { lock (logs) logs.Add(l); }).RunAsync(input, output, null, default);

        Assert.Equal((24L, 0L, 22L, 2L), (summary.Total, summary.AlreadyDone, summary.Annotated, summary.Failed));
        var lines = Lines(output);
        var expectedIds = Enumerable.Range(0, 24).Where(i => i is not (5 or 7)).Select(i => $"p{i}").ToArray();
        Assert.Equal(expectedIds, lines.Select(l => l.GetProperty("id").GetString()));
        Assert.All(lines, l => Assert.Equal("finemath-5", l.GetProperty("rubric").GetString()));
        Assert.Equal(4, lines.Single(l => l.GetProperty("id").GetString() == "p3").GetProperty("score").GetInt32()); // after two 503s
        Assert.Equal(2, lines.Single(l => l.GetProperty("id").GetString() == "p8").GetProperty("score").GetInt32());
        Assert.InRange(server.MaxInFlight, 2, 4);
        Assert.Contains(logs, l => l.StartsWith("page p5: no 'Final score: N'"));
        Assert.Contains(logs, l => l.StartsWith("page p7:") && l.Contains("HTTP 400"));
    }

    [Fact]
    public async Task ResumesAfterAKilledRunWithoutDuplicates()
    {
        using var server = new StubChatServer();
        var dir = TestPaths.NewTempDir();
        var input = WritePages(dir, 12, i => $"[score={i % 4}]");
        var output = Path.Combine(dir, "out.jsonl");
        using var client = new OpenAiChatClient(server.Url + "v1", "stub", 3, TimeSpan.FromSeconds(10));
        var options = new AnnotatorOptions { Rubric = Rubric.FineMath3, Limit = 5 };
        await new Annotator(client, options).RunAsync(input, output, null, default);
        Assert.Equal(5, Lines(output).Count);
        // A killed writer leaves half a line.
        File.AppendAllText(output, "{\"id\":\"p5\",\"url\":\"https://exa");
        int before = server.Requests;
        var summary = await new Annotator(client, options with { Limit = 0 }).RunAsync(input, output, null, default);
        Assert.Equal((12L, 5L, 7L, 0L), (summary.Total, summary.AlreadyDone, summary.Annotated, summary.Failed));
        Assert.Equal(7, server.Requests - before);
        var lines = Lines(output);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"p{i}"), lines.Select(l => l.GetProperty("id").GetString()));
        Assert.Equal(Enumerable.Range(0, 12).Select(i => i % 4), lines.Select(l => l.GetProperty("score").GetInt32()));
    }

    [Theory]
    [InlineData("Good page.\nFinal score: 4", 5, 4)]
    [InlineData("final SCORE:3", 5, 3)]
    [InlineData("Final score: 2. Wait, let me redo it. Final score: 5", 5, 5)]
    [InlineData("Final score: 4 out of 5", 5, 5)] // last integer after the marker, as the spec says
    [InlineData("Final score: 9", 5, 5)]
    [InlineData("Final score: -1", 5, 0)]
    [InlineData("Final score: 99999999999999999999999", 3, 3)]
    [InlineData("Score 4", 5, null)]
    [InlineData("Final score: none", 5, null)]
    public void ParsesTheFinalScore(string completion, int max, int? expected) => Assert.Equal(expected, ScoreParser.Parse(completion, max));

    [Fact]
    public void EndpointUrlsAreCompleted()
    {
        Assert.Equal("http://h:8000/v1/chat/completions", OpenAiChatClient.CompletionsUrl("http://h:8000").ToString());
        Assert.Equal("http://h:8000/v1/chat/completions", OpenAiChatClient.CompletionsUrl("http://h:8000/v1/").ToString());
        Assert.Equal("https://h/api/chat/completions", OpenAiChatClient.CompletionsUrl("https://h/api/chat/completions").ToString());
        Assert.Throws<SharpLMDataException>(() => OpenAiChatClient.CompletionsUrl("ftp://h"));
    }

    [Fact]
    public void RubricsCarryThePageAndTheMarkerInstruction()
    {
        var p = Rubric.FineMath5.Prompt("THE PAGE");
        Assert.Contains("THE PAGE", p);
        Assert.Contains("Final score: <total points>", p);
        Assert.Equal(3, Rubric.Get("finemath-3").MaxScore);
    }
}
