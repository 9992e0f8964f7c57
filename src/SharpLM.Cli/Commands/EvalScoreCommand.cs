using SharpLM.Cli.CommandLine;
using SharpLM.Evaluation.Runs;
using SharpLM.Evaluation.Scoring;

namespace SharpLM.Cli.Commands;

/// <summary>
/// <c>sharplm eval score --task gsm8k|math|math500 --data FILE --predictions FILE [--json] [--out FILE]</c>: scores existing
/// model outputs (JSONL <c>{"index": i, "prediction": "..."}</c>, i = 0-based line of the data file).
/// </summary>
public static class EvalScoreCommand
{
    const string Usage = """
        usage: sharplm eval score --task gsm8k|math|math500 --predictions FILE [--data FILE] [--json] [--out FILE]

        Scores existing outputs exactly as 'eval run' scores its own. Predictions are JSONL objects with
        "index" (0-based line number in the data file) and "prediction" (the model's full output text).
          --data FILE      benchmark records (default: the task's file under shared/data)
          --json           print the summary as JSON (keys include accuracy, correct, total, stderr, metrics)
          --out FILE       also write the summary JSON to FILE
        """;

    public static int Run(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h")) { Console.Out.Write(Usage); return 0; }
        var a = CommandArgs.Parse(args, valued: ["--task", "--data", "--predictions", "--out"], flags: ["--json"]);
        a.NoMorePositionalThan(0);
        var task = a.Choice("--task", "", "gsm8k", "math", "math500");
        var predictions = a.RequiredString("--predictions");
        var data = EvalCommon.DataPath(a, task);
        var result = task == "gsm8k"
            ? PredictionScorer.ScoreGsm8k(EvalCommon.LoadGsm8k(data), data, predictions)
            : PredictionScorer.ScoreMath(task, EvalCommon.LoadMath(data), data, predictions);
        if (a.String("--out") is { } outPath) SummaryWriter.WriteScore(outPath, result, data, predictions);
        if (a.Flag("--json"))
        {
            Console.Out.Write(SummaryWriter.ScoreJson(result, data, predictions));
        }
        else
        {
            EvalCommon.PrintTable(Console.Out, task, result.Score);
            if (result.Score.Total < result.DataRecords)
                Console.Out.WriteLine($"({result.Score.Total} of {result.DataRecords} records have a prediction)");
        }
        return 0;
    }
}
