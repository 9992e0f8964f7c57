using SharpLM.Evaluation.Answers;
using SharpLM.Evaluation.Tasks;

namespace SharpLM.Tests.Evaluation;

public class MathAnswerExtractorTests
{
    [Theory]
    [InlineData("So the answer is $\\boxed{5}$.", "5", "boxed")]
    [InlineData("\\boxed{\\frac{1}{\\sqrt{2}}}", "\\frac{1}{\\sqrt{2}}", "boxed")]                       // nested braces
    [InlineData("first \\boxed{3}, wait, recheck: \\boxed{4}.", "4", "boxed")]                           // several boxes: the last
    [InlineData("roots are \\boxed{1} and \\boxed{-2}.", "1, -2", "boxed")]                              // adjacent boxes: one set
    [InlineData("The answer is \\boxed{5}. Check: 5 \\cdot 2 = 10.", "5", "boxed")]                      // a number after the answer
    [InlineData("\\boxed{7} and \\boxed{8", "7", "boxed")]                                               // unterminated last box skipped
    [InlineData("\\fbox{12}", "12", "boxed")]
    [InlineData("\\boxed 5$ is it", "5", "boxed")]
    [InlineData("so $x=2$.\nFinal Answer: The final answer is $[2,5)$. I hope it is correct.", "[2,5)", "final-answer")]
    [InlineData("$\\boxed{24}.$\nFinal Answer: The final answer is $24$. I hope it is correct.", "24", "final-answer")]
    [InlineData("Thus the final answer is $\\frac{2}{3}$ and that is all", "\\frac{2}{3}", "final-answer")]
    [InlineData("We have 3 cases.\nANSWER: 17", "17", "answer-is")]
    [InlineData("so the answer is 12 apples", "12", "answer-is")]
    [InlineData("the answer is $x^2+1$ obviously; also 9", "x^2+1", "answer-is")]
    [InlineData("The answer is Monday.", "Monday", "answer-is")]
    [InlineData("we find $y = 7$ so", "y = 7", "last-math")]
    [InlineData("it is \\(3\\pi\\) in total", "3\\pi", "last-math")]
    [InlineData("there are 3 then 14 left", "14", "last-number")]
    [InlineData("$$\\frac{1}{2}$$ and then 5", "5", "last-number")]                                    // rightmost of equal priority
    public void Extracts(string output, string expected, string method)
    {
        var e = MathAnswerExtractor.Extract(output);
        Assert.NotNull(e);
        Assert.Equal(expected, e.Value.Answer);
        Assert.Equal(method, e.Value.Method);
    }

    [Theory]
    [InlineData("")]
    [InlineData("I don't know.")]
    [InlineData("\\boxed{")]
    public void NothingToExtract(string output) => Assert.Null(MathAnswerExtractor.Extract(output));

    [Theory]
    [InlineData("\\frac{14}{3}", "$f(-2)+f(-1)+f(0)=2+\\frac{5}{3}+1=\\boxed{\\frac{14}{3}}$", true)]    // lighteval
    [InlineData("3\\sqrt{13}", "= \\sqrt{117} = \\boxed{3\\sqrt{13}}.", true)]                          // lighteval
    [InlineData("(6,31,-1)", "Then solving the system of equations, we find $(p,q,r) = \\boxed{(6,31,-1)}.$", true)] // lighteval
    [InlineData("1 \\pm \\sqrt{19}", "By the quadratic formula, $x = \\boxed{1 \\pm \\sqrt{19}}.$", true)] // lighteval
    [InlineData("\\text{Evelyn}", "Therefore, $\\boxed{\\text{Evelyn}}$ is our answer.", true)]          // lighteval
    [InlineData("2", "Of the two-digit perfect squares, only $4^2=16$ and $6^2=36$ end in $6$. Thus, there are $\\boxed{2}$ distinct possible values for $B$.", true)] // lighteval
    [InlineData("-2,1", "Checking, we find that the only integer roots are $\\boxed{-2,1}.$", true)]     // lighteval
    [InlineData("34", "Final Answer: The largest $n$ is 34.", true)]                                     // lighteval
    [InlineData("12", "12 \\text{ and } 13", false)]
    [InlineData("5", "The answer is \\boxed{6}. Note that 5 is not it.", false)]
    public void ScoresOutputs(string gold, string output, bool correct) =>
        Assert.Equal(correct, MathTask.ScoreAnswer(gold, "\\boxed{" + gold + "}", output).Correct);

    [Fact]
    public void QuasiExactMatchNeedsABoxAndTheHendrycksForm()
    {
        var s = MathTask.ScoreAnswer("\\frac{1}{2}", "so it is $\\boxed{\\frac12}$", "thus \\boxed{0.5}");
        Assert.True(s.Correct);
        Assert.True(s.Metrics["quasi_exact_match"]);
        var unboxed = MathTask.ScoreAnswer("\\frac{1}{2}", "so it is $\\boxed{\\frac12}$", "Final Answer: The final answer is $\\frac{1}{2}$. I hope it is correct.");
        Assert.True(unboxed.Correct);
        Assert.False(unboxed.Metrics["quasi_exact_match"]);
    }
}
