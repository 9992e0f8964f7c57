using System.Text;

namespace SharpLM.Data.Html.Charset;

/// <summary>
/// The HTML5 "prescan" in spirit: finds the encoding a page declares for itself in its first bytes, from
/// <c>&lt;meta charset="…"&gt;</c>, <c>&lt;meta http-equiv="Content-Type" content="…; charset=…"&gt;</c>, or an
/// XML declaration <c>&lt;?xml … encoding="…"?&gt;</c>. Comments are skipped so a commented-out meta is ignored.
/// </summary>
static class MetaCharsetScanner
{
    public static string? Find(ReadOnlySpan<byte> head)
    {
        // Latin-1 maps bytes to chars one to one, so offsets and ASCII markup survive whatever the encoding.
        string s = Encoding.Latin1.GetString(head);
        if (s.StartsWith("<?xml", StringComparison.Ordinal))
        {
            int end = s.IndexOf("?>", StringComparison.Ordinal);
            if (end > 0)
            {
                var decl = s[..end];
                var enc = AttributeValue(decl, "encoding");
                if (!string.IsNullOrEmpty(enc)) return enc;
            }
        }
        int i = 0;
        while (i < s.Length)
        {
            int lt = s.IndexOf('<', i);
            if (lt < 0) break;
            if (string.CompareOrdinal(s, lt, "<!--", 0, 4) == 0)
            {
                int ce = s.IndexOf("-->", lt + 4, StringComparison.Ordinal);
                if (ce < 0) break;
                i = ce + 3;
                continue;
            }
            if (lt + 5 < s.Length && s.AsSpan(lt + 1, 4).Equals("meta", StringComparison.OrdinalIgnoreCase) && IsSpaceOrSlash(s[lt + 5]))
            {
                int gt = s.IndexOf('>', lt);
                if (gt < 0) break;
                var tag = s.Substring(lt + 5, gt - lt - 5);
                var cs = AttributeValue(tag, "charset");
                if (!string.IsNullOrWhiteSpace(cs)) return cs.Trim();
                var content = AttributeValue(tag, "content");
                if (content is not null && AttributeValue(tag, "http-equiv") is { } he && he.Trim().Equals("content-type", StringComparison.OrdinalIgnoreCase))
                {
                    var fromContent = CharsetLabels.FromContentType(content);
                    if (fromContent is not null) return fromContent;
                }
                i = gt + 1;
                continue;
            }
            i = lt + 1;
        }
        return null;
    }

    static bool IsSpaceOrSlash(char c) => c is ' ' or '\t' or '\n' or '\r' or '\f' or '/';

    /// <summary>The value of attribute <paramref name="name"/> inside a tag's text (quoted or not), or null.</summary>
    static string? AttributeValue(string tag, string name)
    {
        int i = 0;
        while (true)
        {
            int k = tag.IndexOf(name, i, StringComparison.OrdinalIgnoreCase);
            if (k < 0) return null;
            int e = k + name.Length;
            bool boundary = (k == 0 || !IsNameChar(tag[k - 1]));
            int j = e;
            while (j < tag.Length && char.IsWhiteSpace(tag[j])) j++;
            if (!boundary || j >= tag.Length || tag[j] != '=') { i = e; continue; }
            j++;
            while (j < tag.Length && char.IsWhiteSpace(tag[j])) j++;
            if (j >= tag.Length) return "";
            if (tag[j] is '"' or '\'')
            {
                int q = tag.IndexOf(tag[j], j + 1);
                return q < 0 ? tag[(j + 1)..] : tag.Substring(j + 1, q - j - 1);
            }
            int v = j;
            while (j < tag.Length && !char.IsWhiteSpace(tag[j]) && tag[j] != '/' ) j++;
            return tag[v..j];
        }
    }

    static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or ':';
}
