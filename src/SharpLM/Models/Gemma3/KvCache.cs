namespace SharpLM.Models.Gemma3;

/// <summary>
/// Keys and values of past positions, per layer, in f32. Global layers keep every position of the
/// context; local layers keep a ring of W slots (position p lives in slot p mod W), because a local query
/// never looks further back than W − 1 positions (spec §1.7). So the cache grows with the context only on
/// the global layers: for the 1B shape, 32,768 positions cost ≈ 10.7× the bytes of 512, not 64×.
/// </summary>
public sealed class KvCache
{
    readonly float[][] _keys;
    readonly float[][] _values;
    readonly int[] _capacity;
    readonly int _width;

    /// <summary>Positions the cache can hold (the session's context length).</summary>
    public int ContextLength { get; }

    public KvCache(Gemma3Config c, int contextLength)
    {
        if (contextLength <= 0) throw new ArgumentOutOfRangeException(nameof(contextLength), "context length must be positive");
        ContextLength = contextLength;
        _width = c.KvWidth;
        _keys = new float[c.NumLayers][];
        _values = new float[c.NumLayers][];
        _capacity = new int[c.NumLayers];
        for (int l = 0; l < c.NumLayers; l++)
        {
            _capacity[l] = SlotsFor(c, l, contextLength);
            // Pinned, so attention over several sequences' caches at once can hold raw pointers to them.
            _keys[l] = GC.AllocateArray<float>(checked(_capacity[l] * _width), pinned: true);
            _values[l] = GC.AllocateArray<float>(checked(_capacity[l] * _width), pinned: true);
        }
    }

    static int SlotsFor(Gemma3Config c, int layer, int context) =>
        c.IsGlobal(layer) ? context : Math.Min(context, c.SlidingWindow);

    /// <summary>Bytes the cache takes for <paramref name="contextLength"/> positions (f32 keys and values).</summary>
    public static long Bytes(Gemma3Config c, int contextLength)
    {
        long total = 0;
        for (int l = 0; l < c.NumLayers; l++) total += (long)SlotsFor(c, l, contextLength) * c.KvWidth * 2 * sizeof(float);
        return total;
    }

    /// <summary>Bytes this cache holds.</summary>
    public long ByteLength
    {
        get
        {
            long n = 0;
            for (int l = 0; l < _keys.Length; l++) n += ((long)_keys[l].Length + _values[l].Length) * sizeof(float);
            return n;
        }
    }

    /// <summary>Slots of layer <paramref name="layer"/> (W or the context length).</summary>
    public int Capacity(int layer) => _capacity[layer];

    /// <summary>The key vector [nKV·d] of <paramref name="position"/> in <paramref name="layer"/>.</summary>
    public Span<float> Key(int layer, int position) => _keys[layer].AsSpan((position % _capacity[layer]) * _width, _width);

    /// <summary>The value vector [nKV·d] of <paramref name="position"/> in <paramref name="layer"/>.</summary>
    public Span<float> Value(int layer, int position) => _values[layer].AsSpan((position % _capacity[layer]) * _width, _width);

    /// <summary>Slot 0 of layer <paramref name="layer"/>'s keys (the arrays are pinned for the cache's lifetime).</summary>
    internal unsafe float* KeyBase(int layer) => (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref _keys[layer][0]);

    /// <summary>Slot 0 of layer <paramref name="layer"/>'s values (pinned, as <see cref="KeyBase"/>).</summary>
    internal unsafe float* ValueBase(int layer) => (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref _values[layer][0]);

    /// <summary>
    /// Makes this cache hold what <paramref name="source"/> holds for positions 0 … <paramref name="positions"/>−1,
    /// so a sequence can continue from a shared prefix computed once. Copies what a later query can still see:
    /// every position on global layers, the last W on local layers (the ring slots are indexed by absolute
    /// position in both caches, so the copy is right even when the two contexts, and thus capacities, differ).
    /// </summary>
    public void CopyFrom(KvCache source, int positions)
    {
        if (source._keys.Length != _keys.Length || source._width != _width)
            throw new ArgumentException("the caches belong to models of different shapes", nameof(source));
        if ((uint)positions > (uint)source.ContextLength || positions > ContextLength)
            throw new ArgumentOutOfRangeException(nameof(positions), positions, $"the caches hold {source.ContextLength} and {ContextLength} positions");
        for (int l = 0; l < _keys.Length; l++)
        {
            // Positions this layer still needs; the source kept them (its capacity is W or at least `positions`).
            int keep = Math.Min(positions, Math.Min(_capacity[l], source._capacity[l]));
            for (int j = positions - keep; j < positions; j++)
            {
                source.Key(l, j).CopyTo(Key(l, j));
                source.Value(l, j).CopyTo(Value(l, j));
            }
        }
    }
}
