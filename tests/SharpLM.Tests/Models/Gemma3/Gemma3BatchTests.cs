using System.Numerics.Tensors;
using SharpLM.Generation;
using SharpLM.Models.Gemma3;
using SharpLM.Tensors;

namespace SharpLM.Tests.Models.Gemma3;

/// <summary>
/// Several sequences decoding together (<see cref="Gemma3Batch"/>, <see cref="BatchGenerator"/>) and prefixes run once
/// and copied (<see cref="Gemma3Session.CopyFrom"/>), against one <see cref="Gemma3Session"/> per sequence fed the same
/// tokens (itself checked against the double-precision reference and llama.cpp). The tiny model's window is 4, so
/// every prompt here is longer than it and the local layers' rings wrap.
/// </summary>
public class Gemma3BatchTests
{
    static readonly int[][] Prompts =
    [
        [2, 17, 255, 3, 99, 99, 140, 7, 299, 0, 45],
        [2, 5, 6],
        [2, 17, 255, 3, 99, 98, 141, 8, 12, 13, 14, 15, 16, 17, 18, 19, 20],
        [2, 200, 31, 44, 45, 46],
        [2, 17, 255, 3, 99, 99, 140, 1],
    ];

    /// <summary>
    /// Quantized weights: bit-identical (each row's activations are quantized and dotted on their own, whatever the
    /// number of rows in the product). F32/F16/BF16 weights: the kernels sum a 4-row tile with two accumulators
    /// and fewer rows with four (Kernels/FloatDot), so a row's logits can differ in the last bits with the number
    /// of rows it was run with; they must agree to float rounding.
    /// </summary>
    /// <remarks>
    /// When the two sides split a prompt differently (<paramref name="samePrefillSplit"/> false), quantized weights are
    /// held to less: a prefill call of at least MatrixKernels.PrefillTileMinTokens tokens runs Q4_0/Q8_0 through the
    /// repacked 16-row tiles (Kernels/QuantTileQ4_0, QuantTileQ8_0), whose float summation order differs from the row
    /// kernels', and a last-bit difference in a layer's output can move an activation across a Q8 rounding boundary
    /// in the next layer (a whole quantization step, not rounding). Each position must then still pick the same
    /// greedy token and agree within 3 % of its largest logit.
    /// </remarks>
    static void AssertSameLogits(TensorType type, ReadOnlySpan<float> want, ReadOnlySpan<float> got, bool samePrefillSplit = true)
    {
        Assert.Equal(want.Length, got.Length);
        if (type is TensorType.Q8_0 or TensorType.Q4_0)
        {
            if (samePrefillSplit) { Assert.Equal(want.ToArray(), got.ToArray()); return; }
            int V = TinyModel.Config.VocabSize;
            for (int p = 0; p < want.Length / V; p++)
            {
                var w = want.Slice(p * V, V);
                var g = got.Slice(p * V, V);
                float bound = 0, diff = 0;
                for (int i = 0; i < V; i++) { bound = Math.Max(bound, Math.Abs(w[i])); diff = Math.Max(diff, Math.Abs(w[i] - g[i])); }
                Assert.Equal(w.IndexOf(TensorPrimitives.Max(w)), g.IndexOf(TensorPrimitives.Max(g)));
                Assert.True(diff <= 0.03f * bound, $"position {p}: logits differ by up to {diff}, largest |logit| {bound}");
            }
            return;
        }
        for (int i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(want[i] - got[i]) <= 1e-5f * (1 + Math.Abs(want[i])), $"at {i}: {want[i]} vs {got[i]}");
    }

    static int[] SequentialGreedy(Gemma3Model model, int[] prompt, int maxNew, IEnumerable<int> stop, int context)
    {
        using var s = model.CreateSession(context);
        var g = new Generator(s, new Sampler(new SamplerOptions { Temperature = 0 }, model.Config.VocabSize), stop);
        return g.Generate(prompt, maxNew).ToArray();
    }

    [Theory]
    [InlineData(TensorType.F32)]
    [InlineData(TensorType.BF16)]
    [InlineData(TensorType.Q8_0)]
    [InlineData(TensorType.Q4_0)]
    public void DecodeStepOfSeveralSequencesEqualsEachSessionAlone(TensorType type)
    {
        var c = TinyModel.Config;
        using var model = Gemma3Model.Load(TinyModel.WriteGguf(c, 21, type));
        int V = c.VocabSize, n = Prompts.Length;
        using var batch = model.CreateBatch(n, 64);
        var sessions = Prompts.Select(_ => model.CreateSession(64)).ToArray();
        var want = new float[V];
        var got = new float[n * V];
        var slots = Enumerable.Range(0, n).ToArray();
        for (int i = 0; i < n; i++)
        {
            batch.Prefill(i, Prompts[i], got.AsSpan(i * V, V));
            sessions[i].Forward(Prompts[i], want);
            AssertSameLogits(type, want, got.AsSpan(i * V, V));
        }
        // Steps feeding every slot its own token; positions differ per slot and pass the window several times.
        for (int step = 0; step < 9; step++)
        {
            var tokens = slots.Select(i => (step * 37 + i * 11) % V).ToArray();
            batch.Decode(slots, tokens, got);
            for (int i = 0; i < n; i++)
            {
                sessions[i].Forward([tokens[i]], want);
                AssertSameLogits(type, want, got.AsSpan(i * V, V));
                Assert.Equal(sessions[i].Position, batch.Position(i));
            }
        }
        // A subset of slots, out of the caller's order of creation, still lands each row on its own sequence.
        int[] some = [1, 3];
        var rows = new float[2 * V];
        batch.Decode(some, [7, 8], rows);
        sessions[1].Forward([7], want);
        AssertSameLogits(type, want, rows.AsSpan(0, V));
        sessions[3].Forward([8], want);
        AssertSameLogits(type, want, rows.AsSpan(V, V));
        Assert.Equal(sessions[0].Position, batch.Position(0));
        foreach (var s in sessions) s.Dispose();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(8)]
    public void ContinuousBatchingGivesTheSameTokensAsOneAtATime(int slots)
    {
        var c = TinyModel.Config;
        using var model = Gemma3Model.Load(TinyModel.WriteGguf(c, 22, TensorType.BF16));
        // Different caps, so sequences end at different steps and waiting prompts join in the freed slots.
        int[] caps = [12, 3, 20, 0, 7];
        var want = Prompts.Select((p, i) => SequentialGreedy(model, p, caps[i], [], 40)).ToArray();
        // A stop token seen in one output (not at its start) ends that sequence early in both paths.
        int stopToken = want[2][5];
        var wantStopped = Prompts.Select((p, i) => SequentialGreedy(model, p, caps[i], [stopToken], 40)).ToArray();

        foreach (var (stop, expected) in new[] { (Array.Empty<int>(), want), ([stopToken], wantStopped) })
        {
            using var batch = model.CreateBatch(slots, 40);
            var gen = new BatchGenerator(batch, new SamplerOptions { Temperature = 0 }, c.VocabSize, stop);
            var got = Prompts.Select(_ => new List<int>()).ToArray();
            var reasons = new StopReason[Prompts.Length];
            var finishOrder = new List<int>();
            gen.Run(Prompts, caps, (i, t) => { got[i].Add(t); return true; },
                (i, r, generated) => { reasons[i] = r; finishOrder.Add(i); Assert.Equal(got[i].Count, generated); });
            for (int i = 0; i < Prompts.Length; i++) Assert.Equal(expected[i], got[i].ToArray());
            Assert.Equal(Prompts.Length, finishOrder.Distinct().Count());
            Assert.Equal(StopReason.MaxTokens, reasons[3]);
            if (stop.Length > 0) Assert.Equal(StopReason.StopToken, reasons[2]);
        }
    }

    [Fact]
    public void CallerEndsASequenceAndFullContextEndsAnother()
    {
        var c = TinyModel.Config;
        using var model = Gemma3Model.Load(TinyModel.WriteGguf(c, 23, TensorType.F32));
        using var batch = model.CreateBatch(2, 20);
        var gen = new BatchGenerator(batch, new SamplerOptions { Temperature = 0 }, c.VocabSize, []);
        var reasons = new StopReason[3];
        var counts = new int[3];
        // Prompt 0 is cut by the caller after 2 tokens; prompt 1 (17 tokens) fills the 20-position context after 4
        // (3 fed back + the last one, which is reported but cannot be fed); prompt 2 joins in prompt 0's slot.
        gen.Run([Prompts[0], Prompts[2], Prompts[1]], [50, 50, 5],
            (i, t) => ++counts[i] < 2 || i != 0,
            (i, r, n) => reasons[i] = r);
        Assert.Equal([StopReason.Caller, StopReason.ContextFull, StopReason.MaxTokens], reasons);
        Assert.Equal([2, 4, 5], counts);
        Assert.Equal(SequentialGreedy(model, Prompts[2], 50, [], 20).Length, counts[1]);
    }

    [Fact]
    public void DecodeStepsAllocateNothing()
    {
        var c = TinyModel.Config;
        using var model = Gemma3Model.Load(TinyModel.WriteGguf(c, 24, TensorType.Q8_0));
        using var batch = model.CreateBatch(4, 64);
        int V = c.VocabSize;
        var logits = new float[4 * V];
        int[] slots = [0, 1, 2, 3];
        int[] tokens = [5, 6, 7, 8];
        for (int i = 0; i < 4; i++) batch.Prefill(i, Prompts[i], default);
        batch.Decode(slots, tokens, logits); // grows the thread-local workspaces once
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int step = 0; step < 20; step++) batch.Decode(slots, tokens, logits);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [InlineData(3, 64, TensorType.Q8_0)]   // prefix shorter than the window W = 4
    [InlineData(11, 64, TensorType.Q8_0)]  // prefix longer than the window: the local rings have wrapped
    [InlineData(11, 200, TensorType.Q4_0)] // the copy has a bigger context (other global-layer capacity) than the prefix session
    [InlineData(11, 64, TensorType.BF16)]
    public void PrefixRunOnceAndCopiedGivesTheSameLogitsAsTheWholePrompt(int prefixLength, int context, TensorType type)
    {
        var c = TinyModel.Config;
        using var model = Gemma3Model.Load(TinyModel.WriteGguf(c, 25, type));
        int V = c.VocabSize;
        int[] prompt = [.. Prompts[0], .. Prompts[2][1..], 44, 45];
        var whole = model.ComputeLogits(prompt);

        using var prefix = model.CreateSession(prefixLength);
        prefix.Forward(prompt.AsSpan(0, prefixLength), default);
        using var copy = model.CreateSession(context);
        copy.Forward([9, 9, 9, 9, 9, 9, 9], default); // stale positions that the copy must replace
        copy.CopyFrom(prefix);
        Assert.Equal(prefixLength, copy.Position);
        int rest = prompt.Length - prefixLength;
        var logits = new float[rest * V];
        copy.Forward(prompt.AsSpan(prefixLength), logits, allPositions: true);
        AssertSameLogits(type, whole.AsSpan(prefixLength * V), logits, samePrefillSplit: false);

        // and into a batch slot
        using var batch = model.CreateBatch(2, context);
        batch.Prefill(1, [3, 3, 3, 3, 3, 3], default);
        batch.Reset(1);
        batch.CopyFrom(1, prefix);
        var last = new float[V];
        batch.Prefill(1, prompt.AsSpan(prefixLength), last);
        AssertSameLogits(type, whole.AsSpan((prompt.Length - 1) * V, V), last, samePrefillSplit: false);
    }

    [Fact]
    public void SharedPrefixIsTheOneThatSavesMostTokens()
    {
        int[][] prompts =
        [
            [2, 1, 2, 3, 4, 5, 6, 9],
            [2, 1, 2, 3, 4, 5, 6, 7, 8],
            [2, 1, 2, 3, 4, 5, 6, 7, 1],
            [2, 1, 2, 3, 9, 9],
            [2, 8, 8],
            [2, 1, 2, 3, 4, 5, 6], // must keep a token after the prefix to run, so [2,1,2,3,4,5,6] does not cover it
        ];
        // Tokens saved, (prompts covered − 1) × length: [2,1,2,3,4,5,6,7] 1 × 8, [2,1,2,3,4,5,6] 2 × 7 (the last prompt
        // is not covered), [2,1,2,3,4,5] 3 × 6 = 18, [2,1,2,3] 4 × 4 = 16, [2] 5 × 1.
        Assert.Equal(new[] { 2, 1, 2, 3, 4, 5 }, SharedPrefix.Find(prompts, 2)!);
        Assert.Equal(new[] { 2, 1, 2, 3, 4, 5, 6 }, SharedPrefix.Find(prompts[..3], 2)!);
        Assert.Equal(new[] { 2, 1, 2, 3, 4, 5, 6, 7 }, SharedPrefix.Find(prompts, 8)!); // only a long prefix counts
        Assert.Null(SharedPrefix.Find(prompts, 9));
        Assert.Null(SharedPrefix.Find([prompts[0]], 1));
        Assert.Null(SharedPrefix.Find([[2, 5], [2, 6]], 2));
    }

    [Fact]
    public void BadCallsAreRefused()
    {
        var c = TinyModel.Config;
        using var model = Gemma3Model.Load(TinyModel.WriteGguf(c, 26, TensorType.F32));
        using var batch = model.CreateBatch(2, 8);
        var row = new float[c.VocabSize];
        var two = new float[2 * c.VocabSize];
        Assert.Throws<ArgumentException>(() => batch.Decode([0, 0], [1, 2], two));
        Assert.Throws<ArgumentOutOfRangeException>(() => batch.Decode([2], [1], row));
        Assert.Throws<ArgumentOutOfRangeException>(() => batch.Decode([0], [c.VocabSize], row));
        Assert.Throws<InvalidOperationException>(() => batch.Prefill(0, new int[9], row));
        using var other = Gemma3Model.Load(TinyModel.WriteGguf(c, 27, TensorType.F32));
        using var foreign = other.CreateSession(4);
        Assert.Throws<ArgumentException>(() => batch.CopyFrom(0, foreign));
        using var exact = model.CreateSession(4, EmbedScaleMode.Exact);
        Assert.Throws<ArgumentException>(() => batch.CopyFrom(0, exact));
    }
}
