using System.Text;
using System.Text.Unicode;

using SharpLM.Data.Html.Charset;

namespace SharpLM.Data.Html;

/// <summary>How <see cref="HtmlCharset"/> chose a page's encoding.</summary>
public enum CharsetSource
{
    /// <summary>A byte-order mark (UTF-8, UTF-16LE/BE); it overrides everything, as in browsers.</summary>
    Bom,
    /// <summary>The <c>charset</c> parameter of the HTTP Content-Type header.</summary>
    ContentType,
    /// <summary><c>&lt;meta charset&gt;</c>, <c>&lt;meta http-equiv=Content-Type&gt;</c> or the XML declaration, in the first bytes.</summary>
    Meta,
    /// <summary>No usable label; the bytes are valid UTF-8.</summary>
    SniffedUtf8,
    /// <summary>No usable label and not UTF-8: the legacy encoding expected for the page's language or domain (HTML5 "locale default").</summary>
    LocaleDefault,
    /// <summary>
    /// The label named another encoding but the bytes are valid UTF-8 with non-ASCII text: decoded as UTF-8, as
    /// OpenWebMath does (stale labels are common; legacy multi-byte text is practically never valid UTF-8).
    /// </summary>
    Utf8OverLabel,
    /// <summary>The label said UTF-8 but the bytes are mostly not UTF-8; decoded with the locale default instead.</summary>
    LabelContradicted,
}

/// <summary>Text decoded from a page's raw bytes, with the encoding used and why.</summary>
/// <param name="Text">The page as text (invalid sequences replaced by U+FFFD).</param>
/// <param name="Charset">The WHATWG-style name of the encoding used, e.g. <c>utf-8</c>, <c>windows-1252</c>, <c>shift_jis</c>.</param>
/// <param name="Source">Where that choice came from.</param>
/// <param name="Declared">The label found in the header or the page, when there was one (even if not used).</param>
public sealed record DecodedHtml(string Text, string Charset, CharsetSource Source, string? Declared);

/// <summary>
/// Turns the raw bytes of an HTTP response body into text: byte-order mark, then the Content-Type header's
/// charset, then <c>&lt;meta&gt;</c> / XML declaration in the first 4 KiB, then sniffing (valid UTF-8, else
/// the legacy encoding expected for the page's language or top-level domain, windows-1252 by default).
/// Legacy code pages come from .NET's <see cref="CodePagesEncodingProvider"/>. Bodies that are not text at
/// all (images, archives, PDFs, NUL-ridden bytes) are refused with a reason, so a binary response that was
/// labelled <c>text/html</c> never reaches the parser. The WARC reader of the pipeline calls
/// <see cref="TryDecode"/> for every HTML record.
/// </summary>
public static class HtmlCharset
{
    static HtmlCharset() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    /// <summary>How many leading bytes are searched for a meta charset (HTML5 prescans 1,024; real pages often put it later).</summary>
    public const int MetaScanBytes = 4096;

    /// <summary>Decodes <paramref name="bytes"/> or throws <see cref="SharpLMDataException"/> naming <paramref name="source"/>.</summary>
    /// <param name="bytes">The response body (after transfer and content decoding).</param>
    /// <param name="contentType">The HTTP Content-Type header value, if any (e.g. <c>text/html; charset=EUC-JP</c>).</param>
    /// <param name="url">The page URL, used only for the top-level-domain default encoding.</param>
    /// <param name="source">What to name in the error (a file path or a WARC record id).</param>
    public static DecodedHtml Decode(ReadOnlySpan<byte> bytes, string? contentType = null, string? url = null, string source = "<html>") =>
        TryDecode(bytes, contentType, url, out var result, out var reason) ? result! : throw new SharpLMDataException(source, reason!);

    /// <summary>Decodes <paramref name="bytes"/>; false with a reason (binary content) when the body is not text.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> bytes, string? contentType, string? url, out DecodedHtml? result, out string? reason)
    {
        result = null;
        reason = BinarySniffer.WhyNotText(bytes);
        if (reason is not null) return false;

        // 1. Byte-order mark.
        if (bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF)
        {
            result = new DecodedHtml(Encoding.UTF8.GetString(bytes[3..]), "utf-8", CharsetSource.Bom, null);
            return true;
        }
        if (bytes.Length >= 2 && ((bytes[0] == 0xFF && bytes[1] == 0xFE) || (bytes[0] == 0xFE && bytes[1] == 0xFF)))
        {
            bool le = bytes[0] == 0xFF;
            var enc = le ? Encoding.Unicode : Encoding.BigEndianUnicode;
            result = new DecodedHtml(enc.GetString(bytes[2..]), le ? "utf-16le" : "utf-16be", CharsetSource.Bom, null);
            return true;
        }

        // 2. HTTP header, 3. meta / XML declaration.
        string? declared = CharsetLabels.FromContentType(contentType);
        var src = CharsetSource.ContentType;
        var encoding = CharsetLabels.Resolve(declared);
        if (encoding is null)
        {
            var meta = MetaCharsetScanner.Find(bytes[..Math.Min(bytes.Length, MetaScanBytes)]);
            if (meta is not null) declared = meta;
            encoding = CharsetLabels.Resolve(meta);
            src = CharsetSource.Meta;
            // A meta that claims UTF-16 without a BOM means UTF-8 (HTML5: the bytes were readable as ASCII).
            if (encoding is UnicodeEncoding) encoding = Encoding.UTF8;
        }

        bool validUtf8 = Utf8.IsValid(bytes);
        if (encoding is not null)
        {
            if (encoding.CodePage == 65001 && !validUtf8 && MostlyNotUtf8(bytes))
            {
                var fallback = CharsetLabels.LocaleDefault(bytes, url);
                result = new DecodedHtml(fallback.GetString(bytes), CharsetLabels.Name(fallback), CharsetSource.LabelContradicted, declared);
                return true;
            }
            if (encoding.CodePage != 65001 && validUtf8 && HasNonAscii(bytes))
            {
                result = new DecodedHtml(Encoding.UTF8.GetString(bytes), "utf-8", CharsetSource.Utf8OverLabel, declared);
                return true;
            }
            result = new DecodedHtml(encoding.GetString(bytes), CharsetLabels.Name(encoding), src, declared);
            return true;
        }

        // 4. Sniffing.
        if (validUtf8)
        {
            result = new DecodedHtml(Encoding.UTF8.GetString(bytes), "utf-8", CharsetSource.SniffedUtf8, declared);
            return true;
        }
        var guess = CharsetLabels.LocaleDefault(bytes, url);
        result = new DecodedHtml(guess.GetString(bytes), CharsetLabels.Name(guess), CharsetSource.LocaleDefault, declared);
        return true;
    }

    static bool HasNonAscii(ReadOnlySpan<byte> b) => b.IndexOfAnyExceptInRange((byte)0, (byte)127) >= 0;

    /// <summary>True when fewer than half of the non-ASCII bytes sit in well-formed UTF-8 sequences.</summary>
    static bool MostlyNotUtf8(ReadOnlySpan<byte> b)
    {
        int high = 0, good = 0;
        int i = 0;
        while (i < b.Length)
        {
            byte c = b[i];
            if (c < 0x80) { i++; continue; }
            int need = c >= 0xF5 ? -1 : c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC2 ? 1 : -1;
            int k = 1;
            if (need > 0)
                while (k <= need && i + k < b.Length && (b[i + k] & 0xC0) == 0x80) k++;
            if (need > 0 && k == need + 1) { good += need + 1; high += need + 1; i += need + 1; }
            else { high++; i++; }
        }
        return high > 0 && good * 2 < high;
    }
}
