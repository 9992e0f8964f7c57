using System.Buffers;
using System.Text;

namespace SharpLM.Tokenization;

/// <summary>
/// Decodes generated ids one at a time: <see cref="Push"/> returns the text that became complete with this id,
/// so a chat can print as it generates. Byte-fallback tokens (<c>&lt;0xF0&gt;&lt;0x9F&gt;&lt;0x98&gt;&lt;0x80&gt;</c> for 😀)
/// are held until they form a whole UTF-8 character; nothing is lost or printed twice.
/// </summary>
/// <remarks>
/// The concatenation of every <see cref="Push"/> result and <see cref="Flush"/> equals
/// <see cref="Gemma3Tokenizer.Decode"/> of the same ids whenever each run of byte tokens is valid UTF-8 (always
/// the case for text the tokenizer produced). For a run that is not, Hugging Face replaces the whole run with
/// one U+FFFD per byte, which a stream cannot do without holding back valid characters already printed; here the
/// valid characters are printed and each byte of an invalid or unfinished sequence becomes one U+FFFD.
/// A decoder <c>Strip</c> removes leading characters at the start of the stream only.
/// </remarks>
public sealed class StreamingDetokenizer
{
    readonly TokenDecoder _decoder;
    readonly bool _skipSpecial;
    readonly byte[] _pending = new byte[4];   // an unfinished UTF-8 sequence from byte tokens
    int _pendingCount;
    int _stripLeft;                           // leading strip characters still to remove
    bool _any;

    internal StreamingDetokenizer(TokenDecoder decoder, bool skipSpecialTokens)
    {
        _decoder = decoder;
        _skipSpecial = skipSpecialTokens;
        _stripLeft = decoder.StripStart;
    }

    /// <summary>Adds <paramref name="id"/>; returns the newly complete text (often empty while a multi-byte character is pending).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is outside the vocabulary.</exception>
    public string Push(int id)
    {
        if ((uint)id >= (uint)_decoder.Count)
            throw new ArgumentOutOfRangeException(nameof(id), $"token id {id} is outside the vocabulary (0…{_decoder.Count - 1})");
        if (_skipSpecial && _decoder.IsSpecial(id)) return "";
        var sb = new StringBuilder();
        if (_decoder.JoinsWithSpace && _any) sb.Append(' ');
        _any = true;
        int b = _decoder.ByteValueOf(id);
        if (b >= 0)
        {
            _pending[_pendingCount++] = (byte)b;
            DrainComplete(sb);
        }
        else
        {
            FlushPending(sb);
            sb.Append(Encoding.UTF8.GetString(_decoder.DisplayUtf8(id)));
        }
        return Stripped(sb);
    }

    /// <summary>Ends the stream: an unfinished byte sequence becomes U+FFFD per byte. The detokenizer can then be reused.</summary>
    public string Flush()
    {
        var sb = new StringBuilder();
        FlushPending(sb);
        string s = Stripped(sb);
        Reset();
        return s;
    }

    /// <summary>Forgets everything pending and starts a new stream.</summary>
    public void Reset()
    {
        _pendingCount = 0;
        _stripLeft = _decoder.StripStart;
        _any = false;
    }

    // Emits whole characters from the pending bytes; an invalid byte becomes U+FFFD; an unfinished tail stays.
    void DrainComplete(StringBuilder sb)
    {
        int at = 0;
        while (at < _pendingCount)
        {
            var status = Rune.DecodeFromUtf8(_pending.AsSpan(at, _pendingCount - at), out var rune, out int used);
            if (status == OperationStatus.Done) { sb.Append(rune.ToString()); at += used; }
            else if (status == OperationStatus.NeedMoreData) break;
            else { for (int i = 0; i < used; i++) sb.Append('\uFFFD'); at += used; }
        }
        _pending.AsSpan(at, _pendingCount - at).CopyTo(_pending);
        _pendingCount -= at;
    }

    void FlushPending(StringBuilder sb)
    {
        DrainComplete(sb);
        for (int i = 0; i < _pendingCount; i++) sb.Append('\uFFFD');
        _pendingCount = 0;
    }

    string Stripped(StringBuilder sb)
    {
        if (_stripLeft > 0)
        {
            int k = 0;
            while (k < sb.Length && _stripLeft > 0 && sb[k] == _decoder.StripChar) { k++; _stripLeft--; }
            if (k < sb.Length) _stripLeft = 0;   // a non-strip character ends the leading run
            sb.Remove(0, k);
        }
        return sb.ToString();
    }
}
