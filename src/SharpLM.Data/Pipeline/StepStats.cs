using System.Text.Json.Serialization;

namespace SharpLM.Data.Pipeline;

/// <summary>What one step did in one rank (or, merged, in the whole job): documents in, out, dropped by reason.</summary>
public sealed class StepStats
{
    [JsonPropertyName("step")] public string Step { get; set; } = "";
    [JsonPropertyName("in")] public long In { get; set; }
    [JsonPropertyName("out")] public long Out { get; set; }
    [JsonPropertyName("dropped")] public SortedDictionary<string, long> Dropped { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Counts that are not drops (e.g. records by WARC type, pages recalled by domain).</summary>
    [JsonPropertyName("counters")] public SortedDictionary<string, long> Counters { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Wall time spent in this step's own work.</summary>
    [JsonPropertyName("seconds")] public double Seconds { get; set; }

    public void Drop(string reason, long n = 1) => Dropped[reason] = Dropped.GetValueOrDefault(reason) + n;
    public void Count(string name, long n = 1) => Counters[name] = Counters.GetValueOrDefault(name) + n;

    public void Merge(StepStats o)
    {
        In += o.In;
        Out += o.Out;
        Seconds += o.Seconds;
        foreach (var (k, v) in o.Dropped) Drop(k, v);
        foreach (var (k, v) in o.Counters) Count(k, v);
    }
}

/// <summary>The stats file of one rank of one stage (<c>{stage}/stats/{rank}.json</c>), or of the whole job merged.</summary>
public sealed class RankStats
{
    [JsonPropertyName("stage")] public string Stage { get; set; } = "";
    [JsonPropertyName("rank")] public int Rank { get; set; }
    [JsonPropertyName("ranks")] public int Ranks { get; set; } = 1;
    [JsonPropertyName("seconds")] public double Seconds { get; set; }
    [JsonPropertyName("steps")] public List<StepStats> Steps { get; set; } = [];

    public StepStats For(string step)
    {
        var s = Steps.FirstOrDefault(x => x.Step == step);
        if (s is null) Steps.Add(s = new StepStats { Step = step });
        return s;
    }

    /// <summary>Sums ranks step by step (steps matched by name, first-seen order kept).</summary>
    public static RankStats Merge(string stage, IEnumerable<RankStats> ranks)
    {
        var m = new RankStats { Stage = stage, Rank = -1, Ranks = 0 };
        foreach (var r in ranks)
        {
            m.Ranks++;
            m.Seconds += r.Seconds;
            foreach (var s in r.Steps) m.For(s.Step).Merge(s);
        }
        return m;
    }
}
