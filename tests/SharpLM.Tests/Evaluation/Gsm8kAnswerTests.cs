using SharpLM.Evaluation.Answers;
using SharpLM.Evaluation.Data;
using SharpLM.Evaluation.Tasks;

namespace SharpLM.Tests.Evaluation;

public class Gsm8kAnswerTests
{
    [Theory]
    [InlineData("#### 18", "18", "strict")]
    [InlineData("She makes 9 * 2 = $18 every day.\n#### 18", "18", "strict")]
    [InlineData("#### 1,234", "1234", "strict")]
    [InlineData("#### -3", "-3", "strict")]
    [InlineData("#### 3.50", "3.50", "strict")]
    [InlineData("#### 18\n\nQuestion: 5 apples", "18", "strict")]             // trap: a number after the answer
    [InlineData("#### 18 then #### 19", "18", "strict")]                       // the first #### wins (reference rule)
    [InlineData("The answer is 18.", "18", "flexible")]
    [InlineData("She earns $18.", "18", "flexible")]                           // currency and trailing dot
    [InlineData("It costs $1,250 in total", "1250", "flexible")]
    [InlineData("so 3 + 4 = 7 apples", "7", "flexible")]                       // units after the number
    [InlineData("first 12, then 40 dollars", "40", "flexible")]                // the last number
    [InlineData("we get -5", "-5", "flexible")]
    [InlineData("0.5 of them", "0.5", "flexible")]
    [InlineData("answer is 7...", "7", "flexible")]
    [InlineData("####18 is 20", "20", "flexible")]                             // "####18" lacks the space: not the reference form
    public void Extracts(string output, string expected, string method)
    {
        var e = Gsm8kAnswer.Extract(output);
        Assert.NotNull(e);
        Assert.Equal(expected, e.Value.Normalized);
        Assert.Equal(method, e.Value.Method == Gsm8kExtraction.Strict ? "strict" : "flexible");
    }

    [Theory]
    [InlineData("")]
    [InlineData("no numbers here")]
    [InlineData("... ,, $$")]
    public void NothingToExtract(string output) => Assert.Null(Gsm8kAnswer.Extract(output));

    [Theory]
    [InlineData("18", "18", true)]
    [InlineData("18.00", "18", true)]
    [InlineData("018", "18", true)]
    [InlineData("-0", "0", true)]
    [InlineData("18.5", "18", false)]
    [InlineData("1e3", "1000", false)]
    public void NumbersCompareAsDecimals(string a, string b, bool equal) => Assert.Equal(equal, Gsm8kAnswer.NumbersEqual(a, b));

    [Fact]
    public void ScoringAgainstARealRecord()
    {
        var p = new Gsm8kProblem(0, "Janet's ducks...", "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\nShe makes 9 * 2 = $<<9*2=18>>18 every day at the farmer’s market.\n#### 18");
        Assert.Equal("18", p.FinalAnswer);
        var strict = Gsm8kTask.ScoreRecord(p, " She sells 9 eggs for $2 each.\n#### 18");
        Assert.True(strict.Correct);
        Assert.True(strict.Metrics["strict_match"]);
        var flexible = Gsm8kTask.ScoreRecord(p, " 9 eggs at $2 is $18.");
        Assert.True(flexible.Correct);
        Assert.False(flexible.Metrics["strict_match"]);               // quasi_exact_match_gsm8k needs ####
        var wrong = Gsm8kTask.ScoreRecord(p, " #### 18.5");
        Assert.False(wrong.Correct);
        Assert.False(Gsm8kTask.ScoreRecord(p, "").Correct);
        Assert.False(Gsm8kTask.ScoreRecord(p, "").Metrics["strict_match"]);
        Assert.True(Gsm8kTask.ScoreRecord(p, "#### 18.00").Correct);  // numeric equality
        Assert.False(Gsm8kTask.ScoreRecord(p, "#### 18.00").Metrics["strict_match"]); // the string rule does not
    }
}
