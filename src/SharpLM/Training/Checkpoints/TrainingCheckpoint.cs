using System.Text.Json;
using SharpLM.Formats;
using SharpLM.Formats.Safetensors;
using SharpLM.IO;
using SharpLM.Models.Gemma3;
using SharpLM.Training.Optimization;

namespace SharpLM.Training.Checkpoints;

/// <summary>
/// Checkpoints of a training run, laid out so that a kill −9 at any moment loses at most the work since the
/// last save and never damages a saved one:
/// <code>
/// OUT/checkpoints/step-00000200/   config.json, model.safetensors (F32, HF names of spec §3.1), tokenizer.json,
///                                  trainer/optimizer.safetensors (AdamW moments), trainer/state.json
/// OUT/config.json, OUT/model.safetensors, OUT/tokenizer.json -> checkpoints/step-00000200/…
///     (relative symlinks, each replaced atomically: OUT is itself an HF model folder of the newest save)
/// </code>
/// A checkpoint is written into <c>checkpoints/.tmp-…</c>, every file flushed to disk, then the folder is
/// renamed into place; only then do OUT's links move and do older checkpoints (beyond the newest
/// <c>keep</c>) get deleted. Resume takes the newest complete <c>step-*</c> folder.
/// </summary>
public static unsafe class TrainingCheckpoint
{
    public const string CheckpointsDir = "checkpoints";
    public const string TrainerDir = "trainer";
    public const string StateFile = "state.json";
    public const string OptimizerFile = "optimizer.safetensors";
    public const string TokenizerFile = "tokenizer.json";
    const string ExpAvg = "exp_avg.";
    const string ExpAvgSq = "exp_avg_sq.";

    public static string StepDirName(long step) => $"step-{step:D8}";

    /// <summary>Saves a checkpoint of <paramref name="model"/> at <paramref name="state"/>.Step under <paramref name="outDir"/>; returns its folder.</summary>
    public static string Save(string outDir, Gemma3TrainingModel<float> model, Optimizer optimizer, TrainerState state,
        string? tokenizerJson, int keep)
    {
        string root = Path.Combine(outDir, CheckpointsDir);
        Directory.CreateDirectory(root);
        string final = Path.Combine(root, StepDirName(state.Step));
        string temp = Path.Combine(root, $".tmp-{StepDirName(state.Step)}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(Path.Combine(temp, TrainerDir));

        HfConfig.Write(Path.Combine(temp, HfConfig.FileName), model.Config, "float32");
        var sw = new SafetensorsWriter();
        sw.SetMetadata("format", "pt");
        sw.SetMetadata("step", state.Step.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var t in model.Layout.Tensors) AddF32(sw, t.Name, t.Shape, model.Parameters.At(t.Offset), t.Count);
        sw.Write(Path.Combine(temp, SafetensorsCheckpoint.SingleFileName));

        var ow = new SafetensorsWriter();
        ow.SetMetadata("optimizer", optimizer.Options.Kind == OptimizerKind.AdamW ? "adamw" : "sgd");
        ow.SetMetadata("step", optimizer.Step.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (optimizer.M is { } m && optimizer.V is { } v)
            foreach (var t in model.Layout.Tensors)
            {
                AddF32(ow, ExpAvg + t.Name, t.Shape, m.At(t.Offset), t.Count);
                AddF32(ow, ExpAvgSq + t.Name, t.Shape, v.At(t.Offset), t.Count);
            }
        ow.Write(Path.Combine(temp, TrainerDir, OptimizerFile));
        if (tokenizerJson is not null)
            AtomicFile.WriteAllBytes(Path.Combine(temp, TokenizerFile), File.ReadAllBytes(tokenizerJson));
        AtomicFile.WriteAllText(Path.Combine(temp, TrainerDir, StateFile), JsonSerializer.Serialize(state, TrainingJsonContext.Default.TrainerState));

        if (Directory.Exists(final)) Directory.Delete(final, recursive: true); // a re-save of the same step (e.g. after a resume)
        Directory.Move(temp, final);
        PointLatest(outDir, final, tokenizerJson is not null);
        Prune(root, keep);
        return final;
    }

    static void AddF32(SafetensorsWriter w, string name, int[] shape, float* data, long count)
    {
        w.AddTensor(name, SafetensorsDType.F32, shape.Select(s => (long)s).ToArray(), s =>
        {
            const long chunk = 1 << 28;
            byte* p = (byte*)data;
            for (long done = 0, total = count * 4; done < total; done += chunk)
                s.Write(new ReadOnlySpan<byte>(p + done, (int)Math.Min(chunk, total - done)));
        });
    }

    /// <summary>Points OUT's model files at <paramref name="checkpoint"/>'s.</summary>
    static void PointLatest(string outDir, string checkpoint, bool hasTokenizer)
    {
        string rel = Path.Combine(CheckpointsDir, Path.GetFileName(checkpoint));
        ReplaceSymlink(Path.Combine(outDir, HfConfig.FileName), Path.Combine(rel, HfConfig.FileName));
        ReplaceSymlink(Path.Combine(outDir, SafetensorsCheckpoint.SingleFileName), Path.Combine(rel, SafetensorsCheckpoint.SingleFileName));
        if (hasTokenizer) ReplaceSymlink(Path.Combine(outDir, TokenizerFile), Path.Combine(rel, TokenizerFile));
    }

    /// <summary>Creates a relative symlink under a temp name, then renames it over <paramref name="link"/> (atomic).</summary>
    static void ReplaceSymlink(string link, string target)
    {
        var existing = new FileInfo(link);
        if (existing.Exists && existing.LinkTarget is null)
            throw new SharpLMDataException(link, "exists and is not a link made by sharplm train; refusing to replace it");
        string temp = link + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        File.CreateSymbolicLink(temp, target);
        File.Move(temp, link, overwrite: true);
    }

    static void Prune(string root, int keep)
    {
        var steps = CompleteCheckpoints(root);
        for (int i = 0; i < steps.Count - Math.Max(1, keep); i++)
            Directory.Delete(steps[i].Dir, recursive: true);
        foreach (var d in Directory.GetDirectories(root, ".tmp-*")) // leftovers of killed saves
            try { Directory.Delete(d, recursive: true); } catch (IOException) { }
    }

    /// <summary>Complete checkpoints under OUT/checkpoints, oldest first.</summary>
    public static List<(long Step, string Dir)> CompleteCheckpoints(string root)
    {
        var list = new List<(long, string)>();
        if (!Directory.Exists(root)) return list;
        foreach (var d in Directory.GetDirectories(root, "step-*"))
        {
            if (!long.TryParse(Path.GetFileName(d)["step-".Length..], System.Globalization.NumberStyles.None,
                    System.Globalization.CultureInfo.InvariantCulture, out long step)) continue;
            if (!File.Exists(Path.Combine(d, TrainerDir, StateFile))) continue;
            list.Add((step, d));
        }
        list.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return list;
    }

    /// <summary>The newest complete checkpoint of the run in <paramref name="outDir"/>, or null.</summary>
    public static string? Latest(string outDir)
    {
        var all = CompleteCheckpoints(Path.Combine(outDir, CheckpointsDir));
        return all.Count == 0 ? null : all[^1].Dir;
    }

    /// <summary>Reads state.json of <paramref name="checkpoint"/>.</summary>
    public static TrainerState ReadState(string checkpoint)
    {
        string path = Path.Combine(checkpoint, TrainerDir, StateFile);
        try
        {
            var s = JsonSerializer.Deserialize(File.ReadAllBytes(path), TrainingJsonContext.Default.TrainerState)
                ?? throw new SharpLMDataException(path, "empty trainer state");
            if (s.Format != TrainerState.CurrentFormat) throw new SharpLMDataException(path, $"trainer state format {s.Format} is not supported (this build reads {TrainerState.CurrentFormat})");
            if (s.Step < 0) throw new SharpLMDataException(path, $"invalid step {s.Step}");
            return s;
        }
        catch (JsonException e)
        {
            throw new SharpLMDataException(path, $"invalid trainer state: {e.Message}");
        }
        catch (FileNotFoundException)
        {
            throw new SharpLMDataException(path, "missing (not a complete training checkpoint)");
        }
    }

    /// <summary>Reads the config of a checkpoint folder.</summary>
    public static Gemma3Config ReadConfig(string checkpoint) => HfConfig.Read(Path.Combine(checkpoint, HfConfig.FileName));

    /// <summary>Loads the weights (F32, every tensor of the layout, exact shapes) into <paramref name="model"/>.</summary>
    public static void LoadWeights(string checkpoint, Gemma3TrainingModel<float> model)
    {
        using var f = SafetensorsFile.Open(Path.Combine(checkpoint, SafetensorsCheckpoint.SingleFileName));
        foreach (var t in model.Layout.Tensors) CopyF32(f, t.Name, t.Shape, model.Parameters.At(t.Offset), t.Count);
    }

    /// <summary>Loads the optimizer moments and step (AdamW) into <paramref name="optimizer"/>.</summary>
    public static void LoadOptimizer(string checkpoint, ParameterLayout layout, Optimizer optimizer)
    {
        string path = Path.Combine(checkpoint, TrainerDir, OptimizerFile);
        using var f = SafetensorsFile.Open(path);
        string kind = f.Metadata.TryGetValue("optimizer", out var k) ? k : "?";
        string expect = optimizer.Options.Kind == OptimizerKind.AdamW ? "adamw" : "sgd";
        if (kind != expect) throw new SharpLMDataException(path, $"optimizer state is for '{kind}', the run uses '{expect}'");
        if (!f.Metadata.TryGetValue("step", out var stepText) || !long.TryParse(stepText, System.Globalization.CultureInfo.InvariantCulture, out long step) || step < 0)
            throw new SharpLMDataException(path, "missing or invalid 'step' metadata");
        optimizer.Step = step;
        if (optimizer.M is { } m && optimizer.V is { } v)
            foreach (var t in layout.Tensors)
            {
                CopyF32(f, ExpAvg + t.Name, t.Shape, m.At(t.Offset), t.Count);
                CopyF32(f, ExpAvgSq + t.Name, t.Shape, v.At(t.Offset), t.Count);
            }
    }

    static void CopyF32(SafetensorsFile f, string name, int[] shape, float* dst, long count)
    {
        if (!f.TryGetTensor(name, out var t)) throw new SharpLMDataException(f.Path, $"missing tensor '{name}'");
        if (t.DType != SafetensorsDType.F32) throw new SharpLMDataException(f.Path, $"tensor '{name}' is {t.DType}; training checkpoints hold F32");
        if (!t.Shape.SequenceEqual(shape.Select(s => (long)s)))
            throw new SharpLMDataException(f.Path, $"tensor '{name}' has shape [{string.Join(", ", t.Shape)}], the model needs [{string.Join(", ", shape)}]");
        Buffer.MemoryCopy(f.TensorData(t), dst, count * 4, count * 4);
    }
}
