using System.Text.RegularExpressions;

namespace SharpLM.Evaluation.Answers;

/// <summary>The final answer found in a model output and the rule that found it.</summary>
/// <param name="Answer">The answer's LaTeX (delimiters and <c>\boxed</c> removed).</param>
/// <param name="Method"><c>boxed</c>, <c>final-answer</c>, <c>answer-is</c>, <c>last-math</c> or <c>last-number</c>.</param>
public readonly record struct MathExtracted(string Answer, string Method);

/// <summary>
/// Finds the final answer of a MATH-style solution, following math-verify's priorities (lighteval
/// <c>extractive_match_utils.py</c>, with <c>\boxed</c> at priority 0 as in lighteval's math metrics): a lower
/// priority wins; among candidates of equal priority the one that ends last wins.
/// <list type="table">
/// <item><term>0</term><description><c>\boxed{..}</c> / <c>\fbox{..}</c> (adjacent boxes joined by commas, "and", "or" form one
/// set answer), and Minerva's "final answer is $X$. I hope it is correct".</description></item>
/// <item><term>50</term><description>"final answer ... is X".</description></item>
/// <item><term>100</term><description>"answer: X" (X within 50 characters).</description></item>
/// <item><term>200</term><description>"answer ... X" (X within 50 characters, e.g. "the answer is X").</description></item>
/// <item><term>300</term><description>the last math environment (<c>$..$</c>, <c>$$..$$</c>, <c>\(..\)</c>, <c>\[..\]</c>) or the last number.</description></item>
/// </list>
/// An answer after the anchor is the next math environment, or a number / short fraction, or else the rest of the
/// sentence (at most 60 characters).
/// </summary>
public static partial class MathAnswerExtractor
{
    [GeneratedRegex(@"final answer is:?\s*(.+?)\.?\s*I hope", RegexOptions.IgnoreCase)]
    private static partial Regex MinervaFinalAnswer();

    [GeneratedRegex(@"final answer.{0,100}?\sis:?\s*", RegexOptions.IgnoreCase)]
    private static partial Regex FinalAnswerIs();

    [GeneratedRegex(@"answer\s?:\s*", RegexOptions.IgnoreCase)]
    private static partial Regex AnswerColon();

    [GeneratedRegex(@"answer\b", RegexOptions.IgnoreCase)]
    private static partial Regex AnswerWord();

    [GeneratedRegex(@"(?<!\\)\$\$(.+?)(?<!\\)\$\$|(?<![\\\d])\$((?:\\\$|[^\n$])+?)(?<!\\)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", RegexOptions.Singleline)]
    private static partial Regex MathEnvironment();

    [GeneratedRegex(@"-?[$]?\d[\d,]*(?:\.\d+)?(?:\s*/\s*-?\d+)?%?|-?\.\d+%?")]
    private static partial Regex PlainNumber();

    [GeneratedRegex(@"\G\s*(?:(?:is|was|are|would be|will be|equals|=|:)\s+)+", RegexOptions.IgnoreCase)]
    private static partial Regex LinkingWords();

    [GeneratedRegex(@"^\s*(?:,|and|or|\\quad|\\text\{\s*(?:and|or)\s*\}|\$|\\\(|\\\)|\\\[|\\\]|\s)*\s*$")]
    private static partial Regex BoxJoiner();

    public static MathExtracted? Extract(string output)
    {
        var candidates = new List<(int Priority, int End, string Answer, string Method)>();

        foreach (var group in BoxGroups(output))
            candidates.Add((0, group.End, group.Answer, "boxed"));
        foreach (Match m in MinervaFinalAnswer().Matches(output))
            candidates.Add((0, m.Index + m.Length, Unwrap(m.Groups[1].Value), "final-answer"));

        AddAnchored(candidates, FinalAnswerIs(), output, 50, 200, "final-answer");
        AddAnchored(candidates, AnswerColon(), output, 100, 50, "answer-is");
        AddAnchored(candidates, AnswerWord(), output, 200, 50, "answer-is");

        foreach (Match m in MathEnvironment().Matches(output))
        {
            var body = FirstGroup(m).Trim();
            if (body.Length > 0) candidates.Add((300, m.Index + m.Length, body, "last-math"));
        }
        foreach (Match m in PlainNumber().Matches(output))
            candidates.Add((300, m.Index + m.Length, CleanNumber(m.Value), "last-number"));

        var best = candidates.Where(c => c.Answer.Length > 0)
            .OrderBy(c => c.Priority).ThenByDescending(c => c.End).FirstOrDefault();
        return best.Answer is null ? null : new MathExtracted(best.Answer, best.Method);
    }

    /// <summary>Runs of boxes separated only by commas, "and", "or", spacing or math delimiters, each as one answer.</summary>
    static IEnumerable<(int End, string Answer)> BoxGroups(string text)
    {
        var boxes = BoxedAnswer.FindAll(text);
        int i = 0;
        while (i < boxes.Count)
        {
            int j = i;
            while (j + 1 < boxes.Count && BoxJoiner().IsMatch(text[boxes[j].End..boxes[j + 1].Start])) j++;
            var parts = boxes.Skip(i).Take(j - i + 1).Select(b => b.Content.Trim()).Where(c => c.Length > 0).ToList();
            if (parts.Count > 0) yield return (boxes[j].End, string.Join(", ", parts));
            i = j + 1;
        }
    }

    static void AddAnchored(List<(int, int, string, string)> candidates, Regex anchor, string text, int priority, int window, string method)
    {
        foreach (Match m in anchor.Matches(text))
        {
            int from = m.Index + m.Length;
            var found = AnswerAfter(text, from, window);
            if (found is { } f) candidates.Add((priority, f.End, f.Answer, method));
        }
    }

    /// <summary>The answer that follows an anchor: a box, a math environment or a number within <paramref name="window"/> characters, else the rest of the sentence.</summary>
    static (int End, string Answer)? AnswerAfter(string text, int from, int window)
    {
        int limit = Math.Min(text.Length, from + window);
        var box = BoxedAnswer.FindAll(text[from..]).FirstOrDefault();
        if (box.Content is not null && from + box.Start <= limit) return (from + box.End, box.Content.Trim());
        var env = MathEnvironment().Match(text, from);
        var num = PlainNumber().Match(text, from);
        bool envOk = env.Success && env.Index <= limit && FirstGroup(env).Trim().Length > 0;
        bool numOk = num.Success && num.Index <= limit;
        if (envOk && (!numOk || env.Index <= num.Index)) return (env.Index + env.Length, FirstGroup(env).Trim());
        if (numOk) return (num.Index + num.Length, CleanNumber(num.Value));
        // a word answer ("the answer is Monday."): the rest of the sentence, kept short, without the verb
        var verb = LinkingWords().Match(text, from);
        if (verb.Success && verb.Index == from) from += verb.Length;
        int end = from;
        while (end < text.Length && end - from < 60 && text[end] is not ('\n' or '.' or ';' or '!' or '?')) end++;
        var rest = text[from..end].Trim();
        return rest.Length == 0 ? null : (end, rest);
    }

    static string FirstGroup(Match m)
    {
        for (int g = 1; g < m.Groups.Count; g++) if (m.Groups[g].Success) return m.Groups[g].Value;
        return "";
    }

    /// <summary>Strips one layer of math delimiters around an answer (Minerva writes <c>$X$</c>).</summary>
    static string Unwrap(string s)
    {
        s = s.Trim();
        var env = MathEnvironment().Match(s);
        if (env.Success && env.Index == 0 && env.Length == s.Length) return FirstGroup(env).Trim();
        return s.Trim('$').Trim();
    }

    static string CleanNumber(string s) => s.Replace("$", "", StringComparison.Ordinal).Trim();
}
