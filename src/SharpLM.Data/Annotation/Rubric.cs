namespace SharpLM.Data.Annotation;

/// <summary>
/// An LLM scoring rubric: the instructions and the score range. The two of FineMath (spec Part 1, steps 3
/// and 7), written here as paraphrases of the published rubrics — additive points, a short justification,
/// and a last line <c>Final score: N</c> that <see cref="ScoreParser"/> reads.
/// </summary>
public sealed record Rubric(string Name, int MaxScore, string Instructions)
{
    public const string ExtractPlaceholder = "<EXTRACT>";

    /// <summary>The prompt for one page (the page text replaces <see cref="ExtractPlaceholder"/>).</summary>
    public string Prompt(string pageText) => Instructions.Replace(ExtractPlaceholder, pageText, StringComparison.Ordinal);

    public static Rubric Get(string name) => name switch
    {
        "finemath-3" => FineMath3,
        "finemath-5" => FineMath5,
        _ => throw new ArgumentException($"unknown rubric '{name}' (finemath-3, finemath-5)", nameof(name)),
    };

    public static readonly Rubric FineMath3 = new("finemath-3", 3, """
        Below is an extract from a web page. Judge whether it is useful for teaching mathematics, using the additive
        3-point scale below. Points add up; a page earns a point only when it meets that point's criterion.

        - Add 1 point if the extract contains some mathematical content, even if it is too advanced for school
          students or of little use for studying.
        - Add another point if the extract shows logical reasoning in a mathematical context, such as a derivation,
          a proof or a worked argument.
        - Add a third point if the extract is at a high-school or early-undergraduate level and gives clear
          deductions or step-by-step solutions to problems.

        Question-and-answer formats (forums, Q&A sites) are acceptable when they meet the criteria. Ignore
        formatting problems and equations that did not survive the extraction.

        The extract:
        <EXTRACT>

        After examining the extract, briefly justify your total score in at most 100 words, then write the score on
        its own last line in exactly this format: "Final score: <total points>".
        """);

    public static readonly Rubric FineMath5 = new("finemath-5", 5, """
        Below is an extract from a web page. Evaluate whether it has high educational value for teaching mathematics
        at the middle-school and high-school level, using the additive 5-point scale below. Points add up; a page
        earns a point only when it meets that point's criterion.

        - Add 1 point if the extract contains any mathematical content, even low-value content such as
          advertisements, unit or currency converters, or bare lists of formulas.
        - Add another point if the extract touches on mathematical topics, even if it is poorly written, confusing,
          or too advanced for school (for example a research paper).
        - Award a third point if the extract shows problem solving or logical reasoning in a mathematical context,
          even without a step-by-step explanation.
        - Grant a fourth point if the extract is at an appropriate level for school mathematics and contains clear
          deductions and step-by-step solutions, like a chapter of a textbook or a tutorial.
        - Give a fifth point if the extract is outstanding for teaching middle- and high-school mathematics: very
          detailed, easy-to-follow explanations that a student could learn from on their own.

        Question-and-answer formats (forums, Q&A sites) are acceptable when they meet the criteria. Ignore
        formatting problems and equations that did not survive the extraction.

        The extract:
        <EXTRACT>

        After examining the extract, briefly justify your total score in at most 100 words, then write the score on
        its own last line in exactly this format: "Final score: <total points>".
        """);
}
