using SharpLM.Cli;

namespace SharpLM.Tests.Cli;

/// <summary>
/// <c>sharplm data annotate --model</c> runs SharpLM's own engine (chat template, greedy decoding) on each page. A
/// random model never writes "Final score: N", so every page must be reported as failed with that reason, nothing
/// written as an annotation, and the run must still finish with exit code 0 (a rerun retries the failed pages).
/// </summary>
public class AnnotateWithEngineTests
{
    [Fact]
    public void Pages_the_model_does_not_score_are_logged_as_failed_and_not_written()
    {
        var (model, _) = RealVocabularyTinyModel.Gguf.Value;
        string dir = TestPaths.NewTempDir("annotate-engine");
        string input = Path.Combine(dir, "pages.jsonl"), output = Path.Combine(dir, "scores.jsonl");
        File.WriteAllLines(input,
        [
            """{"id": "a", "text": "Solve $x^2 - 5x + 6 = 0$: the roots are 2 and 3."}""",
            """{"id": "b", "text": "Opening hours: Monday to Friday, 9 to 5."}""",
        ]);
        Assert.Equal(0, Program.Main(["data", "annotate", "--model", model, "--rubric", "finemath-3", "--input", input, "--out", output,
            "--max-tokens", "4", "--max-chars", "200"]));
        Assert.True(!File.Exists(output) || File.ReadAllText(output).Trim().Length == 0);
        string log = File.ReadAllText(output + ".log");
        Assert.Contains("page a: no 'Final score: N'", log);
        Assert.Contains("page b: no 'Final score: N'", log);
    }

    [Fact]
    public void A_page_longer_than_the_model_context_fails_alone()
    {
        var (model, _) = RealVocabularyTinyModel.Gguf.Value;   // 1024 positions
        string dir = TestPaths.NewTempDir("annotate-engine-long");
        string input = Path.Combine(dir, "pages.jsonl"), output = Path.Combine(dir, "scores.jsonl");
        File.WriteAllLines(input,
        [
            "{\"id\": \"long\", \"text\": \"" + string.Concat(Enumerable.Repeat("x = 1 + 2. ", 600)) + "\"}",
            """{"id": "short", "text": "1 + 1 = 2"}""",
        ]);
        Assert.Equal(0, Program.Main(["data", "annotate", "--model", model, "--rubric", "finemath-3", "--input", input, "--out", output,
            "--max-tokens", "2", "--max-chars", "10000"]));
        string log = File.ReadAllText(output + ".log");
        Assert.Contains("page long: the prompt is", log);
        Assert.Contains("page short: no 'Final score: N'", log);
    }
}
