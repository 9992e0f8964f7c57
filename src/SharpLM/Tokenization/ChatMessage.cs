namespace SharpLM.Tokenization;

/// <summary>One message of a conversation: <c>system</c>, <c>user</c> or <c>assistant</c> (also spelt <c>model</c>).</summary>
public sealed record ChatMessage(string Role, string Content)
{
    public static ChatMessage System(string content) => new("system", content);
    public static ChatMessage User(string content) => new("user", content);
    public static ChatMessage Assistant(string content) => new("assistant", content);
}
