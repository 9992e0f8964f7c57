using SharpLM.Generation;
using SharpLM.Models.Gemma3;
using SharpLM.Tensors;
using SharpLM.Tests.Models.Gemma3;

namespace SharpLM.Tests.Generation;

public class SamplerTests
{
    static float[] Logits(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 10)).ToArray();
    }

    [Fact]
    public void TemperatureZeroIsGreedyAndMasksIdsBeyondTheTokenizer()
    {
        var l = Logits(1000, 1);
        l[990] = 100; // beyond the tokenizer's 900 ids: must never win
        l[17] = 50;
        l[33] = 60;   // forbidden
        var s = new Sampler(new SamplerOptions { Temperature = 0 }, allowedVocab: 900, forbidden: [33]);
        Assert.Equal(17, s.Sample(l, []));
    }

    [Fact]
    public void SamplingNeverPicksMaskedOrForbiddenIds()
    {
        var s = new Sampler(new SamplerOptions { Temperature = 5, TopK = 0, TopP = 1, Seed = 3 }, allowedVocab: 50, forbidden: [10, 11]);
        for (int i = 0; i < 2000; i++)
        {
            var l = new float[60];
            l[10] = l[11] = 5;
            for (int j = 50; j < 60; j++) l[j] = 8;
            int id = s.Sample(l, []);
            Assert.InRange(id, 0, 49);
            Assert.NotEqual(10, id);
            Assert.NotEqual(11, id);
        }
    }

    [Fact]
    public void SameSeedSameTokensAndTopKOneIsGreedy()
    {
        var l = Logits(500, 2);
        int[] Draw(ulong seed)
        {
            var s = new Sampler(new SamplerOptions { Seed = seed }, 500);
            return Enumerable.Range(0, 50).Select(_ => s.Sample((float[])l.Clone(), [])).ToArray();
        }
        Assert.Equal(Draw(9), Draw(9));
        Assert.NotEqual(Draw(9), Draw(10));
        var k1 = new Sampler(new SamplerOptions { TopK = 1 }, 500);
        Assert.Equal(Array.IndexOf(l, l.Max()), k1.Sample((float[])l.Clone(), []));
    }

    [Fact]
    public void TopPAndMinPCutTheTail()
    {
        // Probabilities ∝ e^{5,3,0,…}: p0 = 0.84, so top-p 0.7 keeps one token.
        var l = new float[10];
        l[0] = 5; l[1] = 3;
        var topP = new Sampler(new SamplerOptions { TopK = 0, TopP = 0.7f, Seed = 1 }, 10);
        Assert.All(Enumerable.Range(0, 200), _ => Assert.Equal(0, topP.Sample((float[])l.Clone(), [])));
        // ∝ e^{4,3,0,…}: p1/p0 = 0.37, the rest 0.018, so min-p 0.3 keeps two.
        l[0] = 4;
        var minP = new Sampler(new SamplerOptions { TopK = 0, TopP = 1, MinP = 0.3f, Seed = 1 }, 10);
        var seen = Enumerable.Range(0, 400).Select(_ => minP.Sample((float[])l.Clone(), [])).ToHashSet();
        Assert.Equal(new HashSet<int> { 0, 1 }, seen);
    }

    [Fact]
    public void RepeatPenaltyFollowsLlamaCpp()
    {
        var s = new Sampler(new SamplerOptions { Temperature = 0, RepeatPenalty = 2 }, 3);
        var l = new float[] { 3, 2, -1 };
        Assert.Equal(1, s.Sample(l, [0, 0, 2])); // 3 → 1.5 loses to 2
        Assert.Equal(new float[] { 1.5f, 2, -2 }, l);
    }

    [Fact]
    public void GeneratorStopsOnStopTokensAndBudgets()
    {
        var c = TinyModel.Config;
        using var model = Gemma3Model.Load(TinyModel.WriteGguf(c, 5, TensorType.F32));
        int[] prompt = [2, 40, 41, 42];
        using var s1 = model.CreateSession(64);
        var g1 = new Generator(s1, new Sampler(new SamplerOptions { Temperature = 0 }, c.VocabSize), []);
        var free = g1.Generate(prompt, 10).ToList();
        Assert.Equal(10, free.Count);
        Assert.Equal(StopReason.MaxTokens, g1.StopReason);
        Assert.Equal(prompt.Length + 10, s1.Position); // every yielded token is in the cache

        // Greedy decode must equal argmax of the full forward recomputed from scratch.
        var seq = prompt.Concat(free).ToArray();
        var all = model.ComputeLogits(seq);
        for (int i = 0; i < free.Count; i++)
        {
            var row = all.AsSpan((prompt.Length - 1 + i) * c.VocabSize, c.VocabSize).ToArray();
            Assert.Equal(Array.IndexOf(row, row.Max()), free[i]);
        }

        using var s2 = model.CreateSession(64);
        int k = Enumerable.Range(1, free.Count - 1).First(i => !free.Take(i).Contains(free[i])); // a token not seen before
        var g2 = new Generator(s2, new Sampler(new SamplerOptions { Temperature = 0 }, c.VocabSize), [free[k]]);
        Assert.Equal(free.Take(k), g2.Generate(prompt, 10));
        Assert.Equal(StopReason.StopToken, g2.StopReason);
        Assert.Equal(free[k], g2.LastStopToken);

        using var s3 = model.CreateSession(6);
        var g3 = new Generator(s3, new Sampler(new SamplerOptions { Temperature = 0 }, c.VocabSize), []);
        // Positions 4 and 5 are fed; the token sampled after position 5 is yielded but cannot be fed.
        Assert.Equal(3, g3.Generate(prompt, 10).Count());
        Assert.Equal(StopReason.ContextFull, g3.StopReason);
    }
}
