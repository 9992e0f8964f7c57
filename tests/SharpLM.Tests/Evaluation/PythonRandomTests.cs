using SharpLM.Evaluation.Tasks;

namespace SharpLM.Tests.Evaluation;

/// <summary>Expected values were printed by CPython 3.11.7's <c>random.Random</c> (the generator lighteval uses).</summary>
public class PythonRandomTests
{
    [Fact]
    public void SeedShuffleAndSampleMatchCPython()
    {
        Assert.Equal(2746317213u, new PythonRandom(42).NextUInt32());
        var r = new PythonRandom(42);
        var x = Enumerable.Range(0, 10).ToArray();
        r.Shuffle(x);
        Assert.Equal([7, 3, 2, 8, 5, 6, 9, 4, 0, 1], x);
        Assert.Equal([4837, 3456, 260, 244, 767], r.SampleIndices(7473, 5)); // set-based branch (n > 21)
    }

    [Fact]
    public void LightevalGsm8kDrawMatchesCPython()
    {
        // random.Random(42): shuffle(1319 test docs), then sample(range(7473), 5) per evaluated doc
        var (order, fewShots) = FewShotSampler.RandomSamplingFromTrain(1319, 7473, 5, 42, limit: 3);
        Assert.Equal([588, 1214, 57], order);
        Assert.Equal([7268, 4403, 1111, 3183, 3716], fewShots[0]);
        Assert.Equal([3039, 5492, 6087, 5705, 4425], fewShots[1]);
        Assert.Equal([3433, 4811, 6080, 5952, 1265], fewShots[2]);
        Assert.Equal([588, 1214, 57, 906, 1252, 618, 599, 289], FewShotSampler.EvaluationOrder(1319, 42, 8));
    }

    [Fact]
    public void OtherSeedsAndBranchesMatchCPython()
    {
        var r = new PythonRandom(1);
        Assert.Equal([2, 1, 4], r.SampleIndices(10, 3));                     // pool branch (n <= 21)
        Assert.Equal([3, 15, 24, 14, 28, 20, 12, 6], r.SampleIndices(30, 8)); // k > 5: set size 21 + 4^3
        var big = new PythonRandom((1L << 40) + 123);                          // two 32-bit key words
        Assert.Equal(4053542138u, big.GetRandBits(32));
        Assert.Equal(55u, big.GetRandBits(7));
        Assert.Equal(2675342405u, new PythonRandom(-5).NextUInt32());           // |seed|
        Assert.Equal(3626764237u, new PythonRandom(0).NextUInt32());
        var s = new PythonRandom(7);
        Assert.Equal([331, 970, 154, 404, 666], Enumerable.Range(0, 5).Select(_ => s.RandBelow(1000)).ToArray());
    }
}
