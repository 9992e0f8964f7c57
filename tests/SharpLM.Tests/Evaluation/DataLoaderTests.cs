using SharpLM.Evaluation.Data;
using SharpLM.Evaluation.Scoring;

namespace SharpLM.Tests.Evaluation;

public class DataLoaderTests
{
    static string Write(string content, string name = "data.jsonl")
    {
        var p = Path.Combine(TestPaths.NewTempDir("eval-data"), name);
        File.WriteAllText(p, content);
        return p;
    }

    [Fact]
    public void LoadsTheRealFiles()
    {
        Assert.Equal(1319, EvalDataLoader.LoadGsm8k(TestPaths.Shared("gsm8k/test.jsonl")).Count);
        Assert.Equal(7473, EvalDataLoader.LoadGsm8k(TestPaths.Shared("gsm8k/train.jsonl")).Count);
        var math = EvalDataLoader.LoadMath(TestPaths.Shared("math/test.jsonl"));
        Assert.Equal(5000, math.Count);
        Assert.Equal("2", math[0].Answer);                  // from the last \boxed{} of the solution
        Assert.Equal("Algebra", math[0].Subject);
        var m500 = EvalDataLoader.LoadMath(TestPaths.Shared("math/math500_test.jsonl"));
        Assert.Equal(500, m500.Count);
        Assert.Equal("test/precalculus/807.json", m500[0].Id);
        Assert.Equal("Precalculus", m500[0].Subject);
    }

    [Theory]
    [InlineData("{\"question\": \"q\", \"answer\": \"a #### 1\"}\n{\"question\": \"q\"\n", 2, "malformed JSON")]
    [InlineData("{\"question\": \"q\", \"answer\": \"a #### 1\"}\n{\"question\": \"q\"}\n", 2, "missing field \"answer\"")]
    [InlineData("{\"question\": 5, \"answer\": \"a #### 1\"}\n", 1, "field \"question\" must be a string, found a number")]
    [InlineData("[1, 2]\n", 1, "expected a JSON object, found an array")]
    [InlineData("{\"question\": \"q\", \"answer\": \"no final line\"}\n", 1, "has no \"#### <final answer>\" line")]
    [InlineData("\n\n{\"question\": \"q\", \"answer\": \"a #### 1\"}\n{oops}\n", 4, "malformed JSON")]   // blank lines still counted
    public void Gsm8kErrorsNameFileAndLine(string content, int line, string reason)
    {
        var p = Write(content);
        var e = Assert.Throws<SharpLMDataException>(() => EvalDataLoader.LoadGsm8k(p));
        Assert.StartsWith($"{p}:{line}: ", e.Message);
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void MathErrors()
    {
        var p = Write("{\"problem\": \"p\", \"solution\": \"no box here\"}\n");
        var e = Assert.Throws<SharpLMDataException>(() => EvalDataLoader.LoadMath(p));
        Assert.Contains(":1: field \"solution\" has no \\boxed{...} answer", e.Message);
        var ok = Write("{\"problem\": \"p\", \"solution\": \"s\", \"answer\": \"3\", \"level\": 2}\n");
        Assert.Equal("3", EvalDataLoader.LoadMath(ok)[0].Answer);
        Assert.Equal("2", EvalDataLoader.LoadMath(ok)[0].Level);
    }

    [Fact]
    public void InvalidUtf8EmptyFilesHugeLinesAndMissingFiles()
    {
        var dir = TestPaths.NewTempDir("eval-bad");
        var bad = Path.Combine(dir, "bad.jsonl");
        File.WriteAllBytes(bad, [.. "{\"question\": \"q\", \"answer\": \"#### 1\"}\n"u8, 0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a]);
        var e = Assert.Throws<SharpLMDataException>(() => EvalDataLoader.LoadGsm8k(bad));
        Assert.Contains(":2: invalid UTF-8", e.Message);

        var empty = Path.Combine(dir, "empty.jsonl");
        File.WriteAllText(empty, "\n\n");
        Assert.Contains("no records", Assert.Throws<SharpLMDataException>(() => EvalDataLoader.LoadGsm8k(empty)).Message);

        var huge = Path.Combine(dir, "huge.jsonl");
        File.WriteAllText(huge, "{\"question\": \"" + new string('x', 3000) + "\"}\n");
        var h = Assert.Throws<SharpLMDataException>(() => JsonlFile.Read(huge, maxLineBytes: 1000).ToList());
        Assert.Contains(":1: line longer than 1000 bytes", h.Message);

        Assert.Contains("file not found", Assert.Throws<SharpLMDataException>(() => EvalDataLoader.LoadGsm8k(Path.Combine(dir, "nope.jsonl"))).Message);

        var bom = Path.Combine(dir, "bom.jsonl");
        File.WriteAllBytes(bom, [0xEF, 0xBB, 0xBF, .. "{\"question\": \"q\", \"answer\": \"#### 1\"}\r\n"u8]);
        Assert.Equal("1", EvalDataLoader.LoadGsm8k(bom)[0].FinalAnswer);
    }
}

public class PredictionScorerTests
{
    static readonly string Gsm8kPath = TestPaths.Shared("gsm8k/test.jsonl");
    static readonly IReadOnlyList<Gsm8kProblem> Gsm8k = EvalDataLoader.LoadGsm8k(Gsm8kPath);

    static string Predictions(string content)
    {
        var p = Path.Combine(TestPaths.NewTempDir("eval-pred"), "pred.jsonl");
        File.WriteAllText(p, content);
        return p;
    }

    [Fact]
    public void ScoresGoldsAsCorrectAndOthersAsWrong()
    {
        var lines = Gsm8k.Take(20).Select(p => System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["index"] = p.Index,
            ["prediction"] = p.Index < 15 ? p.Answer : "I give up",
        }));
        var r = PredictionScorer.ScoreGsm8k(Gsm8k, Gsm8kPath, Predictions(string.Join("\n", lines) + "\n"));
        Assert.Equal(20, r.Score.Total);
        Assert.Equal(15, r.Score.Correct);
        Assert.Equal(0.75, r.Score.Accuracy.Mean);
        // lighteval's mean_stderr: sqrt(p(1-p)/(n-1)) for 0/1 scores
        Assert.Equal(Math.Sqrt(0.75 * 0.25 / 19), r.Score.Accuracy.Stderr!.Value, 12);
        Assert.Equal(1319, r.DataRecords);
    }

    [Theory]
    [InlineData("{\"index\": 1319, \"prediction\": \"x\"}", 1, "index 1319 is out of range: test.jsonl has 1319 lines (indices 0..1318)")]
    [InlineData("{\"index\": -1, \"prediction\": \"x\"}", 1, "field \"index\" must be a non-negative integer, found -1")]
    [InlineData("{\"index\": 2.5, \"prediction\": \"x\"}", 1, "must be a non-negative integer, found 2.5")]
    [InlineData("{\"index\": \"3\", \"prediction\": \"x\"}", 1, "must be a non-negative integer, found \"3\"")]
    [InlineData("{\"prediction\": \"x\"}", 1, "missing field \"index\"")]
    [InlineData("{\"index\": 3}", 1, "missing field \"prediction\"")]
    [InlineData("{\"index\": 3, \"prediction\": null}", 1, "field \"prediction\" must be a string, found null")]
    [InlineData("{\"index\": 3, \"prediction\": \"a\"}\n{\"index\": 3, \"prediction\": \"b\"}", 2, "index 3 was already given on line 1")]
    [InlineData("{\"index\": 3, \"prediction\": \"a\"}\nnot json", 2, "malformed JSON")]
    public void BadPredictionsNameTheLine(string content, int line, string reason)
    {
        var p = Predictions(content);
        var e = Assert.Throws<SharpLMDataException>(() => PredictionScorer.ScoreGsm8k(Gsm8k, Gsm8kPath, p));
        Assert.StartsWith($"{p}:{line}: ", e.Message);
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void EmptyPredictionsAndBlankDataLines()
    {
        Assert.Contains("no predictions", Assert.Throws<SharpLMDataException>(() => PredictionScorer.ScoreGsm8k(Gsm8k, Gsm8kPath, Predictions("\n"))).Message);
        var dataPath = Path.Combine(TestPaths.NewTempDir("eval-blank"), "d.jsonl");
        File.WriteAllText(dataPath, "{\"question\": \"q\", \"answer\": \"#### 1\"}\n\n{\"question\": \"r\", \"answer\": \"#### 2\"}\n");
        var data = EvalDataLoader.LoadGsm8k(dataPath);
        Assert.Equal(2, data[1].Index);
        var e = Assert.Throws<SharpLMDataException>(() => PredictionScorer.ScoreGsm8k(data, dataPath, Predictions("{\"index\": 1, \"prediction\": \"1\"}")));
        Assert.Contains("index 1 is a blank line of d.jsonl", e.Message);
        Assert.Equal(1, PredictionScorer.ScoreGsm8k(data, dataPath, Predictions("{\"index\": 2, \"prediction\": \"#### 2\"}")).Score.Correct);
    }

    [Fact]
    public void ScoresMath500()
    {
        var path = TestPaths.Shared("math/math500_test.jsonl");
        var data = EvalDataLoader.LoadMath(path);
        var preds = string.Join("\n", data.Take(50).Select(p => System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["index"] = p.Index,
            ["prediction"] = p.Solution,  // the reference solution itself must score as correct
        })));
        var r = PredictionScorer.ScoreMath("math500", data, path, Predictions(preds));
        Assert.Equal(50, r.Score.Correct);
        Assert.Equal(1.0, r.Score.Metrics["quasi_exact_match"].Mean);
    }
}
