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
            _keys[l] = new float[(long)_capacity[l] * _width];
            _values[l] = new float[(long)_capacity[l] * _width];
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
}
