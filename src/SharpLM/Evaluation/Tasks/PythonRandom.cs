namespace SharpLM.Evaluation.Tasks;

/// <summary>
/// CPython's <c>random.Random</c> (MT19937) for the three calls lighteval's few-shot selection makes:
/// <c>seed(int)</c>, <c>shuffle(list)</c> and <c>sample(population, k)</c>. Reproducing them bit for bit is what
/// makes our prompts byte-identical to lighteval's, so a score here means the same as a score there.
/// </summary>
/// <remarks>
/// Follows CPython 3.11+ (<c>Modules/_randommodule.c</c>, <c>Lib/random.py</c>): integer seeds go through
/// <c>init_by_array</c> with the absolute value split into 32-bit words, least significant first;
/// <c>_randbelow(n)</c> draws <c>n.bit_length()</c> bits and rejects values ≥ n; <c>getrandbits(k ≤ 32)</c> is the
/// top k bits of one 32-bit output. Checked against CPython 3.11.7 in PythonRandomTests.
/// </remarks>
public sealed class PythonRandom
{
    const int N = 624, M = 397;
    const uint MatrixA = 0x9908b0df, UpperMask = 0x80000000, LowerMask = 0x7fffffff;
    readonly uint[] _mt = new uint[N];
    int _index = N + 1;

    public PythonRandom(long seed) => Seed(seed);

    /// <summary><c>random.seed(seed)</c> for an int seed.</summary>
    public void Seed(long seed)
    {
        ulong n = seed < 0 ? (ulong)(-(seed + 1)) + 1 : (ulong)seed; // |seed| without overflow at long.MinValue
        uint[] key = n >> 32 == 0 ? [(uint)n] : [(uint)n, (uint)(n >> 32)];
        InitByArray(key);
    }

    void InitGenrand(uint s)
    {
        _mt[0] = s;
        for (int i = 1; i < N; i++)
            _mt[i] = 1812433253u * (_mt[i - 1] ^ (_mt[i - 1] >> 30)) + (uint)i;
        _index = N;
    }

    void InitByArray(uint[] key)
    {
        InitGenrand(19650218u);
        int i = 1, j = 0;
        for (int k = Math.Max(N, key.Length); k > 0; k--)
        {
            _mt[i] = (_mt[i] ^ ((_mt[i - 1] ^ (_mt[i - 1] >> 30)) * 1664525u)) + key[j] + (uint)j;
            i++; j++;
            if (i >= N) { _mt[0] = _mt[N - 1]; i = 1; }
            if (j >= key.Length) j = 0;
        }
        for (int k = N - 1; k > 0; k--)
        {
            _mt[i] = (_mt[i] ^ ((_mt[i - 1] ^ (_mt[i - 1] >> 30)) * 1566083941u)) - (uint)i;
            i++;
            if (i >= N) { _mt[0] = _mt[N - 1]; i = 1; }
        }
        _mt[0] = 0x80000000u; // MSB is 1, assuring a non-zero initial array
    }

    /// <summary>One 32-bit output of the generator (<c>genrand_uint32</c>).</summary>
    public uint NextUInt32()
    {
        if (_index >= N)
        {
            int kk;
            for (kk = 0; kk < N - M; kk++)
            {
                uint y = (_mt[kk] & UpperMask) | (_mt[kk + 1] & LowerMask);
                _mt[kk] = _mt[kk + M] ^ (y >> 1) ^ ((y & 1) != 0 ? MatrixA : 0);
            }
            for (; kk < N - 1; kk++)
            {
                uint y = (_mt[kk] & UpperMask) | (_mt[kk + 1] & LowerMask);
                _mt[kk] = _mt[kk + (M - N)] ^ (y >> 1) ^ ((y & 1) != 0 ? MatrixA : 0);
            }
            uint last = (_mt[N - 1] & UpperMask) | (_mt[0] & LowerMask);
            _mt[N - 1] = _mt[M - 1] ^ (last >> 1) ^ ((last & 1) != 0 ? MatrixA : 0);
            _index = 0;
        }
        uint x = _mt[_index++];
        x ^= x >> 11;
        x ^= (x << 7) & 0x9d2c5680u;
        x ^= (x << 15) & 0xefc60000u;
        x ^= x >> 18;
        return x;
    }

    /// <summary><c>getrandbits(k)</c> for 0 ≤ k ≤ 32.</summary>
    public uint GetRandBits(int k)
    {
        if (k is < 0 or > 32) throw new ArgumentOutOfRangeException(nameof(k));
        return k == 0 ? 0 : NextUInt32() >> (32 - k);
    }

    /// <summary><c>_randbelow(n)</c>: uniform in [0, n) by rejection on <c>n.bit_length()</c> bits.</summary>
    public int RandBelow(int n)
    {
        if (n <= 0) return 0;
        int k = 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)n);
        uint r = GetRandBits(k);
        while (r >= (uint)n) r = GetRandBits(k);
        return (int)r;
    }

    /// <summary><c>random.shuffle(list)</c> in place (Fisher–Yates from the end).</summary>
    public void Shuffle<T>(IList<T> list)
    {
        for (int i = list.Count - 1; i >= 1; i--)
        {
            int j = RandBelow(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }

    /// <summary>
    /// <c>random.sample(range(n), k)</c>: k distinct indices in selection order. CPython switches between a
    /// pool-swap and a rejection-set algorithm depending on n and k; both are reproduced because they consume
    /// the generator differently.
    /// </summary>
    public int[] SampleIndices(int n, int k)
    {
        if (k < 0 || k > n) throw new ArgumentOutOfRangeException(nameof(k), $"sample larger than population ({k} > {n})");
        var result = new int[k];
        int setSize = 21;
        if (k > 5) setSize += (int)Math.Pow(4, Math.Ceiling(Math.Log(k * 3) / Math.Log(4)));
        if (n <= setSize)
        {
            var pool = new int[n];
            for (int i = 0; i < n; i++) pool[i] = i;
            for (int i = 0; i < k; i++)
            {
                int j = RandBelow(n - i);
                result[i] = pool[j];
                pool[j] = pool[n - i - 1];
            }
        }
        else
        {
            var selected = new HashSet<int>();
            for (int i = 0; i < k; i++)
            {
                int j = RandBelow(n);
                while (!selected.Add(j)) j = RandBelow(n);
                result[i] = j;
            }
        }
        return result;
    }
}
