using SharpLM.Tensors;

namespace SharpLM.Tests.Models;

public class BFloat16Tests
{
    [Fact]
    public void RoundsToNearestEven()
    {
        Assert.Equal(34.0f, BFloat16.Round(33.941124f));
        Assert.Equal(55.5f, BFloat16.Round(MathF.Sqrt(3072))); // HF PR #29402's example
        // 1 + 2^-8 is exactly halfway between 1 and 1 + 2^-7: ties to even (1.0).
        Assert.Equal(1.0f, BFloat16.Round(1f + 1f / 256));
        Assert.Equal(1f + 2f / 128, BFloat16.Round(1f + 3f / 256));
        Assert.True(float.IsNaN(BFloat16.Round(float.NaN)));
        Assert.Equal(float.PositiveInfinity, BFloat16.Round(float.PositiveInfinity));
    }
}
