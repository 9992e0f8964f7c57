using SharpLM.Formats.Safetensors;
using SharpLM.Models.Gemma3;
using SharpLM.Tensors;

namespace SharpLM.Tests.Models.Gemma3;

/// <summary>The engine's forward against the double-precision reference, on random tiny models.</summary>
public class Gemma3ForwardTests
{
    static readonly int[] Tokens = [2, 17, 255, 3, 99, 99, 140, 7, 299, 0, 45, 12, 200, 31];

    static double MaxAbsDiff(float[] engine, double[][] reference, int V, out double maxRef)
    {
        double worst = 0;
        maxRef = 0;
        for (int t = 0; t < reference.Length; t++)
            for (int j = 0; j < V; j++)
            {
                worst = Math.Max(worst, Math.Abs(engine[t * V + j] - reference[t][j]));
                maxRef = Math.Max(maxRef, Math.Abs(reference[t][j]));
            }
        return worst;
    }

    static double Nmse(float[] engine, double[][] reference, int V)
    {
        double err = 0, energy = 0;
        for (int t = 0; t < reference.Length; t++)
            for (int j = 0; j < V; j++)
            {
                double e = engine[t * V + j] - reference[t][j];
                err += e * e;
                energy += reference[t][j] * reference[t][j];
            }
        return err / energy;
    }

    [Theory]
    [InlineData(TensorType.F32)]
    [InlineData(TensorType.F16)]
    [InlineData(TensorType.BF16)]
    [InlineData(TensorType.Q8_0)]
    [InlineData(TensorType.Q4_0)]
    public void EngineMatchesReferenceForEveryTensorType(TensorType type)
    {
        var c = TinyModel.Config;
        string path = TinyModel.WriteGguf(c, seed: 1, type);
        // Q4_0/Q8_0 products run on Q8-quantized activations (integer dots, as llama.cpp does): so does the reference.
        var reference = new ReferenceGemma3(c, TinyModel.ReadGgufWeights(path, c)) { Q8Activations = type is TensorType.Q4_0 or TensorType.Q8_0 };
        using var model = Gemma3Model.Load(path);
        Assert.Equal(c with { LayerTypes = model.Config.LayerTypes, SlidingWindowPattern = model.Config.SlidingWindowPattern }, model.Config);
        foreach (bool exact in new[] { false, true })
        {
            var want = reference.Logits(Tokens, exact);
            var got = model.ComputeLogits(Tokens, exact ? EmbedScaleMode.Exact : EmbedScaleMode.Bf16);
            double diff = MaxAbsDiff(got, want, c.VocabSize, out double scale);
            Assert.True(scale > 1, $"logits too small to test anything ({scale})");
            if (type is TensorType.Q4_0 or TensorType.Q8_0)
            {
                // Integer kernels round each product's input to 8 bits; an activation a hair from a rounding
                // boundary can land on the other side in the reference, so compare the error energy, as ggml's
                // test-backend-ops does for quantized matrix products (NMSE), plus a loose bound on the worst logit.
                double nmse = Nmse(got, want, c.VocabSize);
                Assert.True(nmse < 1e-4 && diff < 0.03 * scale, $"{type} exact={exact}: NMSE {nmse:E2}, max |Δ| {diff} vs max |logit| {scale}");
            }
            else
                Assert.True(diff < 2e-4 * scale, $"{type} exact={exact}: max |Δ| {diff} vs max |logit| {scale}");
        }
    }

    [Fact]
    public void EmbedScaleModesDiffer()
    {
        // sqrt(96) = 9.798 in f32 and 9.8125 in bf16: the two modes must give different logits.
        var c = TinyModel.Config;
        using var model = Gemma3Model.Load(TinyModel.WriteGguf(c, 2, TensorType.F32));
        var a = model.ComputeLogits(Tokens, EmbedScaleMode.Bf16);
        var b = model.ComputeLogits(Tokens, EmbedScaleMode.Exact);
        Assert.NotEqual(a, b);
        Assert.Equal(9.8125f, c.EmbedScale(EmbedScaleMode.Bf16));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(64)]
    public void ChunkedPrefillAndTokenByTokenDecodeAgree(int chunk)
    {
        // Chunks smaller and larger than the window W = 4, token by token, and all at once must agree.
        var c = TinyModel.Config;
        using var model = Gemma3Model.Load(TinyModel.WriteGguf(c, 3, TensorType.BF16));
        int V = c.VocabSize;
        var all = model.ComputeLogits(Tokens);
        using var s = new Gemma3Session(model, Tokens.Length, EmbedScaleMode.Bf16, chunk);
        var logits = new float[Tokens.Length * V];
        // First half as one prefill call, the rest one token per call.
        int half = Tokens.Length / 2;
        s.Forward(Tokens.AsSpan(0, half), logits.AsSpan(0, half * V), allPositions: true);
        for (int t = half; t < Tokens.Length; t++)
            s.Forward(Tokens.AsSpan(t, 1), logits.AsSpan(t * V, V));
        for (int i = 0; i < all.Length; i++) Assert.True(Math.Abs(all[i] - logits[i]) < 1e-4f, $"at {i}: {all[i]} vs {logits[i]}");
        Assert.Equal(Tokens.Length, s.Position);
        Assert.Throws<InvalidOperationException>(() => s.Forward([1], new float[V]));
    }

    [Theory]
    [InlineData(SafetensorsDType.F32, TensorType.F32)]
    [InlineData(SafetensorsDType.BF16, TensorType.BF16)]
    [InlineData(SafetensorsDType.F16, TensorType.F16)]
    public void SameWeightsAsHfSafetensorsAndAsGgufGiveTheSameLogits(SafetensorsDType dtype, TensorType type)
    {
        var c = TinyModel.Config;
        using var gguf = Gemma3Model.Load(TinyModel.WriteGguf(c, 4, type, rows: TinyModel.RoundedRows(4, type)));
        using var hf = Gemma3Model.Load(TinyModel.WriteHf(c, 4, dtype, maxShard: 20_000, rows: TinyModel.RoundedRows(4, type))); // several shards
        Assert.True(hf.Tensors.Select(t => t.File).Distinct().Count() > 1);
        Assert.Equal("safetensors", hf.Format);
        Assert.Equal(gguf.Config.VocabSize, hf.Config.VocabSize);
        var a = gguf.ComputeLogits(Tokens);
        var b = hf.ComputeLogits(Tokens);
        // GGUF stores 1 + w in f32 (added by the writer), HF stores w (1 is added at load, also in f32):
        // the same numbers, the same kernels, so the same logits.
        Assert.Equal(a, b);
    }

    [Theory]
    [InlineData("language_model.model.")]
    [InlineData("model.language_model.")]
    public void MultimodalCheckpointLayoutsLoadTheTextDecoder(string prefix)
    {
        // Gemma3ForConditionalGeneration: text fields under text_config, decoder tensors under a prefix, plus
        // vision tensors the loader must ignore.
        var c = TinyModel.Config;
        string dir = Path.Combine(TestPaths.NewTempDir("gemma3-mm"), "model");
        Directory.CreateDirectory(dir);
        var rows = TinyModel.Rows(8);
        var w = new SafetensorsWriter();
        foreach (var (logical, shape) in Gemma3CheckpointWriter.TensorShapes(c))
        {
            long n = shape.Aggregate(1L, (a, b) => a * b), cols = shape[^1];
            var data = new float[n];
            for (long r = 0; r < n / cols; r++) rows(logical, r, data.AsSpan((int)(r * cols), (int)cols));
            w.AddTensor(prefix + logical, shape, data);
        }
        w.AddTensor("vision_tower.vision_model.embeddings.patch_embedding.weight", [4, 3], new float[12]);
        w.Write(Path.Combine(dir, "model.safetensors"));
        string text = SharpLM.Formats.HfConfig.ToJson(c, "float32");
        File.WriteAllText(Path.Combine(dir, "config.json"),
            $"{{\"architectures\": [\"Gemma3ForConditionalGeneration\"], \"model_type\": \"gemma3\", \"text_config\": {text}, \"vision_config\": {{}}}}");
        using var hf = Gemma3Model.Load(dir);
        using var gguf = Gemma3Model.Load(TinyModel.WriteGguf(c, 8, TensorType.F32));
        Assert.Equal(gguf.ComputeLogits(Tokens), hf.ComputeLogits(Tokens));
    }

    [Fact]
    public void KvCacheGrowsOnlyOnGlobalLayers()
    {
        // Issue #2: for the 1B shape, context 32768 costs ≈ 10.7× the KV bytes of context 512 (not 64×).
        var c = Gemma3Config.Gemma3_1B;
        double ratio = (double)KvCache.Bytes(c, 32768) / KvCache.Bytes(c, 512);
        Assert.InRange(ratio, 10.6, 10.8);
        // 26 layers × 512 positions × (256 + 256) values × 4 bytes.
        Assert.Equal(26L * 512 * 512 * 4, KvCache.Bytes(c, 512));
    }
}
