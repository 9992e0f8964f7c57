using System.Text.Json;
using SharpLM.Data.Dedup;
using SharpLM.Data.Text;

namespace SharpLM.Data.Tests.Dedup;

public class MinHashTests
{
    /// <summary>Distinct real pages: GSM8K train problems with their worked solutions.</summary>
    static List<string> Pages(int count) => File.ReadLines(TestPaths.Shared("gsm8k/train.jsonl")).Take(count)
        .Select(l => JsonDocument.Parse(l).RootElement)
        .Select(o => o.GetProperty("question").GetString() + "\n" + o.GetProperty("answer").GetString()).ToList();

    static string Edit(string text, Random rng, int edits)
    {
        var words = text.Split(' ');
        for (int e = 0; e < edits; e++) words[rng.Next(words.Length)] = "edited" + rng.Next(1000);
        return string.Join(' ', words);
    }

    static HashSet<ulong> Shingles(string text, int n)
    {
        var w = WordTokenizer.Words(text).Select(x => StableHash.Hash(x)).ToList();
        var set = new HashSet<ulong>();
        for (int s = 0; s + n <= w.Count; s++)
        {
            ulong h = 0;
            for (int j = s; j < s + n; j++) h = StableHash.Combine(h, w[j]);
            set.Add(h);
        }
        return set;
    }

    [Fact]
    public void PlantedNearDuplicatesAreFoundAndDistinctPagesKept()
    {
        var pages = Pages(300);
        var rng = new Random(11);
        // Rank 0: 300 distinct pages. Rank 1: 30 exact copies and 30 one-word edits of rank-0 pages, 40 new distinct pages.
        var rank1 = new List<string>();
        for (int i = 0; i < 30; i++) rank1.Add(pages[i * 3]);
        for (int i = 0; i < 30; i++) rank1.Add(Edit(pages[i * 3 + 1], rng, 1));
        rank1.AddRange(Pages(340).Skip(300));
        var o = new MinHashOptions { Bands = 14, Rows = 8 }; // datatrove's default: catches J ≈ 0.9 pairs reliably
        var h = new MinHasher(o);
        var keys = new[] { pages.Select(h.BandKeys).ToArray(), rank1.Select(h.BandKeys).ToArray() };
        var remove = LshClusters.Duplicates(keys, o.Bands, out int clusters);

        Assert.Empty(remove[0]); // survivors are the first occurrences, in rank order
        Assert.Equal(Enumerable.Range(0, 60).ToArray(), remove[1]);
        Assert.Equal(60, clusters);
    }

    [Fact]
    public void OneBandOfTenCollidesWithProbabilityJaccardToTheTenth()
    {
        // FineMath's 1×10: P(collide) = J^10. Over many planted pairs with exactly measured Jaccard, the
        // collision rate must follow the curve (binomial noise over 400 pairs: ±0.05 at 2σ).
        var pages = Pages(400).Where(p => p.Split(' ').Length > 60).Take(400).ToList();
        var rng = new Random(3);
        var o = new MinHashOptions { Bands = 1, Rows = 10 };
        var h = new MinHasher(o);
        double expected = 0;
        int collided = 0;
        foreach (var p in pages)
        {
            var q = Edit(p, rng, rng.Next(0, 3));
            var a = Shingles(p, 5); var b = Shingles(q, 5);
            double j = (double)a.Intersect(b).Count() / a.Union(b).Count();
            expected += Math.Pow(j, 10);
            if (h.BandKeys(p)[0] == h.BandKeys(q)[0]) collided++;
        }
        expected /= pages.Count;
        double rate = (double)collided / pages.Count;
        Assert.True(Math.Abs(rate - expected) < 0.06, $"collision rate {rate:F3}, J^10 predicts {expected:F3}");
        // Distinct pages never collide.
        var distinct = pages.Select(p => h.BandKeys(p)[0]).ToArray();
        Assert.Equal(distinct.Length, distinct.Distinct().Count());
    }

    [Fact]
    public void SignatureFilesRoundTripAndRefuseDamage()
    {
        var dir = TestPaths.NewTempDir();
        var p = Path.Combine(dir, "00000.bin");
        var keys = new[] { new ulong[] { 1, 2 }, [3, ulong.MaxValue] };
        SignatureFile.Write(p, 2, keys);
        Assert.Equal(keys, SignatureFile.Read(p, 2));
        Assert.Contains("bands", Assert.Throws<SharpLMDataException>(() => SignatureFile.Read(p, 3)).Message);
        File.WriteAllBytes(p, File.ReadAllBytes(p)[..20]);
        Assert.Contains("truncated", Assert.Throws<SharpLMDataException>(() => SignatureFile.Read(p, 2)).Message);
    }
}
