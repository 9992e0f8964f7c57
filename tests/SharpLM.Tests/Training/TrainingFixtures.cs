using SharpLM.Formats;
using SharpLM.Models.Gemma3;
using SharpLM.Training.Data;

namespace SharpLM.Tests.Training;

/// <summary>Small synthetic corpora and configs for trainer tests (fixed seeds, seconds to train).</summary>
public static class TrainingFixtures
{
    /// <summary>A 2-layer model (local + global) small enough to train for a few steps in a test.</summary>
    public static Gemma3Config SmallConfig(int vocab = 64) => new()
    {
        VocabSize = vocab, HiddenSize = 32, IntermediateSize = 64, NumLayers = 2, NumHeads = 2, NumKvHeads = 1,
        HeadDim = 16, SlidingWindow = 8, QueryPreAttnScalar = 16, SlidingWindowPattern = 2, MaxPositionEmbeddings = 256,
    };

    /// <summary>
    /// Documents from a fixed random Markov chain over <paramref name="vocab"/> − 3 symbols (ids 3…): each
    /// symbol has only 3 likely successors, so a model can learn to well below log(V).
    /// </summary>
    public static void WriteMarkovShard(string path, int vocab, int documents, int seed, int minLen = 20, int maxLen = 60)
    {
        var r = new Random(seed);
        var chainRng = new Random(12345); // the chain itself is shared by train and eval shards
        int symbols = vocab - 3;
        var next = new int[symbols][];
        for (int s = 0; s < symbols; s++) next[s] = [chainRng.Next(symbols), chainRng.Next(symbols), chainRng.Next(symbols)];
        using var w = new TokenShardWriter(path, vocab, bosId: 2, eosId: 1);
        for (int d = 0; d < documents; d++)
        {
            int len = r.Next(minLen, maxLen);
            var doc = new int[len];
            int cur = r.Next(symbols);
            for (int i = 0; i < len; i++)
            {
                doc[i] = cur + 3;
                cur = next[cur][r.Next(10) < 7 ? 0 : r.Next(3)];
            }
            w.AddDocument(doc);
        }
        w.Commit();
    }

    /// <summary>An HF config.json for <paramref name="c"/> in a temp folder.</summary>
    public static string WriteConfig(Gemma3Config c)
    {
        var dir = TestPaths.NewTempDir("train-config");
        var path = Path.Combine(dir, "config.json");
        HfConfig.Write(path, c, "float32");
        return path;
    }
}
