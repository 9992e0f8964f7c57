using System.Globalization;
using System.Text.Json;
using SharpLM.Cli.CommandLine;
using SharpLM.Generation;
using SharpLM.Models.Gemma3;

namespace SharpLM.Cli.Commands;

/// <summary>
/// <c>sharplm run MODEL --prompt TEXT [-n N] [--temperature T] [--top-k K] [--top-p P] [--min-p M]
/// [--repeat-penalty R] [--seed S] [--threads N] [--embed-scale bf16|exact] [--json]</c>: streams the
/// continuation of the prompt (BOS added) to stdout, stopping on <c>&lt;eos&gt;</c>. With <c>--json</c>, prints
/// one JSON object at the end instead.
/// </summary>
public static class RunCommand
{
    const string Usage = "usage: sharplm run MODEL --prompt TEXT [-n N] [--temperature T] [--top-k K] [--top-p P] [--min-p M] [--repeat-penalty R] [--seed S] [--threads N] [--embed-scale bf16|exact] [--context N] [--tokenizer tokenizer.json] [--json]";

    public static int Run(string[] args)
    {
        if (args.Contains("--help")) { Console.WriteLine(Usage); return 0; }
        var a = CommandArgs.Parse(args, valued: [.. InferenceOptions.Valued, .. SamplingArgs.Valued, "--prompt", "-n", "--context", "--tokenizer"],
            flags: ["--json"], aliases: InferenceOptions.Aliases);
        string path = a.Positional(0, "MODEL");
        a.NoMorePositionalThan(1);
        string prompt = a.RequiredString("--prompt");
        int n = a.Int("-n", 256);
        if (n < 0) throw new UsageException("-n must be ≥ 0");
        var sampling = SamplingArgs.Parse(a);
        InferenceOptions.ApplyThreads(a);
        var mode = InferenceOptions.EmbedScale(a);
        bool json = a.Flag("--json");

        using var model = Gemma3Model.Load(path);
        var tok = ModelTokenizer.For(model, a.String("--tokenizer"));
        int[] ids = tok.Encode(model, prompt, addBos: true);
        int context = a.Int("--context", Math.Min(model.Config.MaxPositionEmbeddings, ids.Length + Math.Max(n, 1)));
        if (context < ids.Length + 1) throw new UsageException($"--context {context} is too small for the {ids.Length}-token prompt");
        using var session = model.CreateSession(context, mode);
        var sampler = new Sampler(sampling, Math.Min(tok.VocabSize, model.Config.VocabSize), tok.ForbiddenIds);
        var gen = new Generator(session, sampler, [tok.EosId]);
        var stream = tok.NewStream();
        var text = new System.Text.StringBuilder();
        var produced = new List<int>();
        var stdout = Console.Out;
        foreach (int id in gen.Generate(ids, n, Program.Cancellation))
        {
            produced.Add(id);
            string piece = stream.Push(id);
            text.Append(piece);
            if (!json && piece.Length > 0) { stdout.Write(piece); stdout.Flush(); }
        }
        string rest = stream.Flush();
        text.Append(rest);
        if (json)
        {
            using var j = new Utf8JsonWriter(Console.OpenStandardOutput(), new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            j.WriteStartObject();
            j.WriteStartArray("tokens");
            foreach (var id in produced) j.WriteNumberValue(id);
            j.WriteEndArray();
            j.WriteString("text", text.ToString());
            j.WriteNumber("prompt_tokens", ids.Length);
            j.WriteNumber("prefill_tokens_per_s", Math.Round(gen.PrefillTokensPerSecond, 3));
            j.WriteNumber("decode_tokens_per_s", Math.Round(gen.DecodeTokensPerSecond, 3));
            j.WriteString("stop_reason", gen.StopReason switch
            {
                StopReason.StopToken => "eos",
                StopReason.ContextFull => "context",
                _ => "length",
            });
            j.WriteEndObject();
            j.Flush();
            Console.WriteLine();
        }
        else
        {
            stdout.WriteLine(rest);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[{ids.Length} prompt tokens, {gen.PrefillTokensPerSecond:F1} t/s prefill; {produced.Count} generated, {gen.DecodeTokensPerSecond:F1} t/s decode]"));
        }
        return 0;
    }
}
