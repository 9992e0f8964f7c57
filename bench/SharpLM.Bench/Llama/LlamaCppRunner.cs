using System.Diagnostics;
using LLama;
using LLama.Common;
using LLama.Native;

namespace SharpLM.Bench.Llama;

/// <summary>
/// llama.cpp (b10221 through LLamaSharp 0.30.0, CPU backend) timed the way llama-bench times pp/tg:
/// prefill = one batch of <c>pp</c> random tokens into an empty cache, logits for the last only;
/// decode = <c>tg</c> single-token steps from an empty cache. Random token ids (no tokenizer, no sampling).
/// Runs in its own child process so its peak RSS is its own.
/// </summary>
public static class LlamaCppRunner
{
    public static RunResult Run(string model, int threads, int pp, int tg, int seed)
    {
        // llama.cpp's log goes to stderr (warnings and errors only): stdout carries the result line.
        NativeLibraryConfig.All.WithLogCallback((level, message) =>
        {
            if (level is LLamaLogLevel.Warning or LLamaLogLevel.Error) Console.Error.Write(message);
        });
        var sw = Stopwatch.StartNew();
        var p = new ModelParams(model)
        {
            ContextSize = (uint)LlamaSuite.ContextFor(pp, tg),
            BatchSize = (uint)Math.Max(pp, LlamaSuite.WarmupTokens),
            UBatchSize = (uint)Math.Max(pp, LlamaSuite.WarmupTokens),
            Threads = threads,
            BatchThreads = threads,
            GpuLayerCount = 0,
        };
        using var weights = LLamaWeights.LoadFromFile(p);
        using var ctx = weights.CreateContext(p);
        double load = sw.Elapsed.TotalSeconds;
        int vocab = weights.Vocab.Count;
        var rng = new Random(seed);
        var batch = new LLamaBatch();

        // Warm-up (llama-bench runs one too): a prompt of WarmupTokens, then an empty cache.
        batch.Clear();
        for (int i = 0; i < LlamaSuite.WarmupTokens; i++) batch.Add(rng.Next(vocab), i, LLamaSeqId.Zero, i == LlamaSuite.WarmupTokens - 1);
        Check(ctx.Decode(batch));
        ctx.NativeHandle.MemoryClear(true);

        batch.Clear();
        for (int i = 0; i < pp; i++) batch.Add(rng.Next(vocab), i, LLamaSeqId.Zero, i == pp - 1);
        sw.Restart();
        Check(ctx.Decode(batch));
        double ppSec = sw.Elapsed.TotalSeconds;
        ctx.NativeHandle.MemoryClear(true);

        sw.Restart();
        for (int i = 0; i < tg; i++)
        {
            batch.Clear();
            batch.Add(rng.Next(vocab), i, LLamaSeqId.Zero, true);
            Check(ctx.Decode(batch));
        }
        double tgSec = sw.Elapsed.TotalSeconds;
        return new RunResult
        {
            Engine = "llama.cpp",
            PromptTokens = pp,
            GenTokens = tg,
            PrefillTokensPerSecond = pp / ppSec,
            DecodeTokensPerSecond = tg / tgSec,
            PeakRssBytes = RunResult.PeakRss(),
            LoadSeconds = load,
        };
    }

    static void Check(DecodeResult r)
    {
        if (r != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode returned {r}");
    }
}
