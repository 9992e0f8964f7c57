using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Serialization;
using SharpLM.IO;

namespace SharpLM.Data.Classifier;

/// <summary>The description of a trained model, saved as <c>classifier.json</c> beside the weights.</summary>
public sealed record ClassifierInfo
{
    [JsonPropertyName("format")] public string Format { get; set; } = "sharplm-hashed-linear-v1";
    [JsonPropertyName("features")] public FeatureOptions Features { get; set; } = new();
    [JsonPropertyName("bias")] public double Bias { get; set; }
    [JsonPropertyName("max_score")] public int MaxScore { get; set; } = 5;
    [JsonPropertyName("rubric")] public string? Rubric { get; set; }
    [JsonPropertyName("train_examples")] public int TrainExamples { get; set; }
    [JsonPropertyName("report")] public ClassifierReport? Report { get; set; }
}

/// <summary>
/// The page scorer of the pipeline: a linear regression over hashed features (<see cref="FeatureHasher"/>)
/// predicting the LLM rubric score. <see cref="Score"/> is the raw output (FineMath's <c>score</c>);
/// <see cref="IntScore"/> clamps to 0..max and rounds half to even (FineMath's <c>int_score</c>).
/// </summary>
/// <remarks>
/// On disk: a folder with <c>classifier.json</c> (<see cref="ClassifierInfo"/>) and <c>weights.bin</c>
/// (8-byte magic <c>SLMHLIN1</c>, int32 count, then that many float32 little-endian weights).
/// </remarks>
public sealed class LinearScoreModel
{
    static ReadOnlySpan<byte> Magic => "SLMHLIN1"u8;
    public const string InfoFile = "classifier.json";
    public const string WeightsFile = "weights.bin";

    public ClassifierInfo Info { get; }
    public float[] Weights { get; }
    public FeatureHasher Hasher { get; }

    public LinearScoreModel(ClassifierInfo info, float[] weights)
    {
        Hasher = new FeatureHasher(info.Features);
        if (weights.Length != Hasher.Dimensions) throw new ArgumentException($"{weights.Length} weights for {Hasher.Dimensions} features");
        Info = info;
        Weights = weights;
    }

    public double Score(string text) => Predict(Hasher.Featurize(text));

    public double Predict(SparseVector x)
    {
        double s = Info.Bias;
        for (int i = 0; i < x.Indices.Length; i++) s += Weights[x.Indices[i]] * x.Values[i];
        return s;
    }

    public long IntScore(double score) => ToIntScore(score, Info.MaxScore);

    public static long ToIntScore(double score, int maxScore) =>
        (long)Math.Round(Math.Clamp(score, 0, maxScore), MidpointRounding.ToEven);

    public void Save(string dir)
    {
        Directory.CreateDirectory(dir);
        var bytes = new byte[Magic.Length + 4 + Weights.Length * 4];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), Weights.Length);
        for (int i = 0; i < Weights.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(12 + 4 * i), Weights[i]);
        AtomicFile.WriteAllBytes(Path.Combine(dir, WeightsFile), bytes);
        AtomicFile.WriteAllText(Path.Combine(dir, InfoFile), JsonSerializer.Serialize(Info, DataJsonContext.Default.ClassifierInfo));
    }

    public static LinearScoreModel Load(string dir)
    {
        var infoPath = Path.Combine(dir, InfoFile);
        var weightsPath = Path.Combine(dir, WeightsFile);
        if (!Directory.Exists(dir)) throw new SharpLMDataException(dir, "classifier folder not found");
        if (!File.Exists(infoPath)) throw new SharpLMDataException(dir, $"not a classifier folder (no {InfoFile})");
        ClassifierInfo info;
        try
        {
            info = JsonSerializer.Deserialize(File.ReadAllText(infoPath), DataJsonContext.Default.ClassifierInfo)
                ?? throw new SharpLMDataException(infoPath, "empty classifier description");
        }
        catch (JsonException e)
        {
            throw new SharpLMDataException(infoPath, "invalid JSON: " + e.Message);
        }
        if (info.Format != "sharplm-hashed-linear-v1") throw new SharpLMDataException(infoPath, $"unknown classifier format '{info.Format}'");
        if (info.Features.HashBits is < 8 or > 26) throw new SharpLMDataException(infoPath, $"hash_bits {info.Features.HashBits} outside 8..26");
        if (info.Features.WordNgrams is < 1 or > 5 || info.Features.CharNgramMin < 0 || info.Features.CharNgramMax > 10 || info.Features.MaxTokens < 1)
            throw new SharpLMDataException(infoPath, "feature options out of range");
        if (!double.IsFinite(info.Bias) || info.MaxScore is < 1 or > 100) throw new SharpLMDataException(infoPath, "bias or max_score out of range");
        int expected = 1 << info.Features.HashBits;
        if (!File.Exists(weightsPath)) throw new SharpLMDataException(dir, $"no {WeightsFile}");
        long size = new FileInfo(weightsPath).Length;
        if (size != 12 + 4L * expected) throw new SharpLMDataException(weightsPath, $"{size} bytes, expected {12 + 4L * expected} for 2^{info.Features.HashBits} weights");
        var bytes = File.ReadAllBytes(weightsPath);
        if (!bytes.AsSpan(0, 8).SequenceEqual(Magic)) throw new SharpLMDataException(weightsPath, "not a SharpLM classifier weights file (bad magic)");
        if (BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8)) != expected) throw new SharpLMDataException(weightsPath, "weight count does not match classifier.json");
        var w = new float[expected];
        for (int i = 0; i < expected; i++)
        {
            w[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(12 + 4 * i));
            if (!float.IsFinite(w[i])) throw new SharpLMDataException(weightsPath, $"weight {i} is not finite");
        }
        return new LinearScoreModel(info, w);
    }
}
