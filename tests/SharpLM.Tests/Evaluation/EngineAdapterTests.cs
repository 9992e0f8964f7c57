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

    [Fact]
    public void CliRunsTheEngineForGenerationAndPerplexity()
    {
        var dir = TestPaths.NewTempDir("eval-engine-cli");
        var gen = CliProcess.Run("eval", "run", "--task", "gsm8k", "--model", tiny.Dir, "--limit", "2", "--shots", "1",
            "--max-tokens", "4", "--threads", "1", "--out", Path.Combine(dir, "g.json"));
        Assert.True(gen.ExitCode == 0, gen.Stderr);
        var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "g.json"))).RootElement;
        Assert.Equal(2, summary.GetProperty("total").GetInt32());
        Assert.StartsWith("sharplm ", summary.GetProperty("model").GetString());
        Assert.Equal(2, File.ReadAllLines(Path.Combine(dir, "g.samples.jsonl")).Length);

        var text = Path.Combine(dir, "t.txt");
        File.WriteAllText(text, "Sets, relations and functions. A relation R on a set A is reflexive iff R(a, a) for every a in A.");
        var ppl = CliProcess.Run("eval", "run", "--task", "ppl", "--model", tiny.Dir, "--data", text, "--window", "16", "--stride", "8",
            "--threads", "1", "--out", Path.Combine(dir, "p.json"));
        Assert.True(ppl.ExitCode == 0, ppl.Stderr);
        var p = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "p.json"))).RootElement;
        Assert.True(p.GetProperty("perplexity").GetDouble() > 1);
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(File.ReadAllText(text)), p.GetProperty("bytes").GetInt64());
        Assert.Equal(p.GetProperty("nll").GetDouble() / (p.GetProperty("bytes").GetDouble() * Math.Log(2)), p.GetProperty("bits_per_byte").GetDouble(), 9);

        // a model without a tokenizer beside it says what to pass
        var bare = Path.Combine(TestPaths.NewTempDir("eval-bare"), "model");
        Gemma3CheckpointWriter.WriteHf(bare, Config with { VocabSize = 300 }, Gemma3CheckpointWriter.RandomRows(3), SafetensorsDType.BF16);
        var noTok = CliProcess.Run("eval", "run", "--task", "gsm8k", "--model", bare, "--limit", "1", "--out", Path.Combine(dir, "x.json"));
        Assert.Equal(2, noTok.ExitCode);
        Assert.Contains("pass --tokenizer", noTok.Stderr);
        var wrongTok = CliProcess.Run("eval", "run", "--task", "gsm8k", "--model", bare, "--tokenizer", TestPaths.GemmaTokenizerJson, "--limit", "1", "--out", Path.Combine(dir, "y.json"));
        Assert.Equal(2, wrongTok.ExitCode);
        Assert.Contains("wrong tokenizer?", wrongTok.Stderr);
    }

    [Fact]
    public void BatchSizesAndPrefixReuseGiveTheSameOutputs()
    {
        // Few-shot prompts: a shared block of examples, then each its own question (as MATH's fixed shots give).
        const string shots = "Question: What is 1 + 1?\nAnswer: 2\n\nQuestion: What is 3 * 4?\nAnswer: 12\n\n";
        string[] questions = ["What is 2 + 3?", "How many legs has a spider?", "What is 10 - 7?", "Name a prime.", "What is 6 / 2?", "Is 9 odd?", "What is 5 squared?"];
        var requests = questions.Select((q, i) => new GenerationRequest($"{shots}Question: {q}\nAnswer:", 3 + 2 * i, [])).ToList();
        var expected = ReferenceGreedy(_tokenizer.Encode(requests[4].Prompt, addBos: true), requests[4].MaxTokens);

        string[]? first = null;
        foreach (var (slots, reuse) in new[] { (1, false), (1, true), (3, true), (3, false), (8, true) })
        {
            using var gen = new SharpLMGenerator(_model, _tokenizer, slots: slots, reusePrefix: reuse);
            var texts = gen.Generate(requests, CancellationToken.None).Select(r => r.Text).ToArray();
            first ??= texts;
            Assert.Equal(first, texts);
            if (reuse) Assert.True(gen.LastSharedPrefixTokens > 20, $"shared prefix of {gen.LastSharedPrefixTokens} tokens");
            else Assert.Equal(0, gen.LastSharedPrefixTokens);
        }
        Assert.Equal(_tokenizer.Decode(expected), first![4]);
    }

    [Fact]
    public async Task SigtermStopsAnEngineRunThatThenResumesWithoutRedoingFinishedSamples()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return; // SIGTERM is a POSIX signal
        var dir = TestPaths.NewTempDir("eval-sigterm");
        var outPath = Path.Combine(dir, "g.json");
        var samples = Path.Combine(dir, "g.samples.jsonl");
        string[] args = ["eval", "run", "--task", "gsm8k", "--model", tiny.Dir, "--limit", "12", "--shots", "1",
            "--max-tokens", "16", "--threads", "1", "--batch", "2", "--out", outPath];
        using (var p = System.Diagnostics.Process.Start(CliProcess.StartInfo(args))!)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (!p.HasExited && !(File.Exists(samples) && File.ReadAllLines(samples).Length >= 1) && DateTime.UtcNow < deadline)
                await Task.Delay(20);
            if (p.HasExited) Assert.Fail("the run ended before it could be interrupted: " + await stderr);
            using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
            using var stopped = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await p.WaitForExitAsync(stopped.Token); // throws if sharplm does not stop on SIGTERM
            var err = await stderr;
            await stdout;
            Assert.True(p.ExitCode == 130, $"exit {p.ExitCode}: {err}");
            Assert.Contains("interrupted", err);
        }
        var partial = File.ReadAllLines(samples);
        Assert.InRange(partial.Length, 1, 11);
        var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(outPath)).RootElement;
        Assert.False(summary.GetProperty("complete").GetBoolean());
        var finished = partial.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("index").GetInt32()).ToHashSet();
        Assert.Equal(partial.Length, finished.Count);

        var resumed = CliProcess.Run(args);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        var all = File.ReadAllLines(samples);
        Assert.Equal(12, all.Length);
        Assert.Equal(partial, all[..partial.Length]); // finished records untouched, the rest appended
        var indices = all.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("index").GetInt32()).ToList();
        Assert.Equal(12, indices.Distinct().Count());
        var final = System.Text.Json.JsonDocument.Parse(File.ReadAllText(outPath)).RootElement;
        Assert.True(final.GetProperty("complete").GetBoolean());
        Assert.Equal(partial.Length, final.GetProperty("samples_resumed").GetInt32());
        Assert.Equal(12 - partial.Length, final.GetProperty("samples_generated").GetInt32());
    }
}
