using System.Text.Json;
using Parquet;
using Parquet.Schema;
using SharpLM.Evaluation.Data;

namespace SharpLM.Tests.Evaluation;

/// <summary><c>--data x.parquet</c> as Hugging Face datasets publish the benchmarks (string columns, integer level).</summary>
public class ParquetDataTests
{
    static void WriteParquet(string path, params (string Name, object Values)[] columns)
    {
        var fields = columns.Select(c => c.Values is string[] ? (Field)new DataField<string>(c.Name) : new DataField<long>(c.Name)).ToArray();
        var schema = new ParquetSchema(fields);
        using var fs = File.Create(path);
        var writer = ParquetWriter.CreateAsync(schema, fs).GetAwaiter().GetResult();
        using (var g = writer.CreateRowGroup())
        {
            for (int i = 0; i < columns.Length; i++)
            {
                if (columns[i].Values is string[] s) g.WriteAsync((DataField<string>)fields[i], s).GetAwaiter().GetResult();
                else g.WriteAsync<long>((DataField<long>)fields[i], ((long[])columns[i].Values).AsMemory()).GetAwaiter().GetResult();
            }
        }
        writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Fact]
    public void ScoreAndRunReadParquet()
    {
        var dir = TestPaths.NewTempDir("eval-parquet");
        var gsm = EvalDataLoader.LoadGsm8k(TestPaths.Shared("gsm8k/test.jsonl")).Take(5).ToList();
        var data = Path.Combine(dir, "test-00000-of-00001.parquet");
        WriteParquet(data, ("question", gsm.Select(p => p.Question).ToArray()), ("answer", gsm.Select(p => p.Answer).ToArray()));
        var pred = Path.Combine(dir, "p.jsonl");
        File.WriteAllLines(pred, gsm.Select((p, i) => JsonSerializer.Serialize(new Dictionary<string, object> { ["index"] = i, ["prediction"] = i < 4 ? p.Answer : "?" })));
        var r = CliProcess.Run("eval", "score", "--task", "gsm8k", "--data", data, "--predictions", pred, "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(4, JsonDocument.Parse(r.Stdout).RootElement.GetProperty("correct").GetInt32());

        // MATH-500's HF layout: level is an integer column (not needed, skipped), answer a string column
        var m500 = EvalDataLoader.LoadMath(TestPaths.Shared("math/math500_test.jsonl")).Take(3).ToList();
        var mathData = Path.Combine(dir, "math500.parquet");
        WriteParquet(mathData, ("problem", m500.Select(p => p.Problem).ToArray()), ("solution", m500.Select(p => p.Solution).ToArray()),
            ("answer", m500.Select(p => p.Answer).ToArray()), ("level", m500.Select(p => long.Parse(p.Level!)).ToArray()));
        var mpred = Path.Combine(dir, "m.jsonl");
        File.WriteAllLines(mpred, m500.Select((p, i) => JsonSerializer.Serialize(new Dictionary<string, object> { ["index"] = i, ["prediction"] = $"so \\boxed{{{p.Answer}}}" })));
        var mr = CliProcess.Run("eval", "score", "--task", "math500", "--data", mathData, "--predictions", mpred, "--json");
        Assert.True(mr.ExitCode == 0, mr.Stderr);
        Assert.Equal(3, JsonDocument.Parse(mr.Stdout).RootElement.GetProperty("correct").GetInt32());

        // a Parquet file without the needed column, and one that is not Parquet at all
        var wrong = Path.Combine(dir, "wrong.parquet");
        WriteParquet(wrong, ("text", new[] { "a" }));
        var w = CliProcess.Run("eval", "score", "--task", "gsm8k", "--data", wrong, "--predictions", pred);
        Assert.Equal(2, w.ExitCode);
        Assert.Contains("no column \"question\" (columns: text)", w.Stderr);
        var fake = Path.Combine(dir, "fake.parquet");
        File.WriteAllText(fake, "not parquet");
        var f = CliProcess.Run("eval", "score", "--task", "gsm8k", "--data", fake, "--predictions", pred);
        Assert.Equal(2, f.ExitCode);
        Assert.StartsWith($"sharplm: {fake}", f.Stderr);
    }
}
