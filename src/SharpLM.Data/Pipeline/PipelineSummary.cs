using System.Globalization;
using System.Text;

namespace SharpLM.Data.Pipeline;

/// <summary>The end-of-run report: per stage and step, documents in and out and the main drop reasons; rows per subset.</summary>
public static class PipelineSummary
{
    public static string Format(IReadOnlyList<RankStats> stages, JobLayout layout, IEnumerable<string> subsets)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        foreach (var stage in stages)
        {
            sb.AppendLine(c, $"{stage.Stage} ({stage.Ranks} rank{(stage.Ranks == 1 ? "" : "s")}, {stage.Seconds:F1} s)");
            foreach (var s in stage.Steps)
            {
                sb.Append(c, $"  {s.Step,-18} in {s.In,9}  out {s.Out,9}");
                var top = s.Dropped.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(4)
                    .Select(kv => $"{kv.Key} {kv.Value}");
                var dropped = string.Join(", ", top);
                if (s.Dropped.Count > 4) dropped += $", … ({s.Dropped.Count - 4} more reasons)";
                if (dropped.Length > 0) sb.Append("  dropped: ").Append(dropped);
                sb.AppendLine();
            }
        }
        foreach (var subset in subsets)
        {
            var dir = layout.SubsetDir(subset);
            long rows = Directory.Exists(dir) ? Directory.GetFiles(dir, "*.parquet").Sum(f => Parquet.ParquetTextReader.RowCount(f)) : 0;
            sb.AppendLine(c, $"{subset}: {rows} rows in {dir}");
        }
        sb.AppendLine(c, $"stats: {layout.StatsJson}");
        return sb.ToString();
    }
}
