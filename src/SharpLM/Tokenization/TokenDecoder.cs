using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace SharpLM.Tokenization;

/// <summary>
/// Ids → text per the tokenizer's decoder, as Hugging Face decodes: each token's text with the decoder's
/// replacements (▁ → space), runs of <c>&lt;0xNN&gt;</c> byte tokens turned back into bytes (valid UTF-8 → the
/// text; otherwise one U+FFFD per byte), then a whole-text strip. Token texts are prepared once at load as
/// UTF-8, so decoding is a byte copy per token and one UTF-8 → UTF-16 conversion.
/// </summary>
internal sealed class TokenDecoder
{
    readonly byte[] _blob;        // display UTF-8 of every id, after the per-token Replace steps
    readonly int[] _offsets;
    readonly short[] _byteValue;  // id → 0…255 for a <0xNN> token when the decoder has ByteFallback, else −1
    readonly bool[] _special;
    readonly bool _joinWithSpace; // no decoder at all: Hugging Face joins token texts with ' '
    readonly char _stripChar;
    readonly int _stripStart, _stripStop;

    public int Count => _offsets.Length - 1;

    public TokenDecoder(TokenizerDefinition def)
    {
        var pieces = def.Pieces;
        int n = pieces.Count;
        var steps = def.Decoder;
        _joinWithSpace = steps is null;
        var replaces = steps?.OfType<DecoderStep.Replace>().ToArray() ?? [];
        bool byteFallback = steps?.OfType<DecoderStep.ByteFallback>().Any() ?? false;
        if (steps?.OfType<DecoderStep.Strip>().FirstOrDefault() is { } strip)
        {
            _stripChar = strip.Content;
            _stripStart = strip.Start;
            _stripStop = strip.Stop;
        }

        _special = new bool[n];
        foreach (var a in def.AddedTokens) if (a.Special) _special[a.Id] = true;

        _byteValue = new short[n];
        _offsets = new int[n + 1];
        var patterns = replaces.Select(r => (From: Encoding.UTF8.GetBytes(r.Pattern), To: Encoding.UTF8.GetBytes(r.Content))).ToArray();
        var blob = new Utf8Builder(n * 8);
        var tmp = new Utf8Builder(64);
        try
        {
            for (int id = 0; id < n; id++)
            {
                var text = pieces.Utf8(id);
                _byteValue[id] = (short)(byteFallback ? ByteValue(text) : -1);
                _offsets[id] = blob.Count;
                if (patterns.Length == 0) { blob.Append(text); continue; }
                // Apply each literal replacement in turn, on UTF-8 bytes (both sides are whole characters).
                ReadOnlySpan<byte> current = text;
                foreach (var (from, to) in patterns)
                {
                    if (current.IndexOf(from) < 0) continue;
                    var next = new Utf8Builder(current.Length + 16);
                    while (true)
                    {
                        int i = current.IndexOf(from);
                        if (i < 0) break;
                        next.Append(current[..i]);
                        next.Append(to);
                        current = current[(i + from.Length)..];
                    }
                    next.Append(current);
                    tmp.Count = 0;
                    tmp.Append(next.Written);
                    next.Dispose();
                    current = tmp.Written;
                }
                blob.Append(current);
            }
            _offsets[n] = blob.Count;
            _blob = blob.Written.ToArray();
        }
        finally
        {
            blob.Dispose();
            tmp.Dispose();
        }
    }

    /// <summary>Hugging Face ByteFallback: a token is a byte when its text is exactly "&lt;0x" + two hex digits + "&gt;".</summary>
    static int ByteValue(ReadOnlySpan<byte> t)
    {
        if (t.Length != 6 || t[0] != '<' || t[1] != '0' || t[2] != 'x' || t[5] != '>') return -1;
        int hi = Hex(t[3]), lo = Hex(t[4]);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }

    static int Hex(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        _ => -1,
    };

    public bool IsSpecial(int id) => _special[id];
    public int ByteValueOf(int id) => _byteValue[id];
    public ReadOnlySpan<byte> DisplayUtf8(int id) => _blob.AsSpan(_offsets[id], _offsets[id + 1] - _offsets[id]);
    public bool HasStrip => _stripStart > 0 || _stripStop > 0;
    public bool JoinsWithSpace => _joinWithSpace;
    public char StripChar => _stripChar;
    public int StripStart => _stripStart;

    public string Decode(ReadOnlySpan<int> ids, bool skipSpecial)
    {
        var buf = new Utf8Builder(Math.Max(256, ids.Length * 6));
        try
        {
            int runStart = -1;   // start of the pending byte run in buf
            bool first = true;
            foreach (int id in ids)
            {
                if ((uint)id >= (uint)Count)
                    throw new ArgumentOutOfRangeException(nameof(ids), $"token id {id} is outside the vocabulary (0…{Count - 1})");
                if (skipSpecial && _special[id]) continue;
                if (_joinWithSpace && !first) buf.Append(" "u8);
                first = false;
                int b = _byteValue[id];
                if (b >= 0)
                {
                    if (runStart < 0) runStart = buf.Count;
                    buf.Append((byte)b);
                    continue;
                }
                if (runStart >= 0) { FinishRun(ref buf, runStart); runStart = -1; }
                buf.Append(DisplayUtf8(id));
            }
            if (runStart >= 0) FinishRun(ref buf, runStart);
            string text = Encoding.UTF8.GetString(buf.Written);
            return HasStrip ? Strip(text) : text;
        }
        finally
        {
            buf.Dispose();
        }
    }

    /// <summary>A byte run that is not valid UTF-8 becomes one U+FFFD per byte (Hugging Face ByteFallback).</summary>
    static void FinishRun(ref Utf8Builder buf, int runStart)
    {
        int count = buf.Count - runStart;
        if (Utf8.IsValid(buf.Written[runStart..])) return;
        buf.Count = runStart;
        for (int i = 0; i < count; i++) buf.Append("\uFFFD"u8);
    }

    string Strip(string text)
    {
        int s = 0, e = text.Length;
        while (s < _stripStart && s < e && text[s] == _stripChar) s++;
        int stopped = 0;
        while (stopped < _stripStop && e > s && text[e - 1] == _stripChar) { e--; stopped++; }
        return text[s..e];
    }
}

/// <summary>A growable UTF-8 byte buffer on a pooled array.</summary>
internal struct Utf8Builder(int capacity) : IDisposable
{
    byte[] _buf = ArrayPool<byte>.Shared.Rent(capacity);
    public int Count;

    public readonly ReadOnlySpan<byte> Written => _buf.AsSpan(0, Count);

    public void Append(byte b)
    {
        if (Count == _buf.Length) Grow(1);
        _buf[Count++] = b;
    }

    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (Count + bytes.Length > _buf.Length) Grow(bytes.Length);
        bytes.CopyTo(_buf.AsSpan(Count));
        Count += bytes.Length;
    }

    void Grow(int need)
    {
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buf.Length * 2, Count + need));
        _buf.AsSpan(0, Count).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buf);
        _buf = bigger;
    }

    public void Dispose()
    {
        if (_buf.Length > 0) ArrayPool<byte>.Shared.Return(_buf);
        _buf = [];
    }
}
