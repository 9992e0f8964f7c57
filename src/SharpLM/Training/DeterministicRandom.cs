namespace SharpLM.Training;

/// <summary>
/// A seeded generator whose stream is defined here, not by the runtime (System.Random's algorithm may
/// change between .NET versions): SplitMix64 for integers, Box–Muller for normals. Its whole state is one
/// 64-bit word, saved in checkpoints.
/// </summary>
public sealed class DeterministicRandom
{
    public ulong State { get; set; }

    public DeterministicRandom(ulong seed) => State = seed;

    /// <summary>A generator for stream <paramref name="stream"/> of <paramref name="seed"/> (independent of the others).</summary>
    public static DeterministicRandom For(ulong seed, ulong stream) => new(Mix(seed ^ Mix(stream + 0x632BE59BD9B4E019UL)));

    public ulong NextUInt64()
    {
        ulong z = State += 0x9E3779B97F4A7C15UL;
        return Mix(z);
    }

    static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, <paramref name="n"/>) without modulo bias.</summary>
    public long NextInt64(long n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n));
        ulong un = (ulong)n, limit = ulong.MaxValue - ulong.MaxValue % un;
        ulong r;
        do r = NextUInt64(); while (r >= limit);
        return (long)(r % un);
    }

    /// <summary>Standard normal (Box–Muller; one value per call, the partner is discarded for a simple state).</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
