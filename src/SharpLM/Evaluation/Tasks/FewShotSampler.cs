namespace SharpLM.Evaluation.Tasks;

/// <summary>
/// lighteval's few-shot selection (<c>lighteval/tasks/prompt_manager.py</c>, <c>lighteval_task.py</c>) with the same
/// random draws, so prompts are byte-identical to lighteval's for the same data and seed.
/// </summary>
public static class FewShotSampler
{
    /// <summary>
    /// <c>LightevalTask.get_docs</c> with <c>random_sampling_from_train</c>: one <c>random.Random(seed)</c> shuffles
    /// the evaluation documents, then draws <c>sample(pool, k)</c> for each evaluated document in that order.
    /// </summary>
    /// <returns>The evaluation order (indices into the eval list, first <paramref name="limit"/> of it) and, for each,
    /// the few-shot pool indices in prompt order.</returns>
    public static (int[] Order, int[][] FewShots) RandomSamplingFromTrain(int evalCount, int poolCount, int shots, long seed, int? limit)
    {
        if (shots > poolCount) throw new ArgumentException($"{shots} few-shot examples requested but the pool has {poolCount}");
        var rng = new PythonRandom(seed);
        var order = Enumerable.Range(0, evalCount).ToArray();
        rng.Shuffle(order);
        int n = Math.Min(limit ?? evalCount, evalCount);
        var fewShots = new int[n][];
        for (int k = 0; k < n; k++) fewShots[k] = shots == 0 ? [] : rng.SampleIndices(poolCount, shots);
        return (order[..n], fewShots);
    }

    /// <summary>The evaluation order alone: lighteval's <c>Random(seed).shuffle</c> of the documents, first <paramref name="limit"/>.</summary>
    public static int[] EvaluationOrder(int evalCount, long seed, int? limit)
    {
        var rng = new PythonRandom(seed);
        var order = Enumerable.Range(0, evalCount).ToArray();
        rng.Shuffle(order);
        return order[..Math.Min(limit ?? evalCount, evalCount)];
    }

    /// <summary>
    /// lighteval's <c>balanced</c> selection (the default when a task names none, e.g. <c>math:*</c>): group the pool by
    /// gold label, order labels by descending group size (ties: sorted, then shuffled by <c>random.seed(0)</c>),
    /// then take one random member per label in turn until <paramref name="shots"/>+1 are chosen. Every evaluated
    /// document gets the same examples (minus itself), so this returns one list.
    /// </summary>
    public static int[] Balanced(IReadOnlyList<string> poolLabels, int shots, long varianceSeed = 0)
    {
        var rng = new PythonRandom(varianceSeed);
        var byLabel = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int i = 0; i < poolLabels.Count; i++)
        {
            if (!byLabel.TryGetValue(poolLabels[i], out var list)) byLabel[poolLabels[i]] = list = [];
            list.Add(i);
        }
        var countToLabels = new SortedDictionary<int, List<string>>();
        foreach (var label in byLabel.Keys.OrderBy(l => l, StringComparer.Ordinal))
        {
            int c = byLabel[label].Count;
            if (!countToLabels.TryGetValue(c, out var l)) countToLabels[c] = l = [];
            l.Add(label);
        }
        var sortedLabels = new List<string>();
        foreach (var (_, labels) in countToLabels.Reverse())
        {
            rng.Shuffle(labels);
            sortedLabels.AddRange(labels);
        }
        var chosen = new List<int>();
        int wanted = Math.Min(poolLabels.Count, shots + 1);
        for (int li = 0; wanted > 0 && sortedLabels.Count > 0; li = (li + 1) % sortedLabels.Count)
        {
            var members = byLabel[sortedLabels[li]];
            if (members.Count == 0) continue;
            int pick = rng.RandBelow(members.Count);
            chosen.Add(members[pick]);
            members.RemoveAt(pick);
            wanted--;
        }
        return chosen.ToArray();
    }

    /// <summary>
    /// lighteval's plain-text prompt: few-shot examples as <c>query + " " + gold.strip()</c> and then the query,
    /// joined by blank lines (<c>PromptManager._prepare_plain_text</c>).
    /// </summary>
    public static string PlainTextPrompt(IEnumerable<(string Query, string Gold)> fewShots, string query)
    {
        var parts = fewShots.Select(f => f.Query + " " + PythonStrip(f.Gold)).ToList();
        parts.Add(query);
        return string.Join("\n\n", parts);
    }

    /// <summary>Python's <c>str.strip()</c> (Unicode whitespace, like .NET's Trim).</summary>
    public static string PythonStrip(string s) => s.Trim();
}
