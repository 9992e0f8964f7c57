using System.Text;

namespace SharpLM.Tokenization;

/// <summary>
/// Gemma 3's chat format (spec gemma3.md §4.2), rendered exactly as the Jinja template in Google's
/// <c>tokenizer_config.json</c> renders it:
/// <code>
/// &lt;bos&gt;&lt;start_of_turn&gt;user
/// {system}\n\n{first user message}&lt;end_of_turn&gt;
/// &lt;start_of_turn&gt;model
/// {reply}&lt;end_of_turn&gt;
/// &lt;start_of_turn&gt;model          ← with addGenerationPrompt
/// </code>
/// There is no system role token: a leading system message is put in front of the first user turn. Message
/// text is trimmed (Python's <c>str.strip</c>); the system text is not. Encode the result with
/// <c>addBos: false</c>, since the text already starts with <c>&lt;bos&gt;</c>.
/// </summary>
/// <remarks>
/// <para><b>Strict</b> (the default, what Hugging Face does): after the optional leading system message, roles
/// must alternate user, assistant, user, …, starting with user; otherwise <see cref="ArgumentException"/> with
/// the template's own message. A system message alone renders no turn (its text is dropped, as the template
/// does).</para>
/// <para><b>Lenient</b> (for interactive chat, where history is whatever the user typed): nothing throws and
/// nothing is dropped. Consecutive messages with the same role become one turn, their texts joined by a blank
/// line; a system message anywhere is put in front of the next user turn (or becomes a user turn of its own when
/// no user message follows); a conversation may start with an assistant turn. A conversation that is already
/// well-formed renders exactly as in strict mode.</para>
/// </remarks>
public static class ChatTemplate
{
    public const string Bos = "<bos>";
    public const string StartOfTurn = "<start_of_turn>";
    public const string EndOfTurn = "<end_of_turn>";

    /// <summary>The Jinja source of Gemma 3's chat template (written into GGUF files as <c>tokenizer.chat_template</c>).</summary>
    public const string GemmaJinja = """
        {{ bos_token }}
        {%- if messages[0]['role'] == 'system' -%}
            {%- if messages[0]['content'] is string -%}
                {%- set first_user_prefix = messages[0]['content'] + '

        ' -%}
            {%- else -%}
                {%- set first_user_prefix = messages[0]['content'][0]['text'] + '

        ' -%}
            {%- endif -%}
            {%- set loop_messages = messages[1:] -%}
        {%- else -%}
            {%- set first_user_prefix = "" -%}
            {%- set loop_messages = messages -%}
        {%- endif -%}
        {%- for message in loop_messages -%}
            {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}
                {{ raise_exception("Conversation roles must alternate user/assistant/user/assistant/...") }}
            {%- endif -%}
            {%- if (message['role'] == 'assistant') -%}
                {%- set role = "model" -%}
            {%- else -%}
                {%- set role = message['role'] -%}
            {%- endif -%}
            {{ '<start_of_turn>' + role + '
        ' + (first_user_prefix if loop.first else "") }}
            {%- if message['content'] is string -%}
                {{ message['content'] | trim }}
            {%- elif message['content'] is iterable -%}
                {%- for item in message['content'] -%}
                    {%- if item['type'] == 'image' -%}
                        {{ '<start_of_image>' }}
                    {%- elif item['type'] == 'text' -%}
                        {{ item['text'] | trim }}
                    {%- endif -%}
                {%- endfor -%}
            {%- else -%}
                {{ raise_exception("Invalid content type") }}
            {%- endif -%}
            {{ '<end_of_turn>
        ' }}
        {%- endfor -%}
        {%- if add_generation_prompt -%}
            {{'<start_of_turn>model
        '}}
        {%- endif -%}
        """ + "\n";

    /// <summary>Renders <paramref name="messages"/> as Gemma 3 prompt text.</summary>
    /// <param name="addGenerationPrompt">End with <c>&lt;start_of_turn&gt;model\n</c> so the model writes the next reply.</param>
    /// <param name="lenient">Merge repeated roles and misplaced system messages instead of throwing (see remarks).</param>
    /// <exception cref="ArgumentException">Strict mode and the roles do not alternate, or a role is unknown.</exception>
    public static string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, bool lenient = false)
    {
        foreach (var m in messages)
            if (RoleOf(m) is null)
                throw new ArgumentException($"unknown chat role '{m.Role}' (expected system, user or assistant)", nameof(messages));
        var turns = lenient ? LenientTurns(messages) : StrictTurns(messages);
        var sb = new StringBuilder(Bos);
        foreach (var (role, prefix, text) in turns)
            sb.Append(StartOfTurn).Append(role).Append('\n').Append(prefix).Append(text).Append(EndOfTurn).Append('\n');
        if (addGenerationPrompt) sb.Append(StartOfTurn).Append("model\n");
        return sb.ToString();
    }

    /// <summary>The template's own logic: (role written, system prefix, trimmed text) per turn.</summary>
    static List<(string Role, string Prefix, string Text)> StrictTurns(IReadOnlyList<ChatMessage> messages)
    {
        var turns = new List<(string, string, string)>();
        string prefix = "";
        int start = 0;
        if (messages.Count > 0 && RoleOf(messages[0]) == "system")
        {
            prefix = messages[0].Content + "\n\n";
            start = 1;
        }
        for (int i = start; i < messages.Count; i++)
        {
            int index0 = i - start;
            string role = RoleOf(messages[i])!;
            if ((role == "user") != (index0 % 2 == 0))
                throw new ArgumentException("Conversation roles must alternate user/assistant/user/assistant/...", nameof(messages));
            turns.Add((role, index0 == 0 ? prefix : "", PythonStrip(messages[i].Content)));
        }
        return turns;
    }

    static List<(string Role, string Prefix, string Text)> LenientTurns(IReadOnlyList<ChatMessage> messages)
    {
        var turns = new List<(string Role, string Prefix, string Text)>();
        var pendingSystem = new List<string>();
        for (int i = 0; i < messages.Count; i++)
        {
            string role = RoleOf(messages[i])!;
            if (role == "system") { pendingSystem.Add(messages[i].Content); continue; }
            string text = PythonStrip(messages[i].Content);
            if (role == "user" && pendingSystem.Count > 0)
            {
                string prefix = string.Join("\n\n", pendingSystem) + "\n\n";
                pendingSystem.Clear();
                if (turns.Count > 0 && turns[^1].Role == "user")
                    turns[^1] = (turns[^1].Role, turns[^1].Prefix, turns[^1].Text + "\n\n" + prefix + text);
                else turns.Add(("user", prefix, text));
                continue;
            }
            if (turns.Count > 0 && turns[^1].Role == role)
                turns[^1] = (role, turns[^1].Prefix, turns[^1].Text + "\n\n" + text);
            else turns.Add((role, "", text));
        }
        if (pendingSystem.Count > 0)
        {
            string text = PythonStrip(string.Join("\n\n", pendingSystem));
            if (turns.Count > 0 && turns[^1].Role == "user")
                turns[^1] = ("user", turns[^1].Prefix, turns[^1].Text + "\n\n" + text);
            else turns.Add(("user", "", text));
        }
        return turns;
    }

    /// <summary>The role as the template writes it (assistant → model), or null when unknown.</summary>
    static string? RoleOf(ChatMessage m) => m.Role switch
    {
        "system" => "system",
        "user" => "user",
        "assistant" or "model" => "model",
        _ => null,
    };

    /// <summary>Jinja's <c>trim</c> filter is Python's <c>str.strip()</c>: Unicode whitespace plus U+001C…U+001F.</summary>
    internal static string PythonStrip(string s)
    {
        static bool Space(char c) => char.IsWhiteSpace(c) || c is >= '\u001C' and <= '\u001F';
        int a = 0, b = s.Length;
        while (a < b && Space(s[a])) a++;
        while (b > a && Space(s[b - 1])) b--;
        return s[a..b];
    }
}
