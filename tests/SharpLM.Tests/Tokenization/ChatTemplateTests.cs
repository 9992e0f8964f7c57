using System.Text.Json;
using SharpLM.Tokenization;

namespace SharpLM.Tests.Tokenization;

public class ChatTemplateTests
{
    const string SpecExample =
        "<bos><start_of_turn>user\nYou are terse.\n\nWho are you?<end_of_turn>\n<start_of_turn>model\nI am Gemma.<end_of_turn>\n" +
        "<start_of_turn>user\nWhat is 2+2?<end_of_turn>\n<start_of_turn>model\n";

    static readonly ChatMessage[] Example =
    [
        ChatMessage.System("You are terse."), ChatMessage.User("Who are you?"),
        ChatMessage.Assistant("I am Gemma."), ChatMessage.User("What is 2+2?"),
    ];

    [Fact]
    public void RendersTheSpecExample() => Assert.Equal(SpecExample, ChatTemplate.Render(Example, addGenerationPrompt: true));

    [Fact]
    public void StrictRefusesRolesThatDoNotAlternate()
    {
        var e = Assert.Throws<ArgumentException>(() => ChatTemplate.Render([ChatMessage.User("a"), ChatMessage.User("b")], false));
        Assert.Contains("Conversation roles must alternate", e.Message);
        Assert.Throws<ArgumentException>(() => ChatTemplate.Render([ChatMessage.Assistant("a")], false));
        Assert.Throws<ArgumentException>(() => ChatTemplate.Render([new ChatMessage("tool", "x")], false));
    }

    [Fact]
    public void LenientMergesRepeatedRolesAndKeepsEverything()
    {
        Assert.Equal(SpecExample, ChatTemplate.Render(Example, addGenerationPrompt: true, lenient: true));
        Assert.Equal("<bos><start_of_turn>user\na\n\nb<end_of_turn>\n<start_of_turn>model\n",
            ChatTemplate.Render([ChatMessage.User(" a "), ChatMessage.User("b\n")], true, lenient: true));
        Assert.Equal("<bos><start_of_turn>model\nhello<end_of_turn>\n<start_of_turn>user\nS\n\nq<end_of_turn>\n",
            ChatTemplate.Render([ChatMessage.Assistant("hello"), ChatMessage.System("S"), ChatMessage.User("q")], false, lenient: true));
        Assert.Equal("<bos><start_of_turn>user\nonly system<end_of_turn>\n",
            ChatTemplate.Render([ChatMessage.System("only system")], false, lenient: true));
        Assert.Equal("<bos><start_of_turn>user\nq\n\nlate system<end_of_turn>\n",
            ChatTemplate.Render([ChatMessage.User("q"), ChatMessage.System("late system")], false, lenient: true));
        Assert.Equal("<bos><start_of_turn>model\n", ChatTemplate.Render([], true, lenient: true));
    }

    [Fact]
    public void TrimIsPythonStrip()
    {
        Assert.Equal("x", ChatTemplate.PythonStrip("\u001C\u00A0\t x \u3000\u001F"));
        Assert.Equal("a b", ChatTemplate.PythonStrip(" a b\n"));
    }

    [Fact]
    public void RenderedPromptEncodesWithOneBos()
    {
        var ids = GemmaTokenizers.Ours.Encode(ChatTemplate.Render(Example, true));
        Assert.Equal(2, ids[0]);
        Assert.Equal(1, ids.Count(i => i == 2));
        Assert.Equal(4, ids.Count(i => i == 105));   // three turns and the generation prompt
        int[] prompt = [105, .. GemmaTokenizers.Ours.Encode("model\n")];   // <start_of_turn>model\n
        Assert.Equal(prompt, ids[^prompt.Length..]);
    }

    const string JinjaScript = """
        const { Template } = require(process.argv[2]);
        const cfg = require(process.argv[3]);
        const fs = require('fs');
        const t = new Template(cfg.chat_template);
        const cases = JSON.parse(fs.readFileSync(0, 'utf8'));
        process.stdout.write(JSON.stringify(cases.map(c => {
          try { return t.render({ messages: c.messages, bos_token: '<bos>', add_generation_prompt: c.gen }); }
          catch (e) { return 'ERROR: ' + e.message; }
        })));
        """;

    /// <summary>Every conversation rendered by Hugging Face's Jinja engine (npm @huggingface/jinja) from the template in Gemma's tokenizer_config.json.</summary>
    [Fact]
    [Trait("Category", "Oracle")]
    public void StrictModeEqualsTheJinjaTemplate()
    {
        var rng = new Random(17);
        string[] roles = ["user", "assistant", "system"];
        string[] texts = ["hi", "  padded \n", "multi\nline\n\ntext", "", "\t\u00A0odd space\u3000", "<b>tags</b> & \"quotes\"", "emoji 🤷🏽‍♀️", "\vvertical tab\f"];
        // (Not U+001C…U+001F or U+FEFF: Python's strip, which transformers uses, and JavaScript's trim, which the
        // oracle uses, disagree on those; SharpLM follows Python — see TrimIsPythonStrip.)
        var cases = new List<(ChatMessage[] Messages, bool Gen)> { (Example, true), (Example, false), ([], true), ([ChatMessage.System("s")], true) };
        for (int i = 0; i < 300; i++)
        {
            int n = rng.Next(0, 6);
            var msgs = new ChatMessage[n];
            for (int k = 0; k < n; k++)
            {
                // Mostly well-formed conversations, some broken ones.
                string role = rng.Next(5) == 0 ? roles[rng.Next(3)] : (k == 0 && rng.Next(3) == 0) ? "system" : ((k - (n > 0 && msgs[0]?.Role == "system" ? 1 : 0)) % 2 == 0 ? "user" : "assistant");
                msgs[k] = new ChatMessage(role, texts[rng.Next(texts.Length)] + (rng.Next(2) == 0 ? $" {k}" : ""));
            }
            cases.Add((msgs, rng.Next(2) == 0));
        }
        var input = JsonSerializer.Serialize(cases.Select(c => new { messages = c.Messages.Select(m => new { role = m.Role, content = m.Content }), gen = c.Gen }));
        var output = JsonSerializer.Deserialize<string[]>(NodeOracle.Run(JinjaScript, input,
            Path.Combine(NodeOracle.Package("@huggingface/jinja"), "dist", "index.cjs"),
            Path.Combine(Path.GetDirectoryName(TestPaths.GemmaTokenizerJson)!, "tokenizer_config.json")))!;
        Assert.Equal(cases.Count, output.Length);
        int errors = 0;
        for (int i = 0; i < cases.Count; i++)
        {
            if (output[i].StartsWith("ERROR: ", StringComparison.Ordinal))
            {
                errors++;
                var e = Assert.Throws<ArgumentException>(() => ChatTemplate.Render(cases[i].Messages, cases[i].Gen));
                Assert.Contains(output[i]["ERROR: ".Length..], e.Message);
            }
            else
            {
                string ours = ChatTemplate.Render(cases[i].Messages, cases[i].Gen);
                Assert.True(output[i] == ours, $"case {i} {JsonSerializer.Serialize(cases[i].Messages)}\n jinja: {JsonSerializer.Serialize(output[i])}\n ours:  {JsonSerializer.Serialize(ours)}");
            }
        }
        Assert.InRange(errors, 10, cases.Count - 100);   // both kinds were exercised
    }
}
