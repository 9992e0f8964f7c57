using SharpLM.Cli.CommandLine;
using SharpLM.Generation;
using SharpLM.Models.Gemma3;
using SharpLM.Tokenization;

namespace SharpLM.Cli.Commands;

/// <summary>
/// <c>sharplm chat MODEL [--system TEXT]</c>: interactive multi-turn chat with the Gemma 3 template
/// (spec §4.2). Each user line is one turn; the reply streams until <c>&lt;end_of_turn&gt;</c> or
/// <c>&lt;eos&gt;</c>. The KV cache is kept across turns, so only the new turn is processed. Empty input or
/// <c>/exit</c> (or end of input) ends the chat.
/// </summary>
public static class ChatCommand
{
    const string Usage = "usage: sharplm chat MODEL [--system TEXT] [-n MAX_REPLY_TOKENS] [--context N] [--temperature T] [--top-k K] [--top-p P] [--min-p M] [--repeat-penalty R] [--seed S] [--threads N] [--embed-scale bf16|exact] [--tokenizer tokenizer.json]";

    public static int Run(string[] args)
    {
        if (args.Contains("--help")) { Console.WriteLine(Usage); return 0; }
        var a = CommandArgs.Parse(args, valued: [.. InferenceOptions.Valued, .. SamplingArgs.Valued, "--system", "-n", "--context", "--tokenizer"],
            aliases: InferenceOptions.Aliases);
        string path = a.Positional(0, "MODEL");
        a.NoMorePositionalThan(1);
        string? system = a.String("--system");
        int maxReply = a.Int("-n", 1024);
        var sampling = SamplingArgs.Parse(a);
        InferenceOptions.ApplyThreads(a);
        var mode = InferenceOptions.EmbedScale(a);

        using var model = Gemma3Model.Load(path);
        var tok = ModelTokenizer.For(model, a.String("--tokenizer"));
        int context = a.Int("--context", Math.Min(model.Config.MaxPositionEmbeddings, 8192));
        using var session = model.CreateSession(context, mode);
        var sampler = new Sampler(sampling, Math.Min(tok.VocabSize, model.Config.VocabSize), tok.ForbiddenIds);
        var gen = new Generator(session, sampler, [tok.EndOfTurnId, tok.EosId]);
        var turns = new List<ChatMessage>();
        if (system is not null) turns.Add(ChatMessage.System(system));
        var cached = new List<int>();   // the ids the KV cache holds, in order

        Console.Error.WriteLine("(chat: an empty line or /exit ends it)");
        while (true)
        {
            Console.Error.Write("> ");
            string? line = Console.ReadLine();
            if (line is null || line.Trim() is "" or "/exit") break;
            turns.Add(ChatMessage.User(line));
            int[] full = tok.Encode(model, ModelTokenizer.RenderChat(turns, addGenerationPrompt: true), addBos: false);
            // Only the new turn is processed when the cache holds a prefix of the rendered conversation; if the
            // reply re-tokenizes differently (the template trims it), the conversation is run again from scratch.
            bool isPrefix = cached.Count <= full.Length && full.AsSpan(0, cached.Count).SequenceEqual(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(cached));
            if (!isPrefix)
            {
                session.Reset();
                cached.Clear();
            }
            int[] delta = full[cached.Count..];
            if (delta.Length == 0 || full.Length + 1 > session.ContextLength)
            {
                Console.Error.WriteLine($"[the conversation ({full.Length} tokens) fills the {session.ContextLength}-token context; start a new chat or raise --context]");
                break;
            }
            var stream = tok.NewStream();
            var reply = new System.Text.StringBuilder();
            cached.AddRange(delta);
            foreach (int id in gen.Generate(delta, maxReply, Program.Cancellation))
            {
                cached.Add(id);
                string piece = stream.Push(id);
                reply.Append(piece);
                Console.Write(piece);
                Console.Out.Flush();
            }
            if (gen.StopReason == StopReason.ContextFull && cached.Count > session.Position) cached.RemoveAt(cached.Count - 1); // sampled, never fed
            string rest = stream.Flush();
            reply.Append(rest);
            Console.WriteLine(rest);
            turns.Add(ChatMessage.Assistant(reply.ToString()));
            if (gen.StopReason == StopReason.ContextFull)
            {
                Console.Error.WriteLine("[context full]");
                break;
            }
        }
        return 0;
    }
}
