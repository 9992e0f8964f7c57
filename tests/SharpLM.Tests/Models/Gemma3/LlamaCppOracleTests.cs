using LLama;
using LLama.Common;
using LLama.Native;
using SharpLM.Models.Gemma3;
using SharpLM.Tensors;
using Xunit.Abstractions;

namespace SharpLM.Tests.Models.Gemma3;

/// <summary>
/// llama.cpp (LLamaSharp 0.30.0, CPU backend) as an independent oracle: random small-dimension models with
/// the real 262,144-token Gemma vocabulary, written by our GGUF writer, run by both engines on the same ids.
/// </summary>
[Trait("Category", "Oracle")]
public class LlamaCppOracleTests(ITestOutputHelper output)
{
    /// <summary>7 layers (layer 5 global, RoPE ÷8 there), window 16, GQA 2:1, head 32, real vocabulary.</summary>
    static readonly Gemma3Config Config = new()
    {
        VocabSize = 262_144, HiddenSize = 64, IntermediateSize = 128, NumLayers = 7, NumHeads = 2, NumKvHeads = 1,
        HeadDim = 32, QueryPreAttnScalar = 32, SlidingWindow = 16, MaxPositionEmbeddings = 512, RopeGlobalScale = 8,
    };

    static readonly Lazy<string> s_model = new(() =>
    {
        string path = Path.Combine(TestPaths.NewTempDir("gemma3-oracle"), "oracle.gguf");
        var random = Gemma3CheckpointWriter.RandomRows(seed: 7, std: 0.15f, normStd: 0.1f);
        // Clear argmax margins: one embedding row in 1000 is 4× longer, so the top logits come from a few
        // hundred candidates that stand well apart, and ggml's approximations (fp16 GELU table) cannot swap
        // the top two. Post-norm scales of ~3 make the layers' outputs outweigh the input embedding in the
        // residual stream, so the text does not just repeat its input.
        Gemma3CheckpointWriter.WriteGguf(path, Config, (name, row, values) =>
        {
            random(name, row, values);
            if (name == Gemma3TensorNames.FinalNorm) for (int j = 0; j < values.Length; j++) values[j] += 3;
            if (name.EndsWith(Gemma3TensorNames.PostAttentionNorm) || name.EndsWith(Gemma3TensorNames.PostFeedForwardNorm))
                for (int j = 0; j < values.Length; j++) values[j] += 2;
        }, GemmaVocabularyFixture.Data, typeOf: _ => TensorType.F32);
        return path;
    });

    static int[] Prompt(int n)
    {
        var rng = new Random(11);
        var p = new int[n];
        p[0] = 2; // <bos>
        for (int i = 1; i < n; i++) p[i] = rng.Next(200, 250_000);
        return p;
    }

    /// <summary>llama.cpp on one GGUF (also used by the <c>convert</c> tests in Training/).</summary>
    internal sealed class LlamaRunner : IDisposable
    {
        readonly LLamaWeights _weights;
        readonly LLamaContext _ctx;
        public int Position;
        public LLamaContext Context => _ctx;

        public LlamaRunner(string path)
        {
            var p = new ModelParams(path)
            {
                ContextSize = 256, GpuLayerCount = 0, BatchSize = 256, UBatchSize = 256, Threads = 1, BatchThreads = 1,
                TypeK = GGMLType.GGML_TYPE_F32, TypeV = GGMLType.GGML_TYPE_F32, FlashAttention = false,
            };
            _weights = LLamaWeights.LoadFromFile(p);
            _ctx = _weights.CreateContext(p);
        }

        /// <summary>Runs <paramref name="ids"/>; returns the logits of every one of them.</summary>
        public float[][] Run(int[] ids)
        {
            var batch = new LLamaBatch();
            for (int i = 0; i < ids.Length; i++) batch.Add(ids[i], Position + i, LLamaSeqId.Zero, true);
            var r = _ctx.Decode(batch);
            Assert.Equal(DecodeResult.Ok, r);
            Position += ids.Length;
            return Enumerable.Range(0, ids.Length).Select(i => _ctx.NativeHandle.GetLogitsIth(i).ToArray()).ToArray();
        }

        public void Dispose()
        {
            _ctx.Dispose();
            _weights.Dispose();
        }
    }

    [Fact]
    public void LogitsAgreeWithLlamaCpp()
    {
        var ids = Prompt(40); // longer than the 16-key window
        using var model = Gemma3Model.Load(s_model.Value);
        Assert.Equal(262_144, model.Config.VocabSize);
        var ours = model.ComputeLogits(ids, EmbedScaleMode.Exact);
        using var llama = new LlamaRunner(s_model.Value);
        var theirs = llama.Run(ids);
        int V = Config.VocabSize;
        double worst = 0, worstRel = 0, scale = 0;
        for (int t = 0; t < ids.Length; t++)
        {
            double rowMax = 0, rowDiff = 0;
            for (int j = 0; j < V; j++)
            {
                rowDiff = Math.Max(rowDiff, Math.Abs(ours[t * V + j] - theirs[t][j]));
                rowMax = Math.Max(rowMax, Math.Abs(theirs[t][j]));
            }
            worst = Math.Max(worst, rowDiff);
            worstRel = Math.Max(worstRel, rowDiff / rowMax);
            scale = Math.Max(scale, rowMax);
        }
        output.WriteLine($"max |Δlogit| = {worst:G4}, max |logit| = {scale:G4}, worst row Δ/max = {worstRel:G4}");
        Assert.True(scale > 10);
        Assert.True(worstRel < 2e-3, $"logits differ from llama.cpp by up to {worst} (relative {worstRel})");
    }

    [Fact]
    public void GreedyGenerationMatchesLlamaCppFor64Tokens()
    {
        var prompt = Prompt(24); // longer than the window W = 16
        const int steps = 64;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var model = Gemma3Model.Load(s_model.Value);
        output.WriteLine($"model ready in {clock.Elapsed.TotalSeconds:F1} s");
        using var session = model.CreateSession(prompt.Length + steps, EmbedScaleMode.Exact);
        var logits = new float[Config.VocabSize];
        var ours = new List<int>();
        session.Forward(prompt, logits);
        double minGap = double.MaxValue;
        for (int i = 0; i < steps; i++)
        {
            var (best, gap) = ArgMaxWithGap(logits);
            minGap = Math.Min(minGap, gap);
            ours.Add(best);
            if (i + 1 < steps) session.Forward([best], logits);
        }

        output.WriteLine($"ours done at {clock.Elapsed.TotalSeconds:F1} s");
        using var llama = new LlamaRunner(s_model.Value);
        output.WriteLine($"llama.cpp loaded at {clock.Elapsed.TotalSeconds:F1} s");
        var last = llama.Run(prompt)[^1];
        var theirs = new List<int>();
        for (int i = 0; i < steps; i++)
        {
            int best = ArgMaxWithGap(last).Best;
            theirs.Add(best);
            if (i + 1 < steps) last = llama.Run([best])[0];
        }
        output.WriteLine($"llama.cpp done at {clock.Elapsed.TotalSeconds:F1} s");
        output.WriteLine($"smallest top-2 margin on our side: {minGap:G4}; {ours.Distinct().Count()} distinct tokens: {string.Join(",", ours)}");
        Assert.Equal(theirs, ours);
        Assert.True(ours.Distinct().Count() > 8, "generation collapsed to a few tokens: the test would prove little");
    }

    static (int Best, double Gap) ArgMaxWithGap(float[] x)
    {
        int best = 0;
        float b1 = float.NegativeInfinity, b2 = float.NegativeInfinity;
        for (int i = 0; i < x.Length; i++)
        {
            if (x[i] > b1) { b2 = b1; b1 = x[i]; best = i; }
            else if (x[i] > b2) b2 = x[i];
        }
        return (best, b1 - b2);
    }
}
