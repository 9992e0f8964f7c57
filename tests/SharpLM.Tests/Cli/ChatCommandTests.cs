using System.Diagnostics;
using SharpLM.Generation;
using SharpLM.Models.Gemma3;
using SharpLM.Tensors;
using SharpLM.Tokenization;
using SharpLM.Tests.Models.Gemma3;

namespace SharpLM.Tests.Cli;

/// <summary>
/// <c>sharplm chat</c> as a user drives it (lines on stdin, replies on stdout), checked against the plain
/// recipe: render the whole conversation with the chat template (tested against HF's Jinja template in the
/// tokenizer tests), run it from an empty cache, decode greedily. The chat keeps its KV cache across turns and
/// feeds only each new turn, so agreement shows the cache reuse changes nothing.
/// </summary>
public class ChatCommandTests
{
    const int ReplyTokens = 10;

    static readonly Lazy<(string Path, Gemma3Tokenizer Tokenizer)> s_model = RealVocabularyTinyModel.Gguf;

    [Fact]
    public void Two_turns_with_a_system_prompt_equal_greedy_decoding_of_the_rendered_conversation()
    {
        var (path, tok) = s_model.Value;
        string system = "Answer briefly.";
        string[] users = ["What is 2+3?", "And times 4?"];

        var (code, stdout, stderr) = RunChat(path, ["--system", system, "--temperature", "0", "-n", ReplyTokens.ToString(), "-t", "1"],
            string.Join('\n', users) + "\n\n");
        Assert.True(code == 0, stderr);

        using var model = Gemma3Model.Load(path);
        var turns = new List<ChatMessage> { ChatMessage.System(system) };
        var expected = new System.Text.StringBuilder();
        foreach (string user in users)
        {
            turns.Add(ChatMessage.User(user));
            string reply = GreedyFromScratch(model, tok, ChatTemplate.Render(turns, addGenerationPrompt: true, lenient: true));
            expected.Append(reply).Append('\n');
            turns.Add(ChatMessage.Assistant(reply));
        }
        Assert.True(expected.ToString().Trim().Length > 4, "the random model should produce visible text for the comparison to mean something");
        Assert.Equal(expected.ToString(), stdout.Replace("\r\n", "\n"));
        Assert.Contains("> ", stderr);   // the prompt goes to stderr, so stdout holds only the replies
    }

    [Fact]
    public void End_of_input_and_slash_exit_end_the_chat_cleanly()
    {
        var (path, _) = s_model.Value;
        Assert.Equal(0, RunChat(path, ["--temperature", "0", "-n", "2", "-t", "1"], "").Code);
        var (code, stdout, _) = RunChat(path, ["--temperature", "0", "-n", "2", "-t", "1"], "/exit\nnever answered\n");
        Assert.Equal(0, code);
        Assert.Equal("", stdout);
    }

    [Fact]
    public void A_missing_model_exits_with_code_2()
    {
        var (code, _, stderr) = RunChat(Path.Combine(TestPaths.NewTempDir("chat-missing"), "none.gguf"), [], "hi\n");
        Assert.Equal(2, code);
        Assert.Contains("none.gguf", stderr);
    }

    static string GreedyFromScratch(Gemma3Model model, Gemma3Tokenizer tok, string prompt)
    {
        int[] ids = tok.Encode(prompt, addBos: false);
        using var session = model.CreateSession(ids.Length + ReplyTokens + 1);
        var forbidden = SharpLM.Cli.Commands.ModelTokenizer.For(model).ForbiddenIds;   // image placeholders are never sampled
        var sampler = new Sampler(new SamplerOptions { Temperature = 0 }, Math.Min(tok.VocabSize, model.Config.VocabSize), forbidden);
        var gen = new Generator(session, sampler, [tok.EndOfTurnId, tok.EosId]);
        var stream = tok.NewStreamingDetokenizer(skipSpecialTokens: true);
        var text = new System.Text.StringBuilder();
        foreach (int id in gen.Generate(ids, ReplyTokens)) text.Append(stream.Push(id));
        return text.Append(stream.Flush()).ToString();
    }

    static (int Code, string Stdout, string Stderr) RunChat(string model, string[] options, string stdin)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            StandardOutputEncoding = System.Text.Encoding.UTF8,
        };
        psi.ArgumentList.Add(SharplmProcess.Dll);
        psi.ArgumentList.Add("chat");
        psi.ArgumentList.Add(model);
        foreach (var o in options) psi.ArgumentList.Add(o);
        using var p = Process.Start(psi.ConfineTemp())!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("sharplm chat");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
