using System.Globalization;
using SharpLM.Cli.CommandLine;
using SharpLM.Evaluation.Data;
using SharpLM.Evaluation.Scoring;

namespace SharpLM.Cli.Commands;

/// <summary>What the <c>eval</c> verbs share: finding and loading data files, and the results table.</summary>
static class EvalCommon
{
    /// <summary>Benchmark files shipped in <c>shared/data</c>, by task.</summary>
    static readonly Dictionary<string, string> DefaultData = new()
    {
        ["gsm8k"] = "gsm8k/test.jsonl",
        ["math"] = "math/test.jsonl",
        ["math500"] = "math/math500_test.jsonl",
    };

    /// <summary><c>--data</c>, or the task's file under <c>shared/data</c> found from here or <c>$SHARPLM_SHARED_DATA</c>.</summary>
    public static string DataPath(CommandArgs a, string task)
    {
        if (a.String("--data") is { } given) return given;
        if (!DefaultData.TryGetValue(task, out var rel))
            throw new UsageException($"--task {task} needs --data FILE");
        var found = SharedData(rel);
        return found ?? throw new UsageException(
            $"no --data given and shared/data/{rel} was not found (looked in $SHARPLM_SHARED_DATA and above the current folder); pass --data FILE");
    }

    /// <summary>GSM8K's few-shot pool: <c>--fewshot-data</c>, else <c>train.jsonl</c> beside a <c>test.jsonl</c>.</summary>
    public static string? Gsm8kTrainPath(CommandArgs a, string dataPath)
    {
        if (a.String("--fewshot-data") is { } given) return given;
        var dir = Path.GetDirectoryName(Path.GetFullPath(dataPath)) ?? ".";
        var beside = Path.Combine(dir, "train.jsonl");
        if (File.Exists(beside)) return beside;
        return SharedData("gsm8k/train.jsonl");
    }

    static string? SharedData(string relative)
    {
        var env = Environment.GetEnvironmentVariable("SHARPLM_SHARED_DATA");
        if (!string.IsNullOrEmpty(env) && File.Exists(Path.Combine(env, relative))) return Path.Combine(env, relative);
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                var c = Path.Combine(d.FullName, "shared", "data", relative);
                if (File.Exists(c)) return c;
            }
        return null;
    }

    /// <summary>Records of a JSONL (or Parquet) data file as JSON objects.</summary>
    public static IEnumerable<JsonlLine> ReadRecords(string path)
    {
        if (path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase))
            throw new SharpLMDataException(path, "Parquet input is not supported by this build yet (use the JSONL files)");
        return JsonlFile.Read(path);
    }

    public static IReadOnlyList<Gsm8kProblem> LoadGsm8k(string path) => EvalDataLoader.Gsm8kFromLines(path, ReadRecords(path));

    public static IReadOnlyList<MathProblem> LoadMath(string path) => EvalDataLoader.MathFromLines(path, ReadRecords(path));

    /// <summary>The results table: one row per metric with value and standard error, as percentages.</summary>
    public static void PrintTable(TextWriter o, string task, TaskScore score)
    {
        var rows = new List<string[]> { new[] { "task", "metric", "value", "stderr", "n" } };
        rows.Add(Row(task, "accuracy", score.Accuracy));
        foreach (var (name, m) in score.Metrics) rows.Add(Row(task, name, m));
        PrintRows(o, rows);

        static string[] Row(string task, string metric, MeanStderr m) =>
            [task, metric, Percent(m.Mean), m.Stderr is { } s ? "±" + Percent(s) : "-", m.Count.ToString(CultureInfo.InvariantCulture)];
    }

    public static string Percent(double v) => (100 * v).ToString("F2", CultureInfo.InvariantCulture) + "%";

    /// <summary>Prints left-aligned text columns separated by two spaces; numbers right-aligned.</summary>
    public static void PrintRows(TextWriter o, List<string[]> rows)
    {
        int cols = rows.Max(r => r.Length);
        var width = new int[cols];
        foreach (var r in rows) for (int c = 0; c < r.Length; c++) width[c] = Math.Max(width[c], r[c].Length);
        foreach (var r in rows)
        {
            var cells = r.Select((cell, c) => c >= 2 ? cell.PadLeft(width[c]) : cell.PadRight(width[c]));
            o.WriteLine(string.Join("  ", cells).TrimEnd());
        }
    }
}
