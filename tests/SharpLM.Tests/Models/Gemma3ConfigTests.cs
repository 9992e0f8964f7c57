using SharpLM.Models.Gemma3;

namespace SharpLM.Tests.Models;

public class Gemma3ConfigTests
{
    [Fact]
    public void LayerPatternIsFiveLocalToOneGlobal()
    {
        // spec §1.6: global iff (i+1) % 6 == 0.
        var c = Gemma3Config.Gemma3_1B;
        var globals = Enumerable.Range(0, c.NumLayers).Where(c.IsGlobal).ToArray();
        Assert.Equal([5, 11, 17, 23], globals);
        Assert.Equal([5, 11, 17], Enumerable.Range(0, 18).Where(Gemma3Config.Gemma3_270M.IsGlobal));
    }

    [Fact]
    public void ExplicitLayerTypesWin()
    {
        var c = Gemma3Config.Gemma3_270M with { NumLayers = 3, LayerTypes = [AttentionKind.Global, AttentionKind.Local, AttentionKind.Local] };
        Assert.True(c.IsGlobal(0));
        Assert.False(c.IsGlobal(2));
    }

    [Theory]
    [InlineData("270m", 25.25f, 25.298222f)]
    [InlineData("1b", 34.0f, 33.941124f)]
    [InlineData("4b", 50.5f, 50.596443f)]
    [InlineData("12b", 62.0f, 61.967735f)]
    [InlineData("27b", 73.5f, 73.321213f)]
    public void EmbedScaleMatchesSpecTable(string name, float bf16, float exact)
    {
        var c = Gemma3Config.Released(name)!;
        Assert.Equal(bf16, c.EmbedScale(EmbedScaleMode.Bf16));
        Assert.Equal(exact, c.EmbedScale(EmbedScaleMode.Exact), 5);
    }

    [Fact]
    public void ParameterCountsMatchTheReport()
    {
        // Report Table 1: 1B = 302M embedding + 698M non-embedding.
        var c = Gemma3Config.Gemma3_1B;
        long emb = (long)c.VocabSize * c.HiddenSize;
        Assert.InRange(emb / 1e6, 301.5, 302.5);
        Assert.InRange((c.ParameterCount() - emb) / 1e6, 697, 699);
        Assert.Equal(0.0625f, c.AttentionScale);
        Assert.Equal(1f / MathF.Sqrt(168), Gemma3Config.Gemma3_27B.AttentionScale);
    }

    [Fact]
    public void ValidateRejectsAbsurdShapes()
    {
        var bad = Gemma3Config.Gemma3_1B with { NumKvHeads = 3 };
        var e = Assert.Throws<SharpLMDataException>(() => bad.Validate("x/config.json"));
        Assert.StartsWith("x/config.json: ", e.Message);
        Assert.Throws<SharpLMDataException>(() => (Gemma3Config.Gemma3_1B with { HiddenSize = int.MaxValue }).Validate("c"));
    }
}
