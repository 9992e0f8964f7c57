using System.Text.Json.Serialization;

namespace SharpLM.Data.DomainRecall;

/// <summary>
/// Which domains are recalled (all their pages pulled in on the next run). FineMath's sources disagree:
/// the paper keeps a domain with at least 10 pages scoring ≥ 2 (<c>"rule": "count"</c>, our default — an
/// absolute bar that does not reward tiny domains), the dataset card one where at least 10 % of its pages
/// score ≥ 2 (<c>"rule": "fraction"</c>, with <see cref="MinDomainPages"/> as a floor on domain size).
/// </summary>
public sealed record DomainRecallOptions
{
    [JsonPropertyName("enabled")] public bool Enabled { get; set; } = true;
    /// <summary><c>count</c> (paper) or <c>fraction</c> (dataset card).</summary>
    [JsonPropertyName("rule")] public string Rule { get; set; } = "count";
    /// <summary>The score a page needs to count for its domain.</summary>
    [JsonPropertyName("min_score")] public double MinScore { get; set; } = 2;
    /// <summary>count rule: pages scoring ≥ min_score needed.</summary>
    [JsonPropertyName("min_scored_pages")] public int MinScoredPages { get; set; } = 10;
    /// <summary>fraction rule: share of the domain's pages scoring ≥ min_score needed.</summary>
    [JsonPropertyName("min_fraction")] public double MinFraction { get; set; } = 0.1;
    /// <summary>fraction rule: pages the domain must have in this crawl at least.</summary>
    [JsonPropertyName("min_domain_pages")] public int MinDomainPages { get; set; } = 10;

    public void Validate(string where)
    {
        if (Rule is not ("count" or "fraction")) throw new SharpLMDataException(where, $"domain_recall.rule '{Rule}' is not 'count' or 'fraction'");
        if (MinFraction is < 0 or > 1) throw new SharpLMDataException(where, "domain_recall.min_fraction outside 0..1");
    }
}
