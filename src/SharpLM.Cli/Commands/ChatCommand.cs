using SharpLM.Cli.CommandLine;
using SharpLM.Generation;
using SharpLM.Models.Gemma3;

namespace SharpLM.Cli.Commands;

/// <summary>
/// <c>sharplm chat MODEL [--system TEXT]</c>: interactive multi-turn chat with the Gemma 3 template
/// (spec §4.2). Each user line is one turn; the reply streams until <c>&lt;end_of_turn&gt;</c> or
/// <c>&lt;eos&gt;</c>. The KV cache is kept across turns, so only the new turn is processed. Empty input or
/// <c>/exit</c> (or end of input) ends the chat.
/// </summary>
public static class ChatCommand
{
    const string Usage = "usage: sharplm chat MODEL [--system TEXT] [-n MAX_REPLY_TOKENS] [--context N] [--temperature T] [--top-k K] [--top-p P] [--min-p M] [--repeat-penalty R] [--seed S] [--threads N] [--embed-scale bf16|exact]";

    public static int Run(string[] args)
    {
        if (args.Contains("--help")) { Console.WriteLine(Usage); return 0; }
        var a = CommandArgs.Parse(args, valued: [.. InferenceOptions.Valued, .. SamplingArgs.Valued, "--system", "-n", "--context"],
            aliases: InferenceOptions.Aliases);
        string path = a.Positional(0, "MODEL");
        a.NoMorePositionalThan(1);
        string? system = a.String("--system");
        int maxReply = a.Int("-n", 1024);
        var sampling = SamplingArgs.Parse(a);
        InferenceOptions.ApplyThreads(a);
        var mode = InferenceOptions.EmbedScale(a);

        using var model = Gemma3Model.Load(path);
        var tok = ModelTokenizer.For(model);
        int context = a.Int("--context", Math.Min(model.Config.MaxPositionEmbeddings, 8192));
        using var session = model.CreateSession(context, mode);
        var sampler = new Sampler(sampling, Math.Min(tok.VocabSize, model.Config.VocabSize), tok.ForbiddenIds);
        var gen = new Generator(session, sampler, [tok.EndOfTurnId, tok.EosId]);
        var turns = new List<ChatTurn>();
        if (system is not null) turns.Add(new ChatTurn("system", system));
        string fed = "";   // the rendered conversation the cache already holds

        Console.Error.WriteLine("(chat: an empty line or /exit ends it)");
        while (true)
        {
            Console.Error.Write("> ");
            string? line = Console.ReadLine();
            if (line is null || line.Trim() is "" or "/exit") break;
            turns.Add(new ChatTurn("user", line));
            string rendered = tok.RenderChat(turns, addGenerationPrompt: true);
            if (!rendered.StartsWith(fed, StringComparison.Ordinal))
                throw new InvalidOperationException("chat template re-rendered earlier turns differently");
            int[] delta = tok.Encode(rendered[fed.Length..], addBos: false);
            if (session.Position + delta.Length + 1 > session.ContextLength)
            {
                Console.Error.WriteLine($"[context of {session.ContextLength} tokens is full; start a new chat or raise --context]");
                break;
            }
            var stream = tok.NewStream();
            var reply = new System.Text.StringBuilder();
            foreach (int id in gen.Generate(delta, maxReply, Program.Cancellation))
            {
                string piece = stream.Push(id);
                reply.Append(piece);
                Console.Write(piece);
                Console.Out.Flush();
            }
            string rest = stream.Flush();
            reply.Append(rest);
            Console.WriteLine(rest);
            turns.Add(new ChatTurn("assistant", reply.ToString()));
            // The cache holds the prompt and the reply tokens, not the closing <end_of_turn>: the next delta
            // starts right after the reply text, so the template's "<end_of_turn>\n" is fed with the next turn.
            fed = rendered + reply;
            if (gen.StopReason == StopReason.ContextFull)
            {
                Console.Error.WriteLine("[context full]");
                break;
            }
        }
        return 0;
    }
}
