using System.Globalization;
using System.Text.RegularExpressions;
using SharpLM.Cli.CommandLine;
using SharpLM.Evaluation.Reports;
using SharpLM.IO;

namespace SharpLM.Cli.Commands;

/// <summary>
/// <c>sharplm eval compare A.json B.json ... [--metric NAME] [--plot FILE.svg]</c>: a side-by-side table of
/// summaries, and an SVG of score against training step when the summaries carry steps (a run's checkpoints).
/// </summary>
public static partial class EvalCompareCommand
{
    const string Usage = """
        usage: sharplm eval compare A.json B.json ... [--metric NAME] [--plot FILE.svg]

        Side-by-side table of 'eval run' / 'eval score' summaries (one column per file, one row per task and
        metric, "value ±stderr"). With --plot, writes an SVG of --metric (default accuracy; perplexity for ppl)
        against training step, one line per task; a summary's step is its "step" field (eval run --step), else
        a number after "step", "checkpoint" or "ckpt" in its model path or file name.
        """;

    public static int Run(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h") || args.Length == 0) { Console.Out.Write(Usage); return args.Length == 0 ? 2 : 0; }
        var a = CommandArgs.Parse(args, valued: ["--metric", "--plot"]);
        if (a.PositionalArgs.Count == 0) throw new UsageException("give at least one summary JSON");
        var files = a.PositionalArgs.Select(RunSummaryFile.Load).ToList();

        // table: rows (task, metric), columns files
        var header = new List<string> { "task", "metric" };
        header.AddRange(files.Select(Label));
        var rows = new List<string[]> { header.ToArray() };
        var keys = files.SelectMany(f => f.Metrics.Keys.Select(m => (f.Task, Metric: m))).Distinct()
            .OrderBy(k => k.Task, StringComparer.Ordinal).ThenBy(k => k.Metric == "accuracy" ? "" : k.Metric, StringComparer.Ordinal).ToList();
        foreach (var (task, metric) in keys)
        {
            var row = new List<string> { task, metric };
            foreach (var f in files)
                row.Add(f.Task == task && f.Metrics.TryGetValue(metric, out var v) ? Cell(metric, v.Value, v.Stderr) : "-");
            rows.Add(row.ToArray());
        }
        EvalCommon.PrintRows(Console.Out, rows);
        for (int i = 0; i < files.Count; i++)
            Console.Out.WriteLine($"[{i + 1}] {files[i].Path}{(files[i].Model is { } m ? " — " + m : "")}{(files[i].Complete ? "" : " (incomplete run)")}");

        if (a.String("--plot") is { } plotPath)
        {
            var metric = a.String("--metric");
            var series = new List<PlotSeries>();
            foreach (var group in files.GroupBy(f => f.Task))
            {
                var m = metric ?? (group.Key == "ppl" ? "perplexity" : "accuracy");
                var points = new List<(long, double, double?)>();
                foreach (var f in group)
                {
                    var step = f.Step ?? StepFromName(f.Model ?? "") ?? StepFromName(Path.GetFileNameWithoutExtension(f.Path))
                        ?? throw new UsageException($"{f.Path}: no training step (run 'eval run --step N', or name the checkpoint e.g. step-1000)");
                    if (!f.Metrics.TryGetValue(m, out var v)) throw new UsageException($"{f.Path}: no metric '{m}'");
                    points.Add((step, v.Value, v.Stderr));
                }
                series.Add(new PlotSeries($"{group.Key} {m}", points));
            }
            bool percent = series.All(s => !s.Label.Contains("perplexity", StringComparison.Ordinal) && !s.Label.Contains("bits_per_byte", StringComparison.Ordinal));
            var yLabel = metric ?? (series.Count == 1 ? series[0].Label.Split(' ')[1] : "score");
            AtomicFile.WriteAllText(plotPath, ScorePlot.Svg(series, "score vs training step", yLabel, percent));
            Console.Out.WriteLine($"plot: {Path.GetFullPath(plotPath)}");
        }
        return 0;
    }

    static string Label(RunSummaryFile f) => Path.GetFileNameWithoutExtension(f.Path);

    static string Cell(string metric, double value, double? stderr)
    {
        bool rate = metric is not ("perplexity" or "bits_per_byte" or "byte_perplexity" or "word_perplexity");
        string V(double x) => rate ? (100 * x).ToString("F2", CultureInfo.InvariantCulture) : x.ToString("F4", CultureInfo.InvariantCulture);
        return stderr is double s ? $"{V(value)} ±{V(s)}" : V(value);
    }

    [GeneratedRegex(@"(?:step|checkpoint|ckpt|iter)[-_ ]?0*(\d+)", RegexOptions.IgnoreCase | RegexOptions.RightToLeft)]
    private static partial Regex StepPattern();

    /// <summary>The training step named in a path ("run/step-001000.gguf" → 1000), or null.</summary>
    public static long? StepFromName(string name)
    {
        var m = StepPattern().Match(name);
        return m.Success && long.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;
    }
}
