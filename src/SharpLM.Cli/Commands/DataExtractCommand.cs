using System.Text.Json;
using System.Text.Json.Serialization;
using SharpLM.Cli.CommandLine;
using SharpLM.Data.Html;

namespace SharpLM.Cli.Commands;

/// <summary>
/// <c>sharplm data extract PAGE.html [--url URL] [--json] [--content-type TYPE] [--all]</c>: decodes the page's bytes
/// (BOM, Content-Type, meta, sniffing), extracts the main content with every formula as <c>$…$</c>/<c>$$…$$</c> and
/// prints it; <c>--json</c> prints text, title, charset and math counts as one JSON object.
/// </summary>
public static class DataExtractCommand
{
    public const string Usage = """
        usage: sharplm data extract PAGE.html [--url URL] [--json] [--content-type TYPE] [--all]

        Prints the page's main content as Markdown-ish text with every formula as $...$ or $$...$$.
          --url URL            the page's address (charset default by domain; named in errors)
          --content-type TYPE  the HTTP Content-Type header, e.g. "text/html; charset=EUC-JP"
          --json               print {"text", "title", "charset", "charset_source", "main_content_found", "math"} instead
          --all                keep the whole body (no boilerplate removal)
        """;

    public static int Run(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h")) { Console.WriteLine(Usage); return 0; }
        var a = CommandArgs.Parse(args, valued: ["--url", "--content-type"], flags: ["--json", "--all"]);
        var path = a.Positional(0, "PAGE.html");
        a.NoMorePositionalThan(1);
        if (!File.Exists(path)) throw new SharpLMDataException(path, "no such file");
        var bytes = File.ReadAllBytes(path);
        var url = a.String("--url");
        var decoded = HtmlCharset.Decode(bytes, a.String("--content-type"), url, path);
        var extractor = new MathTextExtractor(new ExtractionOptions(MainContentOnly: !a.Flag("--all")));
        ExtractedPage page;
        try
        {
            page = extractor.Run(decoded.Text, url);
        }
        catch (SharpLMDataException e)
        {
            throw new SharpLMDataException(path, e.Reason);
        }
        if (a.Flag("--json"))
        {
            var result = new ExtractJson(page.Text, page.Title, decoded.Charset, decoded.Source.ToString(), page.MainContentFound,
                page.Math.ToDictionary().ToDictionary(kv => kv.Key, kv => kv.Value));
            // Relaxed escaping: TeX's < > & + ' stay readable instead of becoming \uXXXX.
            var context = new ExtractJsonContext(new JsonSerializerOptions(ExtractJsonContext.Default.Options)
            {
                Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            });
            Console.WriteLine(JsonSerializer.Serialize(result, context.ExtractJson));
        }
        else
        {
            Console.WriteLine(page.Text);
        }
        return 0;
    }
}

/// <summary>The <c>--json</c> output of <c>data extract</c>.</summary>
internal sealed record ExtractJson(
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("title")] string? Title,
    [property: JsonPropertyName("charset")] string Charset,
    [property: JsonPropertyName("charset_source")] string CharsetSource,
    [property: JsonPropertyName("main_content_found")] bool MainContentFound,
    [property: JsonPropertyName("math")] Dictionary<string, int> Math);

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(ExtractJson))]
internal sealed partial class ExtractJsonContext : JsonSerializerContext;
