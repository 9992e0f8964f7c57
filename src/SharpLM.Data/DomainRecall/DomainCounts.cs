using System.Text.Json;
using SharpLM.IO;

namespace SharpLM.Data.DomainRecall;

/// <summary>Pages seen per domain and how many of them scored at least the recall score.</summary>
public sealed class DomainCounts
{
    readonly SortedDictionary<string, long[]> _counts = new(StringComparer.Ordinal);

    public IEnumerable<(string Domain, long Pages, long Scored)> Entries => _counts.Select(kv => (kv.Key, kv.Value[0], kv.Value[1]));

    /// <summary>The domain of a URL: its host, lower case, without a leading <c>www.</c> or port. Null for unparseable URLs.</summary>
    public static string? DomainOf(string? url)
    {
        if (url is null || !Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host)) return null;
        var host = uri.Host.ToLowerInvariant().TrimEnd('.');
        return host.StartsWith("www.", StringComparison.Ordinal) ? host[4..] : host;
    }

    public void Add(string? url, bool scored)
    {
        if (DomainOf(url) is not { } d) return;
        if (!_counts.TryGetValue(d, out var c)) _counts[d] = c = new long[2];
        c[0]++;
        if (scored) c[1]++;
    }

    public void Merge(DomainCounts other)
    {
        foreach (var (d, pages, scored) in other.Entries)
        {
            if (!_counts.TryGetValue(d, out var c)) _counts[d] = c = new long[2];
            c[0] += pages;
            c[1] += scored;
        }
    }

    /// <summary>Domains qualifying under <paramref name="o"/>, sorted.</summary>
    public List<string> Recalled(DomainRecallOptions o) =>
        Entries.Where(e => o.Rule == "count"
                ? e.Scored >= o.MinScoredPages
                : e.Pages >= o.MinDomainPages && e.Scored >= o.MinFraction * e.Pages && e.Scored > 0)
            .Select(e => e.Domain).ToList();

    /// <summary>Saves as JSON: {"domain": [pages, scored], …} in domain order.</summary>
    public void Save(string path) =>
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(_counts.ToDictionary(kv => kv.Key, kv => kv.Value), DataJsonContext.Default.DictionaryStringInt64Array));

    public static DomainCounts Load(string path)
    {
        var result = new DomainCounts();
        Dictionary<string, long[]>? map;
        try { map = JsonSerializer.Deserialize(File.ReadAllText(path), DataJsonContext.Default.DictionaryStringInt64Array); }
        catch (JsonException e) { throw new SharpLMDataException(path, "invalid JSON: " + e.Message); }
        foreach (var (d, c) in map ?? [])
        {
            if (c is not { Length: 2 } || c[0] < 0 || c[1] < 0 || c[1] > c[0]) throw new SharpLMDataException(path, $"bad counts for '{d}'");
            result._counts[d] = [c[0], c[1]];
        }
        return result;
    }
}
