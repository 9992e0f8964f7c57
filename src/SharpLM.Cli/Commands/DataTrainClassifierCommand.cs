using SharpLM.Cli.CommandLine;
using SharpLM.Data.Classifier;
using SharpLM.Diagnostics;

namespace SharpLM.Cli.Commands;

/// <summary><c>sharplm data train-classifier --annotations FILE --out DIR</c>: the pipeline's page scorer from LLM annotations.</summary>
public static class DataTrainClassifierCommand
{
    public const string Usage = """
        usage: sharplm data train-classifier --annotations FILE --out DIR [options]

        Trains the math classifier (hashed word/char n-gram features → linear regression on the LLM score)
        from 'data annotate' output, holds out part of it, prints precision/recall/MAE and writes DIR/classifier.json
        and DIR/weights.bin for 'data pipeline --classifier DIR'.
          --holdout F       fraction held out for the report (default 0.1)
          --epochs N        passes over the training pages (default 8)
          --lr X            AdaGrad learning rate (default 0.2)
          --hash-bits N     2^N feature buckets (default 20)
          --word-ngrams N   longest word n-gram (default 2)
          --char-ngrams A-B in-word character n-grams (default 4-4; 0 disables)
          --max-score N     top of the score scale (default: 5, or 3 when every score is ≤ 3)
          --seed N          split and shuffle seed (default 1)
        """;

    public static int Run(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h")) { Console.WriteLine(Usage); return 0; }
        var a = CommandArgs.Parse(args, valued: ["--annotations", "--out", "--holdout", "--epochs", "--lr", "--hash-bits", "--word-ngrams",
            "--char-ngrams", "--max-score", "--seed"]);
        a.NoMorePositionalThan(0);
        string annotations = a.RequiredString("--annotations"), outDir = a.RequiredString("--out");
        var pages = AnnotationFile.Read(annotations, out int skipped);
        if (pages.Count < 10) throw new SharpLMDataException(annotations, $"{pages.Count} scored pages; at least 10 are needed to train and hold out");
        var (charMin, charMax) = ParseRange(a.String("--char-ngrams", "4-4")!);
        var features = new FeatureOptions
        {
            HashBits = a.Int("--hash-bits", 20), WordNgrams = a.Int("--word-ngrams", 2), CharNgramMin = charMin, CharNgramMax = charMax,
        };
        if (features.HashBits is < 8 or > 26) throw new UsageException("--hash-bits must be in 8..26");
        if (features.WordNgrams is < 1 or > 5) throw new UsageException("--word-ngrams must be in 1..5");
        double holdout = a.Double("--holdout", 0.1);
        if (holdout is <= 0 or >= 1) throw new UsageException("--holdout must be between 0 and 1");
        int maxScore = a.Int("--max-score", pages.Max(p => p.Score) <= 3 ? 3 : 5);
        var options = new TrainerOptions
        {
            Features = features, HoldOut = holdout, Epochs = a.Int("--epochs", 8), LearningRate = a.Double("--lr", 0.2),
            Seed = a.Int("--seed", 1), MaxScore = maxScore,
        };
        Console.Error.WriteLine($"train-classifier: {pages.Count} scored pages ({skipped} without a score skipped), holding out {holdout:P0}");
        LinearScoreModel model;
        using (var progress = new ProgressReporter("train-classifier", 0, "pages"))
            model = ClassifierTrainer.Train(pages, options, progress);
        model.Save(outDir);
        Console.Write(model.Info.Report!.ToText());
        Console.WriteLine($"classifier written to {Path.GetFullPath(outDir)}");
        return 0;
    }

    static (int, int) ParseRange(string s)
    {
        if (s == "0") return (0, 0);
        var parts = s.Split('-');
        if (parts.Length is 1 or 2 && int.TryParse(parts[0], out int lo) && int.TryParse(parts[^1], out int hi) && lo is >= 1 and <= 10 && hi >= lo && hi <= 10)
            return (lo, hi);
        throw new UsageException($"--char-ngrams '{s}' is not A-B with 1 ≤ A ≤ B ≤ 10 (or 0)");
    }
}
