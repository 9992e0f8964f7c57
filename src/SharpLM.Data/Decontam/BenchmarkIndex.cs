using System.Text.Json;
using SharpLM.Data.Parquet;
using SharpLM.Data.Text;

namespace SharpLM.Data.Decontam;

/// <summary>A benchmark item as tokens (lower-case words, <see cref="WordTokenizer"/>).</summary>
public sealed record BenchmarkItem(string Benchmark, int Index, ulong[] Tokens);

/// <summary>
/// All n-grams of all benchmark items, hashed, mapped to the items containing them. Items shorter than n
/// tokens cannot be matched this way; they are counted in <see cref="TooShort"/> (MATH has a few
/// one-line problems such as "Compute $\dbinom{8}{4}$.") and reported, not silently ignored.
/// </summary>
public sealed class BenchmarkIndex
{
    readonly Dictionary<ulong, int[]> _grams;
    public IReadOnlyList<BenchmarkItem> Items { get; }
    public int Ngram { get; }
    public IReadOnlyDictionary<string, int> TooShort { get; }

    BenchmarkIndex(List<BenchmarkItem> items, Dictionary<ulong, int[]> grams, int n, Dictionary<string, int> tooShort)
    {
        Items = items;
        _grams = grams;
        Ngram = n;
        TooShort = tooShort;
    }

    public bool TryGet(ulong gram, out int[] items) => _grams.TryGetValue(gram, out items!);

    /// <summary>Hash of tokens [start, start+n).</summary>
    public static ulong GramHash(ReadOnlySpan<ulong> tokens)
    {
        ulong h = 0x51ED270B27A1F5C3UL;
        foreach (var t in tokens) h = StableHash.Combine(h, t);
        return h;
    }

    public static ulong[] Tokens(string text)
    {
        var list = new List<ulong>();
        WordTokenizer.Tokenize(text, w => list.Add(StableHash.Hash(w)));
        return list.ToArray();
    }

    public static BenchmarkIndex Build(IEnumerable<BenchmarkSource> sources, int n)
    {
        var items = new List<BenchmarkItem>();
        var tooShort = new Dictionary<string, int>(StringComparer.Ordinal);
        var grams = new Dictionary<ulong, List<int>>();
        foreach (var src in sources)
        {
            int index = 0;
            foreach (var text in ReadItems(src))
            {
                var tokens = Tokens(text);
                if (tokens.Length < n)
                {
                    tooShort[src.Name] = tooShort.GetValueOrDefault(src.Name) + 1;
                    index++;
                    continue;
                }
                int id = items.Count;
                items.Add(new BenchmarkItem(src.Name, index++, tokens));
                for (int s = 0; s + n <= tokens.Length; s++)
                {
                    var h = GramHash(tokens.AsSpan(s, n));
                    if (!grams.TryGetValue(h, out var list)) grams[h] = list = [];
                    if (list.Count == 0 || list[^1] != id) list.Add(id);
                }
            }
        }
        return new BenchmarkIndex(items, grams.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray()), n, tooShort);
    }

    static string[] DefaultFields(string name) => name.ToLowerInvariant() switch
    {
        var s when s.StartsWith("gsm8k", StringComparison.Ordinal) => ["question"],
        var s when s.StartsWith("math", StringComparison.Ordinal) => ["problem"],
        var s when s.StartsWith("mmlu", StringComparison.Ordinal) => ["question"],
        var s when s.StartsWith("arc", StringComparison.Ordinal) => ["question"],
        _ => ["text"],
    };

    static IEnumerable<string> ReadItems(BenchmarkSource src)
    {
        if (string.IsNullOrEmpty(src.Name)) throw new SharpLMDataException(src.Path, "benchmark without a name");
        var fields = src.Fields is { Length: > 0 } f ? f : DefaultFields(src.Name);
        if (!File.Exists(src.Path)) throw new SharpLMDataException(src.Path, $"benchmark '{src.Name}' file not found");
        if (src.Path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase))
        {
            foreach (var row in ParquetTextReader.ReadColumns(src.Path, fields))
                yield return string.Join("\n", row.Where(v => v is not null));
            yield break;
        }
        int line = 0;
        foreach (var raw in File.ReadLines(src.Path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(raw)) continue;
            JsonElement o;
            try { o = JsonDocument.Parse(raw).RootElement; }
            catch (JsonException e) { throw new SharpLMDataException(src.Path, "invalid JSON: " + e.Message, line, offsetIsLine: true); }
            var parts = new List<string>();
            foreach (var field in fields)
            {
                if (o.ValueKind != JsonValueKind.Object || !o.TryGetProperty(field, out var v) || v.ValueKind != JsonValueKind.String)
                    throw new SharpLMDataException(src.Path, $"no \"{field}\" string (set \"fields\" for benchmark '{src.Name}')", line, offsetIsLine: true);
                parts.Add(v.GetString()!);
            }
            yield return string.Join("\n", parts);
        }
    }
}
