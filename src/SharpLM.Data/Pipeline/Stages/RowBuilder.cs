using System.Text;
using System.Text.Json;
using SharpLM.Data.Filters;
using SharpLM.Data.Parquet;

namespace SharpLM.Data.Pipeline.Stages;

/// <summary>Turns a finished <see cref="Document"/> into its FineMath output row, with the metadata JSON.</summary>
internal static class RowBuilder
{
    /// <param name="tokenizer">Counts <c>token_count</c> (the text's tokens, no BOS); null leaves it null.</param>
    public static FineMathRow ToRow(Document d, Tokenization.Gemma3Tokenizer? tokenizer = null) => new()
    {
        Url = d.Url,
        FetchTime = d.FetchTime?.ToUnixTimeSeconds(),
        ContentMimeType = d.ContentMimeType,
        WarcFilename = d.Source,
        WarcRecordOffset = checked((int)d.Offset),
        WarcRecordLength = checked((int)d.Length),
        Text = d.Text,
        TokenCount = tokenizer?.Encode(d.Text, addBos: false, parseSpecial: false).Length,
        CharCount = CountScalars(d.Text),
        Metadata = Metadata(d),
        Score = d.Score,
        IntScore = d.IntScore,
        Crawl = d.Crawl,
        SnapshotType = null,
        Language = d.Language,
        LanguageScore = d.LanguageScore,
    };

    static long CountScalars(string s)
    {
        long n = 0;
        foreach (var _ in s.EnumerateRunes()) n++;
        return n;
    }

    /// <summary>
    /// <c>{"extraction_info": {kind: count…}, "title", "charset", "prefilter", "warc_record_id"}</c> — the
    /// extraction counts as OpenWebMath's metadata carries them, plus how the page got in.
    /// </summary>
    static string Metadata(Document d)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartObject("extraction_info");
            foreach (var (k, v) in d.MathCounts) w.WriteNumber(k, v);
            w.WriteEndObject();
            if (d.Title is not null) w.WriteString("title", d.Title);
            if (d.Charset is not null) w.WriteString("charset", d.Charset);
            w.WriteString("prefilter", d.Recalled ? "recalled_domain" : d.Prefilter switch
            {
                MathMarkerMatch.Marker => "math_marker",
                MathMarkerMatch.BackslashCommand => "latex_command",
                _ => "none",
            });
            if (d.RecordId is not null) w.WriteString("warc_record_id", d.RecordId);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
