using SharpLM.Kernels;

namespace SharpLM.Tests.Kernels;

public sealed class KernelIsaTests
{
    [Theory]
    [InlineData("scalar", KernelIsa.Scalar)]
    [InlineData("V128", KernelIsa.V128)]
    [InlineData("avx2", KernelIsa.V256)]
    [InlineData(" avx512 ", KernelIsa.V512)]
    [InlineData(null, KernelIsa.V512)]
    [InlineData("", KernelIsa.V512)]
    public void ParsesTheEnvironmentValue(string? value, KernelIsa want) =>
        Assert.Equal(want, KernelIsaInfo.FromEnvironment(value, KernelIsa.V512));

    [Fact]
    public void RefusesUnknownOrUnsupportedLevels()
    {
        Assert.Throws<InvalidOperationException>(() => KernelIsaInfo.FromEnvironment("avx9", KernelIsa.V512));
        var e = Assert.Throws<InvalidOperationException>(() => KernelIsaInfo.FromEnvironment("avx512", KernelIsa.V256));
        Assert.Contains("at most V256", e.Message);
    }

    [Fact]
    public void SupportedLevelsRunUpToBest()
    {
        Assert.Equal(KernelIsa.Scalar, KernelIsaInfo.Supported[0]);
        Assert.Equal(KernelIsaInfo.Best, KernelIsaInfo.Supported[^1]);
        Assert.True(KernelIsaInfo.IsSupported(KernelIsaInfo.Default));
    }
}
