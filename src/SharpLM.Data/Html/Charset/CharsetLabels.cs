using System.Text;

namespace SharpLM.Data.Html.Charset;

/// <summary>
/// Encoding labels as the WHATWG Encoding standard maps them (the labels browsers accept, not IANA's list):
/// <c>iso-8859-1</c>, <c>latin1</c> and <c>us-ascii</c> mean windows-1252; <c>gb2312</c>/<c>gbk</c> mean GB18030's
/// superset; <c>euc-kr</c> means windows-949; <c>tis-620</c> means windows-874; <c>x-user-defined</c> and
/// <c>replacement</c> labels are not honoured. Also the locale default used when a page declares nothing.
/// </summary>
static class CharsetLabels
{
    static readonly Dictionary<string, string> Aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["utf8"] = "utf-8", ["unicode-1-1-utf-8"] = "utf-8", ["x-unicode20utf8"] = "utf-8",
        ["iso-8859-1"] = "windows-1252", ["iso8859-1"] = "windows-1252", ["iso_8859-1"] = "windows-1252",
        ["latin1"] = "windows-1252", ["l1"] = "windows-1252", ["ascii"] = "windows-1252",
        ["us-ascii"] = "windows-1252", ["ansi_x3.4-1968"] = "windows-1252", ["cp1252"] = "windows-1252",
        ["x-cp1252"] = "windows-1252", ["cp819"] = "windows-1252", ["ibm819"] = "windows-1252",
        ["iso-ir-100"] = "windows-1252", ["csisolatin1"] = "windows-1252",
        ["iso-8859-9"] = "windows-1254", ["latin5"] = "windows-1254", ["iso-8859-11"] = "windows-874",
        ["tis-620"] = "windows-874", ["gb2312"] = "gb18030", ["gbk"] = "gb18030", ["x-gbk"] = "gb18030",
        ["chinese"] = "gb18030", ["csgb2312"] = "gb18030", ["euc-kr"] = "ks_c_5601-1987", ["cseuckr"] = "ks_c_5601-1987",
        ["windows-949"] = "ks_c_5601-1987", ["x-sjis"] = "shift_jis", ["sjis"] = "shift_jis", ["ms_kanji"] = "shift_jis",
        ["windows-31j"] = "shift_jis", ["csshiftjis"] = "shift_jis", ["big5-hkscs"] = "big5", ["x-x-big5"] = "big5",
        ["cn-big5"] = "big5", ["x-mac-roman"] = "macintosh", ["mac"] = "macintosh", ["koi"] = "koi8-r", ["koi8"] = "koi8-r",
    };

    /// <summary>The <c>charset</c> parameter of a Content-Type value, unquoted, or null.</summary>
    public static string? FromContentType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType)) return null;
        int i = contentType.IndexOf("charset", StringComparison.OrdinalIgnoreCase);
        while (i >= 0)
        {
            int j = i + 7;
            while (j < contentType.Length && char.IsWhiteSpace(contentType[j])) j++;
            if (j < contentType.Length && contentType[j] == '=')
            {
                j++;
                while (j < contentType.Length && char.IsWhiteSpace(contentType[j])) j++;
                if (j < contentType.Length && contentType[j] is '"' or '\'') j++;
                int v = j;
                while (j < contentType.Length && !char.IsWhiteSpace(contentType[j]) && contentType[j] is not (';' or '"' or '\'' or ',')) j++;
                return j > v ? contentType[v..j] : null;
            }
            i = contentType.IndexOf("charset", i + 7, StringComparison.OrdinalIgnoreCase);
        }
        return null;
    }

    /// <summary>The encoding a label names, or null for an unknown or refused label.</summary>
    public static Encoding? Resolve(string? label)
    {
        if (string.IsNullOrWhiteSpace(label)) return null;
        label = label.Trim().Trim('"', '\'');
        if (label.Equals("x-user-defined", StringComparison.OrdinalIgnoreCase) || label.Equals("replacement", StringComparison.OrdinalIgnoreCase))
            return null;
        if (Aliases.TryGetValue(label, out var canonical)) label = canonical;
        try
        {
            var e = Encoding.GetEncoding(label);
            return e.CodePage == 65001 ? Encoding.UTF8 : e; // Encoding.UTF8 replaces invalid bytes without throwing
        }
        catch (ArgumentException) { return null; }
    }

    /// <summary>The name reported for an encoding (lower-case WHATWG spelling where it differs from .NET's).</summary>
    public static string Name(Encoding e) => e.CodePage switch
    {
        65001 => "utf-8",
        949 => "euc-kr",
        932 => "shift_jis",
        54936 => "gb18030",
        _ => e.WebName.ToLowerInvariant(),
    };

    /// <summary>
    /// HTML5's "suggested default encoding" when nothing is declared: chosen from the page's top-level domain
    /// (or the <c>lang</c> of its <c>&lt;html&gt;</c> element), windows-1252 otherwise.
    /// </summary>
    public static Encoding LocaleDefault(ReadOnlySpan<byte> bytes, string? url)
    {
        string? key = TopLevelDomain(url);
        string? lang = HtmlLang(bytes);
        string label = (key, lang) switch
        {
            ("jp", _) or (_, "ja") => "shift_jis",
            ("cn", _) or (_, "zh-cn") or (_, "zh") => "gb18030",
            ("tw", _) or ("hk", _) or (_, "zh-tw") or (_, "zh-hk") => "big5",
            ("kr", _) or (_, "ko") => "ks_c_5601-1987",
            ("ru", _) or ("ua", _) or ("by", _) or ("bg", _) or ("rs", _) or (_, "ru") or (_, "uk") or (_, "bg") => "windows-1251",
            ("pl", _) or ("cz", _) or ("sk", _) or ("hu", _) or ("si", _) or ("hr", _) or (_, "pl") or (_, "cs") or (_, "hu") => "windows-1250",
            ("gr", _) or (_, "el") => "windows-1253",
            ("tr", _) or (_, "tr") => "windows-1254",
            ("il", _) or (_, "he") => "windows-1255",
            ("th", _) or (_, "th") => "windows-874",
            ("vn", _) or (_, "vi") => "windows-1258",
            ("lt", _) or ("lv", _) or ("ee", _) or (_, "lt") or (_, "lv") or (_, "et") => "windows-1257",
            _ => "windows-1252",
        };
        return Encoding.GetEncoding(label);
    }

    static string? TopLevelDomain(string? url)
    {
        if (url is null || !Uri.TryCreate(url, UriKind.Absolute, out var u)) return null;
        var host = u.Host;
        int dot = host.LastIndexOf('.');
        return dot < 0 ? null : host[(dot + 1)..].ToLowerInvariant();
    }

    /// <summary>The <c>lang</c> attribute of the <c>&lt;html&gt;</c> tag in the first bytes, lower-case.</summary>
    static string? HtmlLang(ReadOnlySpan<byte> bytes)
    {
        var head = Encoding.Latin1.GetString(bytes[..Math.Min(bytes.Length, 2048)]);
        int h = head.IndexOf("<html", StringComparison.OrdinalIgnoreCase);
        if (h < 0) return null;
        int gt = head.IndexOf('>', h);
        if (gt < 0) return null;
        var tag = head[h..gt];
        int l = tag.IndexOf("lang=", StringComparison.OrdinalIgnoreCase);
        if (l < 0) return null;
        var v = tag[(l + 5)..].TrimStart('"', '\'');
        int end = v.IndexOfAny([' ', '"', '\'', '>']);
        return (end < 0 ? v : v[..end]).ToLowerInvariant();
    }
}
