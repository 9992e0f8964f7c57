using System.Diagnostics;
using SharpLM.Kernels;
using SharpLM.Models.Gemma3;

namespace SharpLM.Bench.Llama;

/// <summary>
/// SharpLM timed exactly like <see cref="LlamaCppRunner"/>: prefill = <c>pp</c> random ids from an empty
/// cache with logits for the last position only; decode = <c>tg</c> single-token steps from an empty cache,
/// each producing the full [V] logits. Also counts the managed bytes allocated during the decode loop.
/// </summary>
public static class SharpLmRunner
{
    public static RunResult Run(string model, int threads, int pp, int tg, int seed)
    {
        KernelThreads.Count = threads;
        var sw = Stopwatch.StartNew();
        using var m = Gemma3Model.Load(model);
        using var session = m.CreateSession(LlamaSuite.ContextFor(pp, tg));
        double load = sw.Elapsed.TotalSeconds;
        int vocab = m.Config.VocabSize;
        var rng = new Random(seed);
        var logits = new float[vocab];
        int[] Ids(int n) { var a = new int[n]; for (int i = 0; i < n; i++) a[i] = rng.Next(vocab); return a; }

        // Warm-up (as the llama.cpp side): a prompt of WarmupTokens and one step, then an empty cache. The prompt is long
        // enough to take the multi-token kernels' prefill path, so no engine compiles or faults in code in the timed run.
        session.Forward(Ids(LlamaSuite.WarmupTokens), logits);
        session.Forward(Ids(1), logits);
        session.Reset();

        var prompt = Ids(pp);
        sw.Restart();
        session.Forward(prompt, logits);
        double ppSec = sw.Elapsed.TotalSeconds;
        session.Reset();

        var steps = Ids(tg);
        var one = new int[1];
        long alloc0 = GC.GetTotalAllocatedBytes(true);
        sw.Restart();
        for (int i = 0; i < tg; i++)
        {
            one[0] = steps[i];
            session.Forward(one, logits);
        }
        double tgSec = sw.Elapsed.TotalSeconds;
        long alloc = GC.GetTotalAllocatedBytes(true) - alloc0;
        return new RunResult
        {
            Engine = "sharplm",
            PromptTokens = pp,
            GenTokens = tg,
            PrefillTokensPerSecond = pp / ppSec,
            DecodeTokensPerSecond = tg / tgSec,
            PeakRssBytes = RunResult.PeakRss(),
            LoadSeconds = load,
            AllocBytesPerToken = (double)alloc / tg,
        };
    }
}
