using System.Text.Json;
using SharpLM.Data.Decontam;

namespace SharpLM.Data.Tests.Decontam;

public class DecontaminatorTests
{
    static readonly Lazy<BenchmarkIndex> Index = new(() => BenchmarkIndex.Build(
    [
        new BenchmarkSource { Name = "gsm8k", Path = TestPaths.Shared("gsm8k/test.jsonl") },
        new BenchmarkSource { Name = "math", Path = TestPaths.Shared("math/test.jsonl") },
    ], 13));

    static string Field(string file, int line, string field) =>
        JsonDocument.Parse(File.ReadLines(TestPaths.Shared(file)).Skip(line).First()).RootElement.GetProperty(field).GetString()!;

    const string Intro = "Welcome to our homework help forum. Below is a question a student posted last week, followed by the discussion. ";
    const string Outro = " Thanks for reading; please leave a comment if you have a different method or spot a mistake in the reasoning.";

    [Fact]
    public void PlantedTestProblemsAreCaught()
    {
        var d = new Decontaminator(Index.Value, 0.6);
        // A GSM8K test question, verbatim inside a forum page.
        var q = Field("gsm8k/test.jsonl", 17, "question");
        var hit = d.Check(Intro + q + Outro);
        Assert.Equal(("gsm8k", 17), (hit?.Benchmark, hit?.ItemIndex));
        // Reformatted: upper case, different punctuation and line breaks — still caught.
        Assert.Equal("gsm8k", d.Check(Intro + q.ToUpperInvariant().Replace(". ", "!\n") + Outro)?.Benchmark);
        // A MATH test problem with its LaTeX re-spaced, as an extractor might emit it.
        var p = Field("math/test.jsonl", 1000, "problem");
        Assert.True(p.Split(' ').Length > 15, "pick a problem long enough for 13-grams");
        Assert.Equal("math", d.Check(Intro + p.Replace("$", " $ ").Replace("{", "{ ") + Outro)?.Benchmark);
    }

    [Fact]
    public void UnrelatedMathAndPartialOverlapAreKept()
    {
        var d = new Decontaminator(Index.Value, 0.6);
        // GSM8K *train* problems are fine to train on — except train #20, which is the same template as
        // test #632 with the names and numbers changed ("Bella/Max bought stamps at the post office…";
        // checked by hand): decontamination must flag that one.
        var flagged = new List<(int, int?)>();
        for (int i = 0; i < 50; i++)
        {
            var line = JsonDocument.Parse(File.ReadLines(TestPaths.Shared("gsm8k/train.jsonl")).Skip(i).First()).RootElement;
            if (d.Check(Intro + line.GetProperty("question").GetString() + "\n" + line.GetProperty("answer").GetString() + Outro) is { } c)
                flagged.Add((i, c.ItemIndex));
        }
        Assert.Equal([(20, (int?)632)], flagged);
        // Open Logic textbook text (math, different domain).
        var tex = File.ReadAllText(TestPaths.Shared("text-corpus/openlogic.tex.txt"));
        for (int s = 0; s < 20; s++) Assert.Null(d.Check(tex.Substring(s * 100_000, 4000)));
        // Sharing one 13-gram with a test item but not the rest of it: below the LCS ratio, kept.
        var q = Field("gsm8k/test.jsonl", 42, "question").Split(' ');
        Assert.True(q.Length >= 30);
        var partial = Intro + string.Join(' ', q.Take(14)) + " and then a completely different story about a garden, some bees, honey jars and a long summer." + Outro;
        Assert.Null(d.Check(partial));
    }

    [Fact]
    public void ShortItemsAreCountedNotSilentlyIgnored()
    {
        Assert.True(Index.Value.TooShort.GetValueOrDefault("math") > 0);
        Assert.Equal(1319 - Index.Value.TooShort.GetValueOrDefault("gsm8k"), Index.Value.Items.Count(i => i.Benchmark == "gsm8k"));
    }

    [Fact]
    public void LcsMatchesHandValues()
    {
        Assert.Equal(4, Lcs.Length([1, 2, 3, 4, 5, 6, 7], [2, 9, 3, 4, 8, 6]));
        Assert.Equal(0, Lcs.Length([1, 2], [3, 4]));
        Assert.Equal(3, Lcs.Length([1, 2, 3], [1, 2, 3]));
    }

    [Fact]
    public void BadBenchmarkFilesAreClearErrors()
    {
        var dir = TestPaths.NewTempDir();
        var p = Path.Combine(dir, "b.jsonl");
        File.WriteAllText(p, "{\"question\": \"q\"}\n{\"other\": 1}\n");
        var e = Assert.Throws<SharpLMDataException>(() => BenchmarkIndex.Build([new BenchmarkSource { Name = "gsm8k", Path = p }], 13));
        Assert.Equal(p + ":2: no \"question\" string (set \"fields\" for benchmark 'gsm8k')", e.Message);
    }
}
