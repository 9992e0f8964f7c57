using SharpLM.Diagnostics;

namespace SharpLM.Data.Classifier;

/// <summary>Training settings of <see cref="ClassifierTrainer"/>.</summary>
public sealed record TrainerOptions
{
    public FeatureOptions Features { get; init; } = new();
    /// <summary>Fraction of pages held out for the report (deterministic split by <see cref="Seed"/>).</summary>
    public double HoldOut { get; init; } = 0.1;
    public int Epochs { get; init; } = 8;
    public double LearningRate { get; init; } = 0.2;
    /// <summary>L2 penalty per update (weight decay on the touched weights).</summary>
    public double L2 { get; init; } = 1e-6;
    public int Seed { get; init; } = 1;
    public int MaxScore { get; init; } = 5;
    public string? Rubric { get; init; }
}

/// <summary>
/// Fits <see cref="LinearScoreModel"/> to LLM scores: squared loss, AdaGrad per weight (sparse features
/// have very different frequencies; AdaGrad gives rare ones larger steps), bias initialised to the mean
/// score, pages visited in a seeded shuffled order each epoch. Deterministic: same pages and options, same
/// weights, bit for bit.
/// </summary>
public static class ClassifierTrainer
{
    /// <summary>Feature vectors kept in memory across epochs, at most this many nonzeros (≈ 256 MiB); the rest are recomputed.</summary>
    const long CacheNonzeros = 32L << 20;

    public static LinearScoreModel Train(IReadOnlyList<AnnotatedPage> pages, TrainerOptions o, ProgressReporter? progress = null)
    {
        if (pages.Count < 2) throw new ArgumentException("need at least 2 annotated pages", nameof(pages));
        var hasher = new FeatureHasher(o.Features);
        var order = Enumerable.Range(0, pages.Count).ToArray();
        new Random(o.Seed).Shuffle(order);
        int held = pages.Count >= 10 ? Math.Max(1, (int)Math.Round(pages.Count * o.HoldOut)) : 0;
        var test = order[..held];
        var train = order[held..];

        var cache = new SparseVector?[pages.Count];
        long cached = 0;
        SparseVector Vector(int i)
        {
            if (cache[i] is { } v) return v;
            v = hasher.Featurize(pages[i].Text);
            if (cached + v.Indices.Length <= CacheNonzeros)
            {
                cache[i] = v;
                cached += v.Indices.Length;
            }
            return v;
        }

        var w = new float[hasher.Dimensions];
        var g2 = new float[hasher.Dimensions];
        double bias = train.Average(i => pages[i].Score), biasG2 = 0;
        const double eps = 1e-8;
        var rng = new Random(o.Seed + 1);
        progress?.SetTotal((long)o.Epochs * train.Length);
        long step = 0;
        for (int epoch = 0; epoch < o.Epochs; epoch++)
        {
            rng.Shuffle(train);
            double loss = 0;
            int done = 0;
            foreach (var i in train)
            {
                var x = Vector(i);
                double pred = bias;
                for (int k = 0; k < x.Indices.Length; k++) pred += w[x.Indices[k]] * x.Values[k];
                double err = pred - pages[i].Score; // d(½err²)/dpred
                loss += err * err;
                for (int k = 0; k < x.Indices.Length; k++)
                {
                    int j = x.Indices[k];
                    double g = err * x.Values[k] + o.L2 * w[j];
                    g2[j] += (float)(g * g);
                    w[j] -= (float)(o.LearningRate * g / Math.Sqrt(g2[j] + eps));
                }
                biasG2 += err * err;
                bias -= o.LearningRate * err / Math.Sqrt(biasG2 + eps);
                step++;
                done++;
                if ((step & 255) == 0) progress?.Report(step, $"epoch {epoch + 1} mse {loss / done:F3}");
            }
            progress?.Report(step, $"epoch {epoch + 1} mse {loss / train.Length:F3}");
        }

        var info = new ClassifierInfo { Features = o.Features, Bias = bias, MaxScore = o.MaxScore, Rubric = o.Rubric, TrainExamples = train.Length };
        var model = new LinearScoreModel(info, w);
        var report = ClassifierReport.Compute(test.Select(i => pages[i].Score).ToArray(), test.Select(i => model.Predict(Vector(i))).ToArray(), o.MaxScore);
        return new LinearScoreModel(info with { Report = report }, w);
    }
}
