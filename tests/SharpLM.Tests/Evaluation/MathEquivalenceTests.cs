using SharpLM.Evaluation.Equivalence;

namespace SharpLM.Tests.Evaluation;

/// <summary>
/// Equivalence of final answers. Expected values are hand-derived (the mathematics decides), and where a case is
/// marked "lighteval" it reproduces a (gold, prediction, expected) triple from lighteval's regression suite
/// (tests/unit/metrics/test_extractive_match.py), i.e. published math-verify behaviour.
/// </summary>
public class MathEquivalenceTests
{
    [Theory]
    // integers, signs, leading zeros, decimals
    [InlineData("5", "5", true)]
    [InlineData("5", "05", true)]
    [InlineData("5", "5.0", true)]
    [InlineData("5", "6", false)]
    [InlineData("-5", "-5", true)]
    [InlineData("-5", "5", false)]
    [InlineData("0", "-0", true)]
    [InlineData("1000", "1,000", true)]
    [InlineData("7425000", "7,425,000", true)]            // lighteval: thousands separators
    [InlineData("11111111100", "11,\\! 111,\\! 111,\\! 100", true)] // lighteval
    [InlineData("32349", "32,\\! 349", true)]             // lighteval
    [InlineData("14916", "14{,}916", true)]
    [InlineData("10080", "10,\\!080", true)]              // MATH-500 gold spelling
    [InlineData("0.4", ".4", true)]                       // lighteval
    [InlineData(".0000672", "0.0000672", true)]
    [InlineData("1.25", "\\frac{5}{4}", true)]
    [InlineData("0.15", "\\frac{3}{20}", true)]
    [InlineData("3.21", "3.2", false)]
    // fractions in every spelling
    [InlineData("\\frac{1}{2}", "0.5", true)]
    [InlineData("\\frac{1}{2}", "1/2", true)]
    [InlineData("\\frac{1}{2}", "\\dfrac{1}{2}", true)]
    [InlineData("\\frac{1}{2}", "\\tfrac12", true)]
    [InlineData("\\frac{1}{3}", "\\frac13", true)]         // lighteval: malformed fractions work
    [InlineData("1", "\\frac3{3}", true)]                  // lighteval
    [InlineData("\\frac{10}{9}", "10/9", true)]            // lighteval
    [InlineData("-\\frac{10}{9}", "-10/9", true)]          // lighteval
    [InlineData("\\frac{4}{23}", "8/46", true)]            // lighteval
    [InlineData("\\frac{2}{3}", "\\frac{4}{6}", true)]
    [InlineData("\\frac{2}{3}", "\\frac{3}{2}", false)]
    [InlineData("-\\frac{2}{3}", "\\frac{-2}{3}", true)]
    [InlineData("-\\frac{2}{3}", "\\frac{2}{-3}", true)]
    [InlineData("\\frac 59", "\\frac{5}{9}", true)]
    [InlineData("\\frac9{19}", "\\frac{9}{19}", true)]
    [InlineData("\\frac{270}7\\text{ degrees}", "\\frac{270}{7}", true)]
    [InlineData("1\\frac{4}{5}", "\\frac{9}{5}", true)]   // mixed number as MATH writes it
    [InlineData("137 \\frac{1}{2}", "137.5", true)]
    [InlineData("\\frac{1}{3}", "0.33333", true)]          // rounding rule, 5 places
    [InlineData("\\frac{1}{3}", "0.333333", true)]
    [InlineData("\\frac{1}{3}", "0.33", false)]
    [InlineData("\\frac{1}{12}", "0.0833333333333333", true)] // lighteval (qwen parser cases)
    [InlineData("\\frac{70}{9}", "7.78", false)]           // 7.77778 vs 7.78
    [InlineData("\\pi", "3.14", false)]
    [InlineData("\\pi", "3.14159", true)]
    // radicals
    [InlineData("3\\sqrt{13}", "\\sqrt{117}", true)]
    [InlineData("2\\sqrt{2}", "\\sqrt{8}", true)]
    [InlineData("\\sqrt{3}", "\\sqrt3", true)]             // lighteval: malformed sqrt
    [InlineData("\\frac{\\sqrt{3}}{3}", "\\frac{1}{\\sqrt{3}}", true)]
    [InlineData("\\frac{\\sqrt{3}}{3}", "\\frac{\\sqrt{3}}{2}", false)]
    [InlineData("\\sqrt{2}+\\sqrt{5}", "\\sqrt 2+\\sqrt 5", true)] // lighteval
    [InlineData("11\\sqrt2", "11 \\sqrt{2}", true)]
    [InlineData("1+2\\sqrt{3}", "2\\sqrt{3}+1", true)]
    [InlineData("\\sqrt{12}", "2\\sqrt{3}", true)]
    [InlineData("\\sqrt{2}\\sqrt{6}", "2\\sqrt{3}", true)]
    [InlineData("\\frac{1}{\\sqrt{2}-1}", "\\sqrt{2}+1", true)]
    [InlineData("\\sqrt[3]{8}", "2", true)]
    [InlineData("\\sqrt[3]{2}", "2^{1/3}", true)]
    [InlineData("4^{1/2}", "2", true)]
    [InlineData("8^{2/3}", "4", true)]
    [InlineData("2", "\\frac{1+\\sqrt{5}}{2}", false)]     // lighteval: non-equivalent
    [InlineData("4", "\\frac{34}{16}+\\frac{\\sqrt{1358}}{16}", false)] // lighteval
    [InlineData("1\\sqrt{19}", "1", false)]                // lighteval
    [InlineData("\\frac{\\sqrt{\\sqrt{11}+\\sqrt{194}}}{15+2\\sqrt{33}}", "\\frac{\\sqrt{\\sqrt{11}+\\sqrt{194}}}{2\\sqrt{33}+15}", true)] // lighteval
    // complex numbers
    [InlineData("6 - 5i", "-5i+6", true)]
    [InlineData("6+9i", "6 + 9i", true)]
    [InlineData("1+274i", "274i+1", true)]
    [InlineData("i", "\\sqrt{-1}", true)]
    [InlineData("-1", "i^2", true)]
    [InlineData("2i", "\\sqrt{-4}", true)]
    [InlineData("-2 + 7i", "-2 - 7i", false)]
    [InlineData("\\frac{1}{i}", "-i", true)]
    // pi and constants
    [InlineData("288 \\pi", "288\\pi", true)]
    [InlineData("18+2\\pi", "2\\pi + 18", true)]
    [InlineData("\\frac{9}{4}\\pi", "\\frac94\\pi", true)] // lighteval
    [InlineData("\\frac{20000}{\\pi}", "20000/\\pi", true)]
    [InlineData("-\\frac{\\pi}{6}", "-\\pi/6", true)]
    [InlineData("7\\pi", "7", false)]
    // polynomials and rational expressions
    [InlineData("x^5 - x^4 + x^3 - x^2 + x - 1", "(x-1)(x^4+x^2+1)", true)]
    [InlineData("x^3+3x-6", "3x + x^3 - 6", true)]
    [InlineData("(a+5)(b+2)", "ab + 2a + 5b + 10", true)]
    [InlineData("(a+5)(b+2)", "(+5)(b+2)", false)]         // lighteval
    [InlineData("x+2n+1", "x+1", false)]                   // lighteval
    [InlineData("\\frac{x+2}{7}", "\\frac{x}{7}+\\frac{2}{7}", true)] // lighteval
    [InlineData("\\frac{11+9a}{20}", "\\frac{9a+11}{20}", true)]
    [InlineData("\\frac{11+9a}{20}", "0.55 + 0.45a", true)]
    [InlineData("2k+2", "2(k+1)", true)]
    [InlineData("6r^2-4r-24", "2(3r^2-2r-12)", true)]
    [InlineData("15x - 80", "5(3x-16)", true)]
    [InlineData("-13x+3", "3-13x", true)]
    [InlineData("\\frac{x^2-1}{x-1}", "x+1", true)]
    [InlineData("\\frac{1}{x} + \\frac{1}{y}", "\\frac{x+y}{xy}", true)]
    [InlineData("(x+1)^2", "x^2+2x+1", true)]
    [InlineData("(x+1)^2", "x^2+1", false)]
    [InlineData("p - q", "-q + p", true)]
    [InlineData("p - q", "q - p", false)]
    [InlineData("2k", "k2", true)]
    [InlineData("\\frac{\\pi r}{h+r}", "\\frac{r\\pi}{r+h}", true)]
    [InlineData("11 \\sqrt{5} + 11", "11(1+\\sqrt5)", true)]
    // functions (decided numerically at fixed points)
    [InlineData("\\tan^2(y)+1", "\\sec^2(y)", true)]       // lighteval
    [InlineData("\\cot x", "\\frac{\\cos x}{\\sin x}", true)]
    [InlineData("\\cot x", "\\tan x", false)]
    [InlineData("2 \\sin b \\cos a", "2\\cos a \\sin b", true)] // lighteval
    [InlineData("\\frac{1}{2}", "\\sin(\\pi/6)", true)]
    [InlineData("3", "\\log_2 8", true)]
    [InlineData("2^{n+1}", "2\\cdot 2^n", true)]
    [InlineData("2^{n+1}", "2^n", false)]
    [InlineData("120", "5!", true)]
    [InlineData("10", "\\binom{5}{2}", true)]
    [InlineData("10", "\\dbinom{5}{3}", true)]
    [InlineData("3", "|-3|", true)]
    [InlineData("3", "\\lfloor 3.7 \\rfloor", true)]
    [InlineData("4", "\\lceil 3.2 \\rceil", true)]
    public void Scalars(string gold, string pred, bool expected) =>
        Assert.Equal(expected, MathEquivalence.AreEquivalent(gold, pred));

    [Theory]
    // tuples are ordered
    [InlineData("\\left( 3, \\frac{\\pi}{2} \\right)", "(3, \\pi/2)", true)]
    [InlineData("(3,\\frac{\\pi}{2})", "\\left( 3, \\frac{\\pi}{2} \\right)", true)] // lighteval
    [InlineData("(6,31,-1)", "(6, 31, -1)", true)]
    [InlineData("(6,31,-1)", "(31, 6, -1)", false)]
    [InlineData("(1,\\frac{9}{2})", "(1,4.5)", true)]      // lighteval
    [InlineData("(15,-29)", "(15, -29)", true)]
    [InlineData("(1,-16,-4,43)", "(1,-16,-4,43)", true)]
    [InlineData("(8,-2)", "(-2,8)", false)]
    [InlineData("\\left( \\frac{3}{2}, -13 \\right)", "(1.5, -13)", true)]
    [InlineData("(p,q)=(3,2)", "(3,2)", true)]            // lighteval
    [InlineData("(1,3)", "\\{1,3\\}", true)]               // lighteval: tuple gold, set pred, in written order
    // sets and solution lists in any order
    [InlineData("1,-2", "-2, 1", true)]
    [InlineData("-2,1", "1,-2", true)]                     // lighteval (reordered)
    [InlineData("3, 5, 7", "7, 3, 5", true)]
    [InlineData("3, 5, 7", "3, 5", false)]
    [InlineData("3, 5, 7", "3, 5, 5", false)]
    [InlineData("\\{1,2\\}", "\\{2,1\\}", true)]
    [InlineData("\\{1\\pm\\sqrt{5},-2\\}", "-2, 1+\\sqrt5, 1-\\sqrt5", true)] // lighteval
    [InlineData("1 \\pm \\sqrt{19}", "1 + \\sqrt{19}, 1 - \\sqrt{19}", true)]
    [InlineData("1 \\pm \\sqrt{19}", "1 - \\sqrt{19}, 1 + \\sqrt{19}", true)]
    [InlineData("3 \\pm 2 \\sqrt{2}", "3+2\\sqrt2, 3-2\\sqrt2", true)]
    [InlineData("1 \\pm \\sqrt{19}", "1 + \\sqrt{19}", false)]
    [InlineData("x=5", "5", true)]
    [InlineData("5", "x = 5", true)]
    [InlineData("5", "x = 2+3", true)]
    [InlineData("11", "x\\approx11", true)]                // lighteval
    [InlineData("x = -5, p = \\frac{14}{3}", "-5, \\frac{14}{3}", true)]  // lighteval
    [InlineData("6 \\text{ and } 8", "6, 8", true)]        // lighteval
    [InlineData("12\\text{ and }13", "12, 13", true)]
    [InlineData("5", "\\{5\\}", true)]
    // intervals
    [InlineData("[0,1)", "[0,1)", true)]                   // lighteval
    [InlineData("[0,9)", "[0,1)", false)]                  // lighteval
    [InlineData("(0,9)", "[0,9)", false)]                  // lighteval
    [InlineData("(3,4]", "(3, 4]", true)]
    [InlineData("(3,4]", "[3, 4]", false)]
    [InlineData("(2,\\infty)", "(2, \\infty)", true)]
    [InlineData("(-\\infty, 0]", "(-\\infty,0]", true)]
    [InlineData("(-\\infty, 0]", "(-\\infty,0)", false)]
    [InlineData("\\left(\\frac{3}{5},\\frac{8}{3}\\right]", "(0.6, 8/3]", true)]
    [InlineData("(0,9) \\cup (9,36)", "(9,36) \\cup (0,9)", true)]
    [InlineData("(0,9) \\cup (9,36)", "(0,36)", false)]
    [InlineData("[-1, -\\frac{1}{2}) \\cup (-\\frac{1}{2}, 0) \\cup (0, 1) \\cup (1, \\infty)", "[-1, -\\tfrac12) \\cup (-\\tfrac12, 0) \\cup (0, 1) \\cup (1, \\infty)", true)] // lighteval
    [InlineData("x \\in [-2,7]", "[-2,7]", true)]
    [InlineData("[-2,7]", "-2 \\le x \\le 7", true)]
    [InlineData("(5,\\infty)", "x > 5", true)]
    [InlineData("(-\\sqrt{3}, \\sqrt{3})", "-\\sqrt{3} < x < \\sqrt{3}", true)]
    [InlineData("(2,4)", "2 < x < 4", true)]
    [InlineData("(2,4)", "2 < x \\le 4", false)]
    [InlineData("0<f(x)<1", "(0,1)", false)]               // f(x) is not a lone variable: not read as an interval
    // relations
    [InlineData("x \\geq 5", "x >= 5", true)]              // lighteval
    [InlineData("x < 3", "x \\lt 3", true)]                // lighteval
    [InlineData("x > 5", "x < 5", false)]                  // lighteval
    [InlineData("x \\leq 5", "5 \\geq x", true)]           // lighteval: flipped
    [InlineData("x < 1", "-x > -1", true)]                 // lighteval
    [InlineData("x < 1", "x > -1", false)]                 // lighteval
    [InlineData("x \\neq 5", "x != 5", true)]              // lighteval
    [InlineData("5x - 7y + 11z + 4 = 0", "-5x+7y-11z-4=0", true)]
    [InlineData("5x - 7y + 11z + 4 = 0", "5x - 7y + 11z = -4", true)]
    [InlineData("5x - 7y + 11z + 4 = 0", "5x - 7y + 11z - 4 = 0", false)]
    [InlineData("34x+45y-20z+100=0", "-34x-45y+20z-100=0", true)] // lighteval
    [InlineData("7 = 11a+c", "11a+c", false)]              // lighteval: not an assignment
    [InlineData("y = 2x + 3", "2x+3", true)]
    [InlineData("x + y = 1", "2x + 2y = 2", false)]        // proportional equations are not the same spelling of an answer
    [InlineData("(1,2)", "[1,2]", false)]
    [InlineData("\\ln 5", "\\log 5", true)]                // \log is the natural log, as sympy reads it
    // matrices and vectors
    [InlineData("\\begin{pmatrix} -1/3 \\\\ 2/3 \\\\ 5/3 \\end{pmatrix}", "\\begin{pmatrix} -\\frac{1}{3} \\\\ \\frac{2}{3} \\\\ \\frac{5}{3} \\end{pmatrix}", true)]
    [InlineData("\\begin{pmatrix} -1 & 0 \\\\ 0 & -1 \\end{pmatrix}", "\\begin{bmatrix} -1 & 0 \\\\ 0 & -1 \\end{bmatrix}", true)]
    [InlineData("\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}", "\\begin{pmatrix}1 & 2 \\\\ 3 & 5\\end{pmatrix}", false)] // lighteval
    [InlineData("\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}", "\\left[\\begin{array}{cc}1 & 2 \\\\3 & 4\\end{array}\\right]", true)] // lighteval
    [InlineData("\\begin{pmatrix} -2 \\\\ -14 \\\\ -7 \\end{pmatrix}", "\\begin{pmatrix} -2 \\\\ -7 \\\\ -14 \\end{pmatrix}", false)]
    public void Structures(string gold, string pred, bool expected) =>
        Assert.Equal(expected, MathEquivalence.AreEquivalent(gold, pred));

    [Theory]
    // degrees, percentages, units, text
    [InlineData("90^\\circ", "90", true)]
    [InlineData("90^\\circ", "90^{\\circ}", true)]
    [InlineData("30^\\circ", "30°", true)]
    [InlineData("145^\\circ", "135^\\circ", false)]
    [InlineData("20\\%", "20", true)]
    [InlineData("20\\%", "20%", true)]
    [InlineData("20\\%", "0.2", true)]
    [InlineData("20\\%", "0.02", false)]
    [InlineData("864 \\mbox{ inches}^2", "864", true)]
    [InlineData("5.4 \\text{ cents}", "5.4", true)]
    [InlineData("125", "125\\textnormal{ miles}", true)]   // lighteval
    [InlineData("15\\mbox{ cm}^2", "15", true)]            // lighteval
    [InlineData("125", "125 miles", true)]
    [InlineData("\\$32,\\!348", "32348", true)]
    [InlineData("\\$32,\\!348", "\\$32,348", true)]
    [InlineData("\\text{Evelyn}", "Evelyn", true)]         // lighteval
    [InlineData("\\text{Evelyn}", "\\text{evelyn}", true)]
    [InlineData("\\text{Evelyn}", "\\text{Briana}", false)]
    [InlineData("\\text{(C)}", "C", true)]                 // lighteval: (C) vs C
    [InlineData("\\text{(C)}", "\\text{(E)}", false)]
    [InlineData("\\text{east}", "east", true)]
    [InlineData("\\text{odd}", "odd", true)]               // lighteval
    [InlineData("\\text{even}", "\\text{odd}", false)]
    [InlineData("\\text{ellipse}", "\\text{Ellipse}", true)]
    [InlineData("\\text{E}", "E", true)]                   // lighteval
    [InlineData("d", "\\text{E}", false)]                  // lighteval
    // numerals in other bases are names, equal only to themselves
    [InlineData("52_8", "52_{8}", true)]
    [InlineData("204_5", "204_5", true)]
    [InlineData("4210_{5}", "4210_5", true)]
    [InlineData("1112112_3", "1112112", false)]
    [InlineData("40_9", "36", false)]
    public void UnitsTextAndBases(string gold, string pred, bool expected) =>
        Assert.Equal(expected, MathEquivalence.AreEquivalent(gold, pred));

    [Theory]
    // malformed LaTeX never throws and never matches by accident
    [InlineData("5", "")]
    [InlineData("5", "\\frac{")]
    [InlineData("5", "\\frac{5}{")]
    [InlineData("5", "{{{{")]
    [InlineData("5", "}}}}")]
    [InlineData("5", "\\sqrt")]
    [InlineData("5", "((((((((5")]
    [InlineData("\\frac{1}{2}", "\\frac{1}{0}")]
    [InlineData("5", "5/0")]
    [InlineData("5", "\\unknowncommand{5}x")]
    [InlineData("5", "x^{")]
    [InlineData("5", "|||")]
    [InlineData("5", "\\begin{pmatrix} 5")]
    [InlineData("5", "2^{100000000}")]
    [InlineData("5", "(x+y)^{64}")]
    [InlineData("5", "99999999999999999999999999999999999999!")]
    [InlineData("5", "\\binom{5}{1000000000}")]
    [InlineData("5", "\\binom{100000000000}{5}")]
    public void MalformedPredictionsAreNotEquivalent(string gold, string pred) =>
        Assert.False(MathEquivalence.AreEquivalent(gold, pred));

    [Fact]
    public void DeeplyNestedInputDoesNotOverflowTheStack()
    {
        var deep = new string('(', 5000) + "1" + new string(')', 5000);
        Assert.False(MathEquivalence.AreEquivalent("1", deep + "+"));
        var nestedFrac = string.Concat(Enumerable.Repeat("\\frac{1}{", 300)) + "2" + new string('}', 300);
        Assert.False(MathEquivalence.AreEquivalent("7", nestedFrac));
    }

    [Fact]
    public void PrecisionControlsTheRoundingRule()
    {
        // lighteval test_precision: 1/3 vs 0.333 equal at 3 places, not at 4
        Assert.True(MathEquivalence.AreEquivalent("\\frac{1}{3}", "0.333", precision: 3));
        Assert.False(MathEquivalence.AreEquivalent("\\frac{1}{3}", "0.333", precision: 4));
        Assert.True(MathEquivalence.AreEquivalent("\\frac{1}{3}+1", "1.333", precision: 3));
        Assert.True(MathEquivalence.AreEquivalent("(\\frac{3}{5},\\frac{8}{3}]", "(0.6,2.6667]", precision: 2)); // lighteval
    }
}
