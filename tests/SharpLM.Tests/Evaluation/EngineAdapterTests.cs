using SharpLM.Evaluation.Backends;
using SharpLM.Evaluation.Perplexity;
using SharpLM.Formats.Safetensors;
using SharpLM.Models.Gemma3;
using SharpLM.Tokenization;

namespace SharpLM.Tests.Evaluation;

/// <summary>
/// The harness on SharpLM's engine: a small random Gemma 3 with the real 262k vocabulary (so the real tokenizer
/// applies) written as an HF folder with tokenizer.json beside it. The expected values come from the engine's
/// whole-sequence forward (<see cref="Gemma3Model.ComputeLogits"/>, itself checked against llama.cpp), not from the
/// adapters under test.
/// </summary>
public sealed class EngineAdapterTests(EngineAdapterTests.TinyGemma tiny) : IClassFixture<EngineAdapterTests.TinyGemma>
{
    static readonly Gemma3Config Config = new()
    {
        VocabSize = 262_144, HiddenSize = 32, IntermediateSize = 64, NumLayers = 2, NumHeads = 2, NumKvHeads = 1,
        HeadDim = 16, SlidingWindow = 8, QueryPreAttnScalar = 16, MaxPositionEmbeddings = 512,
    };

    /// <summary>The model folder, written and loaded once for the class.</summary>
    public sealed class TinyGemma : IDisposable
    {
        public Gemma3Model Model { get; }
        public Gemma3Tokenizer Tokenizer { get; }
        public string Dir { get; }

        public TinyGemma()
        {
            Dir = Path.Combine(TestPaths.NewTempDir("eval-engine"), "model");
            Gemma3CheckpointWriter.WriteHf(Dir, Config, Gemma3CheckpointWriter.RandomRows(11, std: 0.5f, normStd: 0.2f), SafetensorsDType.BF16);
            File.Copy(TestPaths.GemmaTokenizerJson, Path.Combine(Dir, "tokenizer.json"));
            (Model, Tokenizer) = EngineModel.Open(Dir, null);
        }

        public void Dispose() => Model.Dispose();
    }

    readonly Gemma3Model _model = tiny.Model;
    readonly Gemma3Tokenizer _tokenizer = tiny.Tokenizer;

    /// <summary>Greedy continuation by re-running the whole sequence in a fresh session each step (no reused cache, no adapter).</summary>
    int[] ReferenceGreedy(int[] prompt, int n)
    {
        var seq = prompt.ToList();
        int V = Config.VocabSize, allowed = Math.Min(V, _tokenizer.VocabSize);
        var last = new float[V];
        for (int k = 0; k < n; k++)
        {
            using (var fresh = _model.CreateSession(seq.Count)) fresh.Forward(seq.ToArray(), last); // whole prefix, last position only
            int best = 0;
            for (int i = 1; i < allowed; i++) if (last[i] > last[best]) best = i;
            if (_tokenizer.StopIds.Contains(best)) break;
            seq.Add(best);
        }
        return seq.Skip(prompt.Length).ToArray();
    }

    [Fact]
    public void GreedyGenerationMatchesTheWholeSequenceForward()
    {
        const string prompt = "Question: What is 2 + 3?\nAnswer:";
        using var gen = new SharpLMGenerator(_model, _tokenizer);
        var r = gen.Generate([new GenerationRequest(prompt, 10, [])], CancellationToken.None)[0];
        var expected = ReferenceGreedy(_tokenizer.Encode(prompt, addBos: true), 10);
        Assert.Equal(_tokenizer.Decode(expected), r.Text);
        Assert.Equal(_tokenizer.Encode(prompt, addBos: true).Length, r.PromptTokens);
        Assert.Equal("length", r.FinishReason);

        // a stop sequence taken from the middle of that output cuts it there
        var text = r.Text;
        Assert.True(text.Length >= 6, "random model produced too little text to test stops");
        var stop = text.Substring(text.Length / 2, 2);
        var cut = gen.Generate([new GenerationRequest(prompt, 10, [stop])], CancellationToken.None)[0];
        Assert.Equal(text[..text.IndexOf(stop, StringComparison.Ordinal)], cut.Text);
        Assert.Equal("stop", cut.FinishReason);

        // deterministic, and several prompts in one call come back in order
        var two = gen.Generate([new GenerationRequest("Hello", 4, []), new GenerationRequest(prompt, 10, [])], CancellationToken.None);
        Assert.Equal(r.Text, two[1].Text);
    }

    [Fact]
    public void LogProbsMatchTheWholeSequenceForward()
    {
        using var source = new SharpLMLogProbSource(_model, _tokenizer);
        var tokens = new[] { _tokenizer.BosId }.Concat(source.Tokenize("The Open Logic Project: sets, relations, functions, first-order logic, model theory, computability, incompleteness; $\\forall x\\,(Px \\to Qx)$ and 42 other exercises.")).ToArray();
        Assert.True(tokens.Length > 40); // spans more than one 32-token chunk of the adapter
        var lp = new double[tokens.Length - 1];
        source.LogProbs(tokens, lp, CancellationToken.None);
        var logits = _model.ComputeLogits(tokens);
        int V = Config.VocabSize;
        for (int i = 0; i < tokens.Length - 1; i++)
        {
            var row = logits.AsSpan(i * V, V);
            double max = double.NegativeInfinity;
            foreach (var v in row) max = Math.Max(max, v);
            double sum = 0;
            foreach (var v in row) sum += Math.Exp(v - max);
            double expected = row[tokens[i + 1]] - max - Math.Log(sum);
            Assert.Equal(expected, lp[i], 4);
        }
    }

    [Fact]
    public void PerplexityWindowsOnTheEngine()
    {
        using var source = new SharpLMLogProbSource(_model, _tokenizer);
        var doc = new PerplexityDocument(0, "To be, or not to be, that is the question: whether 'tis nobler in the mind to suffer.");
        var whole = PerplexityEvaluator.Evaluate(source, [doc], 256, 256, null, "a");    // one window: every token with full context
        var rolling = PerplexityEvaluator.Evaluate(source, [doc], 8, 8, null, "b");      // many short windows
        Assert.Equal(whole.Tokens, rolling.Tokens);
        Assert.Equal(1, whole.Windows);
        Assert.True(rolling.Windows > 3);
        Assert.True(double.IsFinite(whole.Perplexity) && whole.Perplexity > 1);
        Assert.NotEqual(whole.NegativeLogLikelihood, rolling.NegativeLogLikelihood);     // less context, different numbers
        Assert.Equal(whole.NegativeLogLikelihood / (whole.Bytes * Math.Log(2)), whole.BitsPerByte, 12);
    }
}
