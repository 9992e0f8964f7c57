namespace SharpLM.Data.Html.Charset;

/// <summary>
/// Recognises response bodies that are not text although labelled <c>text/html</c> (crawlers meet images,
/// archives, PDFs and executables served with the wrong type): known magic numbers, then the share of
/// control bytes in the first 1 KiB (text has almost none; UTF-16 with a BOM is handled before this).
/// </summary>
static class BinarySniffer
{
    static readonly (byte[] Magic, string What)[] Signatures =
    [
        ([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "PNG image"),
        ("GIF87a"u8.ToArray(), "GIF image"),
        ("GIF89a"u8.ToArray(), "GIF image"),
        ([0xFF, 0xD8, 0xFF], "JPEG image"),
        ("RIFF"u8.ToArray(), "RIFF (WebP/WAV/AVI) data"),
        ("%PDF-"u8.ToArray(), "PDF document"),
        ("PK\x03\x04"u8.ToArray(), "ZIP archive"),
        ([0x1F, 0x8B], "gzip data (a Content-Encoding that was not undone)"),
        ("BZh"u8.ToArray(), "bzip2 data"),
        ([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], "xz data"),
        ([0x28, 0xB5, 0x2F, 0xFD], "zstd data"),
        ([0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C], "7z archive"),
        ("Rar!"u8.ToArray(), "RAR archive"),
        ([0x7F, 0x45, 0x4C, 0x46], "ELF executable"),
        ("MZ"u8.ToArray(), "Windows executable"),
        ([0x00, 0x00, 0x01, 0x00], "ICO image"),
        ("wOFF"u8.ToArray(), "WOFF font"),
        ("wOF2"u8.ToArray(), "WOFF2 font"),
        ([0x00, 0x01, 0x00, 0x00, 0x00], "TrueType font"),
        ("OggS"u8.ToArray(), "Ogg media"),
        ("ID3"u8.ToArray(), "MP3 audio"),
        ([0x1A, 0x45, 0xDF, 0xA3], "Matroska/WebM video"),
        ([0xCA, 0xFE, 0xBA, 0xBE], "Java class file"),
        ([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1], "MS Office document"),
    ];

    /// <summary>Null when <paramref name="bytes"/> looks like text; otherwise why it is not (for the drop statistics).</summary>
    public static string? WhyNotText(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length >= 2 && ((bytes[0] == 0xFF && bytes[1] == 0xFE) || (bytes[0] == 0xFE && bytes[1] == 0xFF)))
            return null; // UTF-16 with a BOM: NULs are expected
        foreach (var (magic, what) in Signatures)
            if (bytes.StartsWith(magic)) return "binary content: " + what;
        // MP4/QuickTime: "ftyp" at offset 4.
        if (bytes.Length >= 8 && bytes.Slice(4, 4).SequenceEqual("ftyp"u8)) return "binary content: MP4/QuickTime media";
        var head = bytes[..Math.Min(bytes.Length, 1024)];
        if (head.Length == 0) return null;
        int nul = 0, control = 0;
        foreach (byte b in head)
        {
            if (b == 0) nul++;
            else if (b < 0x20 && b is not (0x09 or 0x0A or 0x0C or 0x0D or 0x1B)) control++;
        }
        if (nul > 0) return $"binary content: {nul} NUL bytes in the first {head.Length}";
        if (control * 10 > head.Length) return $"binary content: {control} control bytes in the first {head.Length}";
        return null;
    }
}
