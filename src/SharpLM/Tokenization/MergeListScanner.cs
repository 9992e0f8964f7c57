using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text.Unicode;

namespace SharpLM.Tokenization;

/// <summary>
/// Reads the <c>"merges"</c> array of a tokenizer.json (~515k entries, 25 of the Gemma 3 file's 33 MB) with a
/// byte scanner specialised for its two shapes — pairs <c>["left", "right"]</c> and legacy strings
/// <c>"left right"</c> — instead of <see cref="System.Text.Json.Utf8JsonReader"/>'s general tokenizer: whitespace
/// and string bodies are skipped with vectorized searches, and each piece's UTF-8 goes straight into the
/// caller's buffer.
/// </summary>
/// <remarks>
/// Strict by design: it accepts only well-formed JSON of exactly these shapes (JSON whitespace, no comments, the
/// RFC 8259 escapes except <c>\u</c> surrogates, valid UTF-8, a legacy string with exactly one inner space). On
/// anything else it reports failure and the caller discards what it appended and reads the array with
/// <see cref="System.Text.Json.Utf8JsonReader"/>, which then either reads the unusual form or gives the exact
/// error message it always gave. So a file never loads differently, and a bad file never fails differently,
/// because of this scanner.
/// </remarks>
internal static class MergeListScanner
{
    static readonly SearchValues<byte> s_whitespace = SearchValues.Create(" \t\r\n"u8);
    static readonly SearchValues<byte> s_stringStop = SearchValues.Create(
        "\"\\\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000A\u000B\u000C\u000D\u000E\u000F\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F"u8);

    /// <summary>
    /// Scans the array that starts at <paramref name="start"/> (<c>json[start]</c> is '['), appending every merge's two
    /// pieces to <paramref name="sink"/>. Returns the index just after the closing ']', or −1 when the array is not of the
    /// simple form (see remarks; the sink's contents are then to be discarded).
    /// </summary>
    public static int Scan(ReadOnlySpan<byte> json, int start, MergeTexts sink)
    {
        if ((uint)start >= (uint)json.Length || json[start] != (byte)'[') return -1;
        int i = SkipWhitespace(json, start + 1);
        if (i < json.Length && json[i] == (byte)']') return i + 1;
        while (true)
        {
            if (i >= json.Length) return -1;
            byte c = json[i];
            if (c == (byte)'[')
            {
                i = SkipWhitespace(json, i + 1);
                if ((i = Piece(json, i, sink, out _)) < 0) return -1;
                i = SkipWhitespace(json, i);
                if (i >= json.Length || json[i] != (byte)',') return -1;
                i = SkipWhitespace(json, i + 1);
                if ((i = Piece(json, i, sink, out _)) < 0) return -1;
                i = SkipWhitespace(json, i);
                if (i >= json.Length || json[i] != (byte)']') return -1;
                i++;
            }
            else if (c == (byte)'"')
            {
                // Legacy "left right": read the whole string as one piece, then cut it at its one space.
                if ((i = Piece(json, i, sink, out int length)) < 0) return -1;
                if (!sink.SplitLast(length)) return -1;
            }
            else return -1;
            i = SkipWhitespace(json, i);
            if (i >= json.Length) return -1;
            if (json[i] == (byte)',') { i = SkipWhitespace(json, i + 1); continue; }
            if (json[i] == (byte)']') return i + 1;
            return -1;
        }
    }

    static int SkipWhitespace(ReadOnlySpan<byte> json, int i)
    {
        // Pretty-printed files put a newline and 6–8 spaces between tokens: one 16-byte compare finds the end of most runs.
        ref byte start = ref MemoryMarshal.GetReference(json);
        while (i + Vector128<byte>.Count <= json.Length)
        {
            var v = Vector128.LoadUnsafe(ref start, (nuint)i);
            var ws = Vector128.Equals(v, Vector128.Create((byte)' ')) | Vector128.Equals(v, Vector128.Create((byte)'\n'))
                | Vector128.Equals(v, Vector128.Create((byte)'\r')) | Vector128.Equals(v, Vector128.Create((byte)'\t'));
            uint other = ~ws.ExtractMostSignificantBits() & 0xFFFF;
            if (other != 0) return i + BitOperations.TrailingZeroCount(other);
            i += Vector128<byte>.Count;
        }
        while (i < json.Length && json[i] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t') i++;
        return i;
    }

    /// <summary>The first index at or after <paramref name="i"/> holding '"', '\\' or a control character (or the length); <paramref name="high"/> tells whether a byte ≥ 0x80 came before it.</summary>
    static int StringStop(ReadOnlySpan<byte> json, int i, out bool high)
    {
        ref byte start = ref MemoryMarshal.GetReference(json);
        uint highBits = 0;
        while (i + Vector128<byte>.Count <= json.Length)
        {
            var v = Vector128.LoadUnsafe(ref start, (nuint)i);
            var stop = Vector128.Equals(v, Vector128.Create((byte)'"')) | Vector128.Equals(v, Vector128.Create((byte)'\\'))
                | Vector128.LessThan(v, Vector128.Create((byte)0x20));
            uint stops = stop.ExtractMostSignificantBits();
            uint hb = v.ExtractMostSignificantBits();
            if (stops != 0)
            {
                int at = BitOperations.TrailingZeroCount(stops);
                high = highBits != 0 || (hb & ((1u << at) - 1)) != 0;
                return i + at;
            }
            highBits |= hb;
            i += Vector128<byte>.Count;
        }
        bool h = highBits != 0;
        while (i < json.Length)
        {
            byte b = json[i];
            if (b == (byte)'"' || b == (byte)'\\' || b < 0x20) break;
            h |= b >= 0x80;
            i++;
        }
        high = h;
        return i;
    }

    /// <summary>One JSON string at <paramref name="i"/>, unescaped into the sink as a piece; returns the index after its closing quote, or −1.</summary>
    static int Piece(ReadOnlySpan<byte> json, int i, MergeTexts sink, out int length)
    {
        length = 0;
        if (i >= json.Length || json[i] != (byte)'"') return -1;
        i++;
        int k = StringStop(json, i, out bool high);
        if (k >= json.Length) return -1;
        if (json[k] == (byte)'"')
        {
            // No escapes: the common case.
            var raw = json[i..k];
            if (raw.IsEmpty || (high && !Utf8.IsValid(raw))) return -1;
            raw.CopyTo(sink.Reserve(raw.Length));
            sink.EndPiece(raw.Length);
            length = raw.Length;
            return k + 1;
        }
        // Escapes: the unescaped text is never longer than the raw text (\uXXXX is 6 bytes for at most 3).
        int close = i;
        while (true)
        {
            int stop = json[close..].IndexOfAny(s_stringStop);
            if (stop < 0) return -1;
            close += stop;
            if (json[close] == (byte)'"') break;
            if (json[close] != (byte)'\\' || close + 1 >= json.Length) return -1;   // a raw control character
            close += 2;                                                             // skip the escaped character
        }
        var body = json[i..close];
        var dst = sink.Reserve(body.Length);
        int n = 0;
        for (int at = 0; at < body.Length;)
        {
            int run = body[at..].IndexOf((byte)'\\');
            if (run < 0) run = body.Length - at;
            body.Slice(at, run).CopyTo(dst[n..]);
            n += run;
            at += run;
            if (at >= body.Length) break;
            byte e = body[at + 1];
            at += 2;
            switch (e)
            {
                case (byte)'"': dst[n++] = (byte)'"'; break;
                case (byte)'\\': dst[n++] = (byte)'\\'; break;
                case (byte)'/': dst[n++] = (byte)'/'; break;
                case (byte)'b': dst[n++] = 0x08; break;
                case (byte)'f': dst[n++] = 0x0C; break;
                case (byte)'n': dst[n++] = (byte)'\n'; break;
                case (byte)'r': dst[n++] = (byte)'\r'; break;
                case (byte)'t': dst[n++] = (byte)'\t'; break;
                case (byte)'u':
                    if (at + 4 > body.Length || !TryHex4(body.Slice(at, 4), out int cp) || cp is >= 0xD800 and <= 0xDFFF) return -1;
                    at += 4;
                    n += new System.Text.Rune(cp).EncodeToUtf8(dst[n..]);
                    break;
                default: return -1;
            }
        }
        if (n == 0 || !Utf8.IsValid(dst[..n])) return -1;
        sink.EndPiece(n);
        length = n;
        return close + 1;
    }

    static bool TryHex4(ReadOnlySpan<byte> hex, out int value)
    {
        value = 0;
        foreach (byte h in hex)
        {
            int d = h is >= (byte)'0' and <= (byte)'9' ? h - '0' : (h | 0x20) is >= 'a' and <= 'f' ? (h | 0x20) - 'a' + 10 : -1;
            if (d < 0) return false;
            value = value << 4 | d;
        }
        return true;
    }
}
