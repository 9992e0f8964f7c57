using System.Text;
using SharpLM.Data.Html;

namespace SharpLM.Data.Tests.Html;

/// <summary>Charset decoding; expected strings are the characters the byte sequences stand for in each encoding's table.</summary>
public sealed class HtmlCharsetTests
{
    static readonly byte[] CafeLatin1 = [(byte)'c', (byte)'a', (byte)'f', 0xE9];          // "café" in windows-1252
    static readonly byte[] CafeUtf8 = [(byte)'c', (byte)'a', (byte)'f', 0xC3, 0xA9];      // "café" in UTF-8

    static byte[] Page(string head, byte[] body) => [.. Encoding.ASCII.GetBytes("<html><head>" + head + "</head><body>"), .. body, .. "</body></html>"u8.ToArray()];

    [Fact]
    public void BomWinsOverEverything()
    {
        byte[] bytes = [0xEF, 0xBB, 0xBF, .. Page("<meta charset=windows-1252>", CafeUtf8)];
        var d = HtmlCharset.Decode(bytes, "text/html; charset=iso-8859-1");
        Assert.Equal(CharsetSource.Bom, d.Source);
        Assert.Contains("café", d.Text);
        var utf16 = Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes("<p>π</p>")).ToArray();
        Assert.Equal("<p>π</p>", HtmlCharset.Decode(utf16).Text);
    }

    [Fact]
    public void ContentTypeHeaderThenMeta()
    {
        var d = HtmlCharset.Decode(Page("", CafeLatin1), "text/html; charset=\"ISO-8859-1\"");
        Assert.Equal(CharsetSource.ContentType, d.Source);
        Assert.Equal("windows-1252", d.Charset); // WHATWG: the ISO-8859-1 label means windows-1252
        Assert.Contains("café", d.Text);

        var m = HtmlCharset.Decode(Page("<meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1252\">", CafeLatin1));
        Assert.Equal(CharsetSource.Meta, m.Source);
        Assert.Contains("café", m.Text);

        var m2 = HtmlCharset.Decode(Page("<!-- <meta charset=koi8-r> --><meta charset='windows-1252'>", CafeLatin1));
        Assert.Equal("windows-1252", m2.Charset);
    }

    [Fact]
    public void LegacyMultiByteEncodings()
    {
        // "日本" in Shift_JIS is 93 FA 96 7B; in EUC-JP it is C6 FC CB DC; "中文" in GBK is D6 D0 CE C4.
        Assert.Contains("日本", HtmlCharset.Decode(Page("<meta charset=shift_jis>", [0x93, 0xFA, 0x96, 0x7B])).Text);
        Assert.Contains("日本", HtmlCharset.Decode(Page("", [0xC6, 0xFC, 0xCB, 0xDC]), "text/html; charset=EUC-JP").Text);
        Assert.Contains("中文", HtmlCharset.Decode(Page("<meta charset=gb2312>", [0xD6, 0xD0, 0xCE, 0xC4])).Text);
    }

    [Fact]
    public void ValidUtf8WinsOverAStaleLabel()
    {
        var d = HtmlCharset.Decode(Page("<meta charset=gb2312>", CafeUtf8));
        Assert.Equal(CharsetSource.Utf8OverLabel, d.Source);
        Assert.Equal("gb2312", d.Declared);
        Assert.Contains("café", d.Text);
    }

    [Fact]
    public void SniffingWithoutALabel()
    {
        Assert.Equal(CharsetSource.SniffedUtf8, HtmlCharset.Decode(Page("", CafeUtf8)).Source);
        var latin = HtmlCharset.Decode(Page("", CafeLatin1));
        Assert.Equal(CharsetSource.LocaleDefault, latin.Source);
        Assert.Contains("café", latin.Text);
        // A Russian domain defaults to windows-1251: E0 is "а" there.
        Assert.Contains("а", HtmlCharset.Decode(Page("", [0xE0]), null, "http://example.ru/").Text);
    }

    [Theory]
    [InlineData("http://a.jp/", "shift_jis")]
    [InlineData("http://a.cn/", "gb18030")]
    [InlineData("http://a.tw/", "big5")]
    [InlineData("http://a.kr/", "euc-kr")]
    [InlineData("http://a.ru/", "windows-1251")]
    [InlineData("http://a.pl/", "windows-1250")]
    [InlineData("http://a.gr/", "windows-1253")]
    [InlineData("http://a.tr/", "windows-1254")]
    [InlineData("http://a.il/", "windows-1255")]
    [InlineData("http://a.th/", "windows-874")]
    [InlineData("http://a.vn/", "windows-1258")]
    [InlineData("http://a.lt/", "windows-1257")]
    [InlineData("http://a.com/", "windows-1252")]
    public void LocaleDefaultsByTopLevelDomain(string url, string charset)
    {
        var d = HtmlCharset.Decode(Page("", [0xE0, 0xE1, 0x80, 0xA4]), null, url);
        Assert.Equal(CharsetSource.LocaleDefault, d.Source);
        Assert.Equal(charset, d.Charset);
    }

    [Fact]
    public void Utf8LabelOnLatin1BytesFallsBackToTheLocaleDefault()
    {
        var body = Enumerable.Repeat(CafeLatin1, 20).SelectMany(b => b.Append((byte)' ')).ToArray();
        var d = HtmlCharset.Decode(Page("<meta charset=utf-8>", body));
        Assert.Equal(CharsetSource.LabelContradicted, d.Source);
        Assert.Contains("café", d.Text);
    }

    [Fact]
    public void BrokenUtf8IsReplacedNotFatal()
    {
        byte[] body = [(byte)'a', 0xC3, (byte)'b', 0xE2, 0x82, (byte)'c', .. CafeUtf8, .. CafeUtf8, .. CafeUtf8];
        var d = HtmlCharset.Decode(Page("<meta charset=utf-8>", body));
        Assert.Equal(CharsetSource.Meta, d.Source);
        Assert.Contains("\uFFFD", d.Text);
        Assert.Contains("café", d.Text);
    }

    [Theory]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13 }, "PNG image")]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 0, 16 }, "JPEG image")]
    [InlineData(new byte[] { 0x25, 0x50, 0x44, 0x46, 0x2D, 0x31 }, "PDF document")]
    [InlineData(new byte[] { 0x1F, 0x8B, 8, 0, 0, 0 }, "gzip data")]
    [InlineData(new byte[] { 0x50, 0x4B, 3, 4, 20, 0 }, "ZIP archive")]
    [InlineData(new byte[] { 0x3C, 0x68, 0x74, 0x6D, 0x6C, 0x3E, 0, 1, 2, 3, 0, 0 }, "NUL bytes")]
    public void BinaryBodiesAreRefusedWithAReason(byte[] bytes, string reason)
    {
        Assert.False(HtmlCharset.TryDecode(bytes, "text/html", null, out _, out var why));
        Assert.Contains(reason, why);
        var e = Assert.Throws<SharpLMDataException>(() => HtmlCharset.Decode(bytes, "text/html", null, "rec-1"));
        Assert.Equal("rec-1", e.Path);
        Assert.StartsWith("binary content", e.Reason);
    }
}
