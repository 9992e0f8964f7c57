using System.Text.Json;
using SharpLM.Data.Classifier;

namespace SharpLM.Data.Tests.Classifier;

public class ClassifierTests
{
    /// <summary>
    /// Pages from real corpora, scored by source the way the FineMath 5-point rubric would rate them:
    /// MATH problems with worked solutions 4-5, GSM8K word problems with solutions 3-4, Open Logic LaTeX
    /// prose 2-3, Shakespeare 0. Seeded noise of ±0.5 on the labels.
    /// </summary>
    internal static List<AnnotatedPage> RealPages(int perSource, int seed = 5)
    {
        var rng = new Random(seed);
        var pages = new List<AnnotatedPage>();
        double Noise() => (rng.NextDouble() - 0.5);
        foreach (var l in File.ReadLines(TestPaths.Shared("math/test.jsonl")).Take(perSource))
        {
            var o = JsonDocument.Parse(l).RootElement;
            pages.Add(new(o.GetProperty("problem").GetString() + "\n\n" + o.GetProperty("solution").GetString(), 4.5 + Noise()));
        }
        foreach (var l in File.ReadLines(TestPaths.Shared("gsm8k/train.jsonl")).Take(perSource))
        {
            var o = JsonDocument.Parse(l).RootElement;
            pages.Add(new(o.GetProperty("question").GetString() + "\n" + o.GetProperty("answer").GetString(), 3.5 + Noise()));
        }
        var tex = File.ReadAllText(TestPaths.Shared("text-corpus/openlogic.tex.txt"));
        var shakespeare = File.ReadAllText(TestPaths.Shared("text-corpus/tinyshakespeare.txt"));
        for (int i = 0; i < perSource; i++)
        {
            pages.Add(new(tex.Substring(rng.Next(tex.Length - 1500), 1500), 2.5 + Noise()));
            pages.Add(new(shakespeare.Substring(rng.Next(shakespeare.Length - 1500), 1500), Math.Max(0, 0.2 + Noise())));
        }
        return pages;
    }

    [Fact]
    public void LearnsRubricScoresFromRealPages()
    {
        var pages = RealPages(150);
        var model = ClassifierTrainer.Train(pages, new TrainerOptions { Features = new FeatureOptions { HashBits = 18 } });
        var r = model.Info.Report!;
        Assert.Equal(60, r.Examples);
        Assert.True(r.Mae < 0.6, r.ToText());
        var at3 = r.Thresholds.Single(t => t.Threshold == 3);
        Assert.True(at3.Precision > 0.9 && at3.Recall > 0.75, r.ToText());

        // Unseen pages: a MATH solution scores above a Shakespeare passage.
        var unseenMath = JsonDocument.Parse(File.ReadLines(TestPaths.Shared("math/test.jsonl")).Skip(4000).First()).RootElement;
        double math = model.Score(unseenMath.GetProperty("problem").GetString() + "\n" + unseenMath.GetProperty("solution").GetString());
        double prose = model.Score(File.ReadAllText(TestPaths.Shared("text-corpus/tinyshakespeare.txt")).Substring(500_000, 1500));
        Assert.True(math > 3 && prose < 1.5, $"math {math:F2}, prose {prose:F2}");
    }

    [Fact]
    public void TrainingIsDeterministicAndModelsRoundTrip()
    {
        var pages = RealPages(20);
        var o = new TrainerOptions { Features = new FeatureOptions { HashBits = 12 }, Epochs = 2 };
        var a = ClassifierTrainer.Train(pages, o);
        var b = ClassifierTrainer.Train(pages, o);
        Assert.Equal(a.Weights, b.Weights);
        var dir = TestPaths.NewTempDir();
        a.Save(dir);
        var loaded = LinearScoreModel.Load(dir);
        Assert.Equal(a.Weights, loaded.Weights);
        Assert.Equal(a.Score(pages[0].Text), loaded.Score(pages[0].Text));

        // Damaged files are refused with the file's name.
        var weights = Path.Combine(dir, LinearScoreModel.WeightsFile);
        File.WriteAllBytes(weights, File.ReadAllBytes(weights)[..100]);
        Assert.StartsWith(weights, Assert.Throws<SharpLMDataException>(() => LinearScoreModel.Load(dir)).Message);
        File.WriteAllText(Path.Combine(dir, LinearScoreModel.InfoFile), "{ not json");
        Assert.Contains("invalid JSON", Assert.Throws<SharpLMDataException>(() => LinearScoreModel.Load(dir)).Message);
    }

    [Fact]
    public void IntScoreRoundsLikePython()
    {
        // Python: int(round(max(0, min(s, 5)))) — round half to even.
        Assert.Equal(2, LinearScoreModel.ToIntScore(2.5, 5));
        Assert.Equal(4, LinearScoreModel.ToIntScore(3.5, 5));
        Assert.Equal(0, LinearScoreModel.ToIntScore(-1.2, 5));
        Assert.Equal(5, LinearScoreModel.ToIntScore(7.9, 5));
        Assert.Equal(3, LinearScoreModel.ToIntScore(2.51, 5));
    }

    [Fact]
    public void ReportMetricsMatchHandCounts()
    {
        // gold ≥3: items 0,1,2; predicted ≥3: items 0,1,3 → tp 2, fp 1, fn 1 → P = R = 2/3.
        var r = ClassifierReport.Compute([3, 4, 5, 1, 0], [3.2, 2.6, 2.0, 3.4, 0.1], 5);
        var t3 = r.Thresholds.Single(t => t.Threshold == 3);
        Assert.Equal(0.6667, t3.Precision);
        Assert.Equal(0.6667, t3.Recall);
        Assert.Equal(Math.Round((0.2 + 1.4 + 3.0 + 2.4 + 0.1) / 5, 4), r.Mae);
        Assert.Equal(1, r.Confusion[4][3]);
    }

    [Fact]
    public void AnnotationFileErrorsNameTheLine()
    {
        var dir = TestPaths.NewTempDir();
        var p = Path.Combine(dir, "a.jsonl");
        File.WriteAllText(p, "{\"text\":\"a\",\"score\":3}\n{\"text\":\"b\",\"score\":null,\"error\":\"x\"}\n{\"text\": 5}\n");
        var e = Assert.Throws<SharpLMDataException>(() => AnnotationFile.Read(p, out _));
        Assert.Equal(p + ":3: missing \"text\" string", e.Message);
        File.WriteAllText(p, "{\"text\":\"a\",\"score\":3}\n{\"text\":\"b\",\"score\":null}\n");
        Assert.Single(AnnotationFile.Read(p, out int skipped));
        Assert.Equal(1, skipped);
    }
}
