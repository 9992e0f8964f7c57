using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using SharpLM.Diagnostics;
using SharpLM.Formats;
using SharpLM.Kernels.Training;
using SharpLM.Models.Gemma3;
using SharpLM.Training.Checkpoints;
using SharpLM.Training.Data;
using SharpLM.Training.Optimization;

namespace SharpLM.Training;

/// <summary>
/// The training loop of <c>sharplm train</c>: builds or loads the model, walks the data with
/// <see cref="BatchSampler"/>, runs forward/backward per micro-batch, clips, updates, evaluates, logs
/// metrics and checkpoints. Resuming from a checkpoint continues to weights bit-identical to an
/// uninterrupted run (every kernel is deterministic and the data order is a function of the step).
/// </summary>
public sealed class Trainer
{
    readonly TrainerOptions _o;
    readonly Action<string> _log;
    readonly ProgressReporter? _progress;

    /// <param name="log">Notable events (resumed, evaluation results, checkpoint saved), one line each.</param>
    public Trainer(TrainerOptions options, Action<string>? log = null, ProgressReporter? progress = null)
    {
        _o = options;
        _log = log ?? (_ => { });
        _progress = progress;
    }

    public TrainingResult Run(CancellationToken cancel = default)
    {
        string outDir = Path.GetFullPath(_o.OutDir);
        string? resumeFrom = FindResumePoint(outDir);
        TrainerState? state = resumeFrom is null ? null : TrainingCheckpoint.ReadState(resumeFrom);

        using var data = TokenDataset.Open(_o.DataPath);
        var config = ResolveConfig(resumeFrom, data);
        var hp = ResolveHyperparameters(state, resumeFrom);
        data.Limit = config.VocabSize;
        CheckData(state, data, resumeFrom);
        string? tokenizer = ResolveTokenizer(resumeFrom, data);

        CheckMemory(config, hp);
        using var workers = new Workers(_o.Threads);
        using var model = new Gemma3TrainingModel<float>(config, workers);
        using var optimizer = new Optimizer(model.Layout, new OptimizerOptions
        {
            Kind = hp.Optimizer == "sgd" ? OptimizerKind.Sgd : OptimizerKind.AdamW,
            WeightDecay = hp.WeightDecay, Beta1 = hp.Beta1, Beta2 = hp.Beta2, Epsilon = hp.Epsilon,
        });
        long step = 0, tokensSeen = 0;
        if (resumeFrom is not null)
        {
            TrainingCheckpoint.LoadWeights(resumeFrom, model);
            TrainingCheckpoint.LoadOptimizer(resumeFrom, model.Layout, optimizer);
            step = state!.Step;
            tokensSeen = state.TokensSeen;
            _log($"resumed from {Path.GetRelativePath(outDir, resumeFrom)} at step {step}");
        }
        else if (_o.InitPath is not null)
        {
            using var source = Gemma3Model.Load(_o.InitPath);
            ModelImport.CopyWeights(source, model);
        }
        else
        {
            model.InitializeWeights(hp.Seed);
        }

        using var evalData = _o.EvalDataPath is null ? null : TokenDataset.Open(_o.EvalDataPath);
        if (evalData is not null) evalData.Limit = config.VocabSize;

        var schedule = new LearningRateSchedule(LearningRateSchedule.Parse(hp.Schedule), hp.Lr, hp.MinLr, hp.Warmup, hp.Steps);
        var sampler = new BatchSampler(data.Source, data.Count, hp.Batch, hp.Seq, hp.GradAccum,
            hp.Order == "sequential" ? DataOrder.Sequential : DataOrder.Shuffled, hp.Seed);
        int saveEvery = _o.SaveEvery > 0 ? _o.SaveEvery : (int)Math.Max(1, (hp.Steps + 9) / 10);
        int evalEvery = _o.EvalEvery > 0 ? _o.EvalEvery : saveEvery;
        Directory.CreateDirectory(outDir);
        using var metrics = new TrainingMetrics(outDir, resumeFrom is null ? -1 : step);
        string title = $"{ModelName(config)} · {model.Layout.ParameterCount / 1e6:F1}M parameters · B={hp.Batch} T={hp.Seq}";

        TrainerState Snapshot(double? loss, double? evalLoss) => new()
        {
            Step = step, TokensSeen = tokensSeen, Hyperparameters = hp, LastLoss = loss, LastEvalLoss = evalLoss,
            Data = new DataIdentity { Source = data.Source, Tokens = data.Count, VocabSize = data.VocabSize },
            Parameters = model.Layout.ParameterCount,
            Version = typeof(Trainer).Assembly.GetName().Version?.ToString(),
        };

        int N = hp.Batch * hp.Seq;
        var inputs = new int[N];
        var targets = new int[N];
        var window = new int[hp.Seq + 1];
        double? lastLoss = state?.LastLoss, lastEval = state?.LastEvalLoss;
        string checkpoint = resumeFrom ?? "";
        double gradScale = 1.0 / ((double)N * hp.GradAccum);
        var clock = Stopwatch.StartNew();
        long tokensThisRun = 0;
        _progress?.SetTotal(hp.Steps);
        _progress?.SetResumedFrom(step);

        if (evalData is not null && step == 0)
        {
            lastEval = Evaluate(model, evalData, hp);
            metrics.Append(new MetricsRecord { Step = 0, EvalLoss = lastEval, Tokens = 0 });
            _log(string.Create(CultureInfo.InvariantCulture, $"step 0: eval loss {lastEval:F4}"));
        }

        while (step < hp.Steps)
        {
            if (cancel.IsCancellationRequested)
            {
                checkpoint = Save(outDir, model, optimizer, Snapshot(lastLoss, lastEval), tokenizer, metrics, title);
                throw new OperationCanceledException($"interrupted at step {step}; saved {checkpoint}", cancel);
            }

            // ---- one optimizer step: K micro-batches of B×T, mean loss over all B·T·K targets ----
            double lr = schedule.At(step);
            model.ZeroGradients();
            double lossSum = 0;
            long count = 0;
            for (int k = 0; k < hp.GradAccum; k++)
            {
                sampler.Fill(data, step, k, inputs, targets, window);
                var (s, c) = model.ForwardBackward(inputs, targets, hp.Batch, hp.Seq, gradScale);
                lossSum += s;
                count += c;
            }
            double loss = lossSum / count;
            double gradNorm = optimizer.GradientNorm(workers, model.Gradients);
            if (!double.IsFinite(loss) || !double.IsFinite(gradNorm))
                throw new SharpLMDataException(outDir,
                    $"{(double.IsFinite(loss) ? "gradient norm" : "loss")} is {(double.IsFinite(loss) ? gradNorm : loss)} at step {step + 1}; stopped without updating. " +
                    (checkpoint.Length > 0 ? $"The last good checkpoint is {checkpoint}." : "No checkpoint was saved yet.") +
                    " Try a lower --lr, a longer --warmup or --clip.");
            double clipScale = hp.Clip > 0 && gradNorm > hp.Clip ? hp.Clip / gradNorm : 1;
            optimizer.Update(workers, model.Parameters, model.Gradients, lr, clipScale);
            step++;
            tokensSeen += (long)N * hp.GradAccum;
            tokensThisRun += (long)N * hp.GradAccum;
            lastLoss = loss;

            double elapsed = clock.Elapsed.TotalSeconds;
            double tps = tokensThisRun / Math.Max(elapsed, 1e-9);
            metrics.Append(new MetricsRecord
            {
                Step = step, Loss = loss, Lr = lr, GradNorm = gradNorm, Tokens = tokensSeen,
                TokensPerSecond = Math.Round(tps, 1), ElapsedSeconds = Math.Round(elapsed, 3),
            });
            _progress?.Report(step, string.Create(CultureInfo.InvariantCulture, $"loss {loss:F4} | lr {lr:0.0e+0} | {FormatRate(tps)} tok/s"));

            if (evalData is not null && (step % evalEvery == 0 || step == hp.Steps))
            {
                lastEval = Evaluate(model, evalData, hp);
                metrics.Append(new MetricsRecord { Step = step, EvalLoss = lastEval, Tokens = tokensSeen });
                _log(string.Create(CultureInfo.InvariantCulture, $"step {step}: train loss {loss:F4}, eval loss {lastEval:F4}"));
            }
            if (step % saveEvery == 0 || step == hp.Steps)
                checkpoint = Save(outDir, model, optimizer, Snapshot(lastLoss, lastEval), tokenizer, metrics, title);
        }
        if (checkpoint.Length == 0) // nothing to do (already at --steps): still leave the model in place
            checkpoint = Save(outDir, model, optimizer, Snapshot(lastLoss, lastEval), tokenizer, metrics, title);
        double rate = tokensThisRun / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
        return new TrainingResult(step, tokensSeen, lastLoss, lastEval, checkpoint, rate, model.Layout.ParameterCount, resumeFrom is not null);
    }

    string Save(string outDir, Gemma3TrainingModel<float> model, Optimizer optimizer, TrainerState state, string? tokenizer,
        TrainingMetrics metrics, string title)
    {
        string dir = TrainingCheckpoint.Save(outDir, model, optimizer, state, tokenizer, _o.KeepCheckpoints);
        metrics.WritePlot(outDir, title);
        return dir;
    }

    /// <summary>Mean next-token loss over the first min(EvalBatches, available) batches of sequential windows.</summary>
    double Evaluate(Gemma3TrainingModel<float> model, TokenDataset eval, TrainingHyperparameters hp)
    {
        var sampler = new BatchSampler(eval.Source, eval.Count, hp.Batch, hp.Seq, 1, DataOrder.Sequential, 0);
        long batches = Math.Max(1, Math.Min(_o.EvalBatches, sampler.Windows / hp.Batch));
        int N = hp.Batch * hp.Seq;
        var inputs = new int[N];
        var targets = new int[N];
        var window = new int[hp.Seq + 1];
        double sum = 0;
        long count = 0;
        for (long e = 0; e < batches; e++)
        {
            sampler.Fill(eval, e, 0, inputs, targets, window);
            var (s, c) = model.Evaluate(inputs, targets, hp.Batch, hp.Seq);
            sum += s;
            count += c;
        }
        return sum / count;
    }

    // ---------------------------------------------------------------- resolving the run

    string? FindResumePoint(string outDir)
    {
        string? latest = Directory.Exists(outDir) ? TrainingCheckpoint.Latest(outDir) : null;
        if (_o.Resume)
        {
            if (latest is null) _log($"no checkpoint in {outDir} yet: starting from step 0");
            return latest;
        }
        if (latest is not null)
            throw new SharpLMDataException(outDir, $"already holds a training run ({Path.GetFileName(latest)}); pass --resume to continue it, or choose another --out");
        return null;
    }

    Gemma3Config ResolveConfig(string? resumeFrom, TokenDataset data)
    {
        int sources = (_o.Preset is null ? 0 : 1) + (_o.ConfigPath is null ? 0 : 1) + (_o.InitPath is null ? 0 : 1);
        if (resumeFrom is null && sources == 0)
            throw new SharpLMDataException("--preset/--config/--init", "give one of them (or --resume an existing run)");
        if (_o.Preset is not null && _o.ConfigPath is not null)
            throw new SharpLMDataException("--preset/--config", "give one or the other, not both");
        Gemma3Config? asked = null;
        string askedName = "";
        if (_o.Preset is { } preset)
        {
            var p = TrainingPresets.Get(preset) ?? throw new SharpLMDataException("--preset", $"unknown preset '{preset}' (one of {string.Join(", ", TrainingPresets.Names)})");
            if (TrainingPresets.VocabularyFromData(preset))
            {
                int vocab = data.VocabSize ?? throw new SharpLMDataException(data.Source,
                    $"the {preset} preset takes its vocabulary size from the data, but raw .u32 files carry none; use --config or token shards");
                p = p with { VocabSize = vocab };
            }
            (asked, askedName) = (p, $"--preset {preset}");
        }
        else if (_o.ConfigPath is { } cfg)
        {
            (asked, askedName) = (HfConfig.Read(cfg), cfg);
        }
        if (_o.InitPath is { } init)
        {
            using var m = Gemma3Model.Load(init); // validates the weights against the folder's own config.json
            if (asked is not null) RequireSame(asked, askedName, m.Config, init);
            asked = m.Config;
            askedName = init;
        }
        Gemma3Config config;
        if (resumeFrom is not null)
        {
            config = TrainingCheckpoint.ReadConfig(resumeFrom);
            if (asked is not null) RequireSame(asked, askedName, config, resumeFrom);
        }
        else config = asked!;
        config.Validate(askedName.Length > 0 ? askedName : resumeFrom ?? "model config");
        // A tokenizer may list a few more ids than the model has rows (Gemma's tokenizer.json has 262,145 entries for
        // 262,144 rows); every token actually read is checked against the model's vocabulary instead.
        return config;
    }

    static void RequireSame(Gemma3Config a, string aName, Gemma3Config b, string bName)
    {
        var diffs = new List<string>();
        void Cmp<T>(string field, T x, T y) { if (!EqualityComparer<T>.Default.Equals(x, y)) diffs.Add($"{field} {x} vs {y}"); }
        Cmp("vocab_size", a.VocabSize, b.VocabSize);
        Cmp("hidden_size", a.HiddenSize, b.HiddenSize);
        Cmp("intermediate_size", a.IntermediateSize, b.IntermediateSize);
        Cmp("num_hidden_layers", a.NumLayers, b.NumLayers);
        Cmp("num_attention_heads", a.NumHeads, b.NumHeads);
        Cmp("num_key_value_heads", a.NumKvHeads, b.NumKvHeads);
        Cmp("head_dim", a.HeadDim, b.HeadDim);
        Cmp("sliding_window", a.SlidingWindow, b.SlidingWindow);
        Cmp("query_pre_attn_scalar", a.QueryPreAttnScalar, b.QueryPreAttnScalar);
        Cmp("rope_theta", a.RopeGlobalBase, b.RopeGlobalBase);
        Cmp("rope_local_base_freq", a.RopeLocalBase, b.RopeLocalBase);
        for (int i = 0; i < Math.Min(a.NumLayers, b.NumLayers); i++) Cmp($"layer {i} kind", a.LayerKind(i), b.LayerKind(i));
        if (diffs.Count > 0)
            throw new SharpLMDataException(bName, $"disagrees with {aName}: {string.Join(", ", diffs)}");
    }

    TrainingHyperparameters ResolveHyperparameters(TrainerState? state, string? resumeFrom)
    {
        if (state is null)
        {
            long steps = _o.Steps ?? throw new SharpLMDataException("--steps", "is required");
            int batch = _o.Batch ?? throw new SharpLMDataException("--batch", "is required");
            int seq = _o.Seq ?? throw new SharpLMDataException("--seq", "is required");
            double lr = _o.Lr ?? TrainerOptions.DefaultLr;
            var hp = new TrainingHyperparameters
            {
                Steps = steps, Batch = batch, Seq = seq, GradAccum = _o.GradAccum ?? 1, Lr = lr,
                Schedule = _o.Schedule ?? "cosine", Warmup = _o.Warmup ?? (int)Math.Min(2000, steps / 20),
                MinLr = _o.MinLr ?? lr / 10, WeightDecay = _o.WeightDecay ?? TrainerOptions.DefaultWeightDecay,
                Optimizer = _o.Optimizer ?? "adamw", Clip = _o.Clip ?? TrainerOptions.DefaultClip,
                Seed = _o.Seed ?? TrainerOptions.DefaultSeed, Order = _o.Order ?? "shuffled",
            };
            Validate(hp);
            return hp;
        }
        var h = state.Hyperparameters;
        var clashes = new List<string>();
        void Same<T>(string opt, T? given, T stored) where T : struct
        {
            if (given is { } g && !EqualityComparer<T>.Default.Equals(g, stored)) clashes.Add($"{opt} {g} (checkpoint: {stored})");
        }
        void SameS(string opt, string? given, string stored)
        {
            if (given is not null && given != stored) clashes.Add($"{opt} {given} (checkpoint: {stored})");
        }
        Same("--batch", _o.Batch, h.Batch);
        Same("--seq", _o.Seq, h.Seq);
        Same("--grad-accum", _o.GradAccum, h.GradAccum);
        Same("--lr", _o.Lr, h.Lr);
        SameS("--schedule", _o.Schedule, h.Schedule);
        Same("--warmup", _o.Warmup, h.Warmup);
        Same("--min-lr", _o.MinLr, h.MinLr);
        Same("--weight-decay", _o.WeightDecay, h.WeightDecay);
        SameS("--optimizer", _o.Optimizer, h.Optimizer);
        Same("--clip", _o.Clip, h.Clip);
        Same("--seed", _o.Seed, h.Seed);
        SameS("--order", _o.Order, h.Order);
        if (clashes.Count > 0)
            throw new SharpLMDataException(resumeFrom!, $"cannot resume with different settings: {string.Join(", ", clashes)} (leave them out to use the checkpoint's)");
        if (_o.Steps is { } s && s != h.Steps)
        {
            _log($"--steps {s} replaces the checkpoint's {h.Steps}: the learning-rate schedule is stretched to the new length");
            h = h with { Steps = s };
        }
        return h;
    }

    static void Validate(TrainingHyperparameters h)
    {
        if (h.Steps <= 0) throw new SharpLMDataException("--steps", "must be positive");
        if (h.Batch <= 0) throw new SharpLMDataException("--batch", "must be positive");
        if (h.Seq <= 0) throw new SharpLMDataException("--seq", "must be positive");
        if (h.GradAccum <= 0) throw new SharpLMDataException("--grad-accum", "must be positive");
        if (!(h.Lr > 0)) throw new SharpLMDataException("--lr", "must be positive");
        if (!(h.MinLr >= 0) || h.MinLr > h.Lr) throw new SharpLMDataException("--min-lr", "must be between 0 and --lr");
        if (h.Warmup < 0) throw new SharpLMDataException("--warmup", "must be non-negative");
        if (!(h.WeightDecay >= 0)) throw new SharpLMDataException("--weight-decay", "must be non-negative");
        if (!(h.Clip >= 0)) throw new SharpLMDataException("--clip", "must be non-negative (0 = off)");
        if (h.Schedule is not ("constant" or "cosine" or "wsd")) throw new SharpLMDataException("--schedule", $"unknown value '{h.Schedule}'");
        if (h.Optimizer is not ("adamw" or "sgd")) throw new SharpLMDataException("--optimizer", $"unknown value '{h.Optimizer}'");
        if (h.Order is not ("shuffled" or "sequential")) throw new SharpLMDataException("--order", $"unknown value '{h.Order}'");
    }

    /// <summary>Refuses a run whose arenas cannot fit, before allocating any of them.</summary>
    static void CheckMemory(Gemma3Config c, TrainingHyperparameters hp)
    {
        long parameters = new ParameterLayout(c).Count;
        long need = parameters * 4 * (hp.Optimizer == "sgd" ? 2 : 4) + TrainingActivations<float>.EstimateBytes(c, hp.Batch, hp.Seq);
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (available > 0 && need > available)
            throw new SharpLMDataException("--batch/--seq", FormattableString.Invariant(
                $"training this model at B={hp.Batch}, T={hp.Seq} needs about {need / (double)(1L << 30):F1} GiB, more than the {available / (double)(1L << 30):F1} GiB available; lower --batch or --seq (--grad-accum keeps the tokens per step)"));
    }

    static void CheckData(TrainerState? state, TokenDataset data, string? resumeFrom)
    {
        if (state is null) return;
        if (state.Data.Tokens != data.Count || state.Data.VocabSize != data.VocabSize)
            throw new SharpLMDataException(data.Source,
                $"differs from the data the checkpoint was trained on ({state.Data.Source}: {state.Data.Tokens} tokens, vocabulary {state.Data.VocabSize?.ToString(CultureInfo.InvariantCulture) ?? "none"}; now {data.Count} tokens, vocabulary {data.VocabSize?.ToString(CultureInfo.InvariantCulture) ?? "none"}); resuming would not continue the same run ({resumeFrom})");
    }

    /// <summary>The tokenizer.json saved with checkpoints: --tokenizer, else beside the data, the init model, or the checkpoint.</summary>
    string? ResolveTokenizer(string? resumeFrom, TokenDataset data)
    {
        string? Beside(string? p)
        {
            if (p is null) return null;
            string dir = Directory.Exists(p) ? p : Path.GetDirectoryName(Path.GetFullPath(p)) ?? ".";
            string t = Path.Combine(dir, TrainingCheckpoint.TokenizerFile);
            return File.Exists(t) ? t : null;
        }
        string? tok = _o.TokenizerPath ?? Beside(_o.DataPath) ?? Beside(_o.InitPath) ?? Beside(resumeFrom);
        if (tok is null) return null;
        if (!File.Exists(tok)) throw new SharpLMDataException(tok, "no such tokenizer file");
        var shardPrint = data.Shards.FirstOrDefault(s => s.VocabSize is not null)?.TokenizerFingerprint;
        if (shardPrint is not null && shardPrint.Any(b => b != 0) && !shardPrint.AsSpan().SequenceEqual(Fingerprint(tok)))
            throw new SharpLMDataException(tok, $"is not the tokenizer {data.Source} was tokenized with (fingerprints differ)");
        return tok;
    }

    /// <summary>The 16-byte tokenizer fingerprint stored in token shards: a SHA-256 prefix of the file's bytes.</summary>
    public static byte[] Fingerprint(string tokenizerFile) => SHA256.HashData(File.ReadAllBytes(tokenizerFile))[..16];

    static string ModelName(Gemma3Config c) => $"Gemma 3 {c.NumLayers}L H{c.HiddenSize} V{c.VocabSize}";

    static string FormatRate(double r) => r >= 10_000 ? (r / 1000).ToString("F1", CultureInfo.InvariantCulture) + "k"
        : r.ToString("F0", CultureInfo.InvariantCulture);
}
