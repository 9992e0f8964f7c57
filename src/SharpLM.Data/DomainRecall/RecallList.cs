using SharpLM.IO;

namespace SharpLM.Data.DomainRecall;

/// <summary>
/// The recall list: one domain per line (<c>#</c> comments allowed). A pipeline run writes one; the next run,
/// given it as <c>recall_domains</c>, lets every page of those domains past the math prefilter.
/// </summary>
public sealed class RecallList
{
    readonly HashSet<string> _domains;
    public int Count => _domains.Count;

    public RecallList(IEnumerable<string> domains) => _domains = new HashSet<string>(domains, StringComparer.Ordinal);

    public bool Contains(string? url) => DomainCounts.DomainOf(url) is { } d && _domains.Contains(d);

    public static RecallList Load(string path)
    {
        if (!File.Exists(path)) throw new SharpLMDataException(path, "recall list not found");
        var domains = new List<string>();
        int line = 0;
        foreach (var raw in File.ReadLines(path))
        {
            line++;
            var s = raw.Trim();
            if (s.Length == 0 || s[0] == '#') continue;
            if (s.Contains(' ') || s.Contains('/')) throw new SharpLMDataException(path, $"'{s}' is not a domain", line, offsetIsLine: true);
            domains.Add(s.ToLowerInvariant());
        }
        return new RecallList(domains);
    }

    public static void Save(string path, IEnumerable<string> domains) =>
        AtomicFile.WriteAllText(path, string.Concat(domains.Select(d => d + "\n")));
}
