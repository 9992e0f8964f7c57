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
