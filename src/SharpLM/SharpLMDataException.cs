namespace SharpLM;

/// <summary>
/// Bad input: a file, record or argument that SharpLM refuses. The one exception family every reader,
/// loader and parser throws for input it cannot accept; the CLI turns it into
/// <c>sharplm: &lt;path&gt;: &lt;reason&gt;</c> on stderr and exit code 2.
/// </summary>
/// <remarks>
/// <see cref="Path"/> names what was bad (a file path, or a pseudo-name such as <c>--tokens</c>);
/// <see cref="Offset"/>, when known, is the byte offset (or line number, see <see cref="OffsetIsLine"/>)
/// where the problem was found.
/// </remarks>
public class SharpLMDataException : Exception
{
    public string Path { get; }
    public string Reason { get; }
    public long? Offset { get; }
    public bool OffsetIsLine { get; }

    public SharpLMDataException(string path, string reason, long? offset = null, bool offsetIsLine = false, Exception? inner = null)
        : base(Format(path, reason, offset, offsetIsLine), inner)
    {
        Path = path;
        Reason = reason;
        Offset = offset;
        OffsetIsLine = offsetIsLine;
    }

    static string Format(string path, string reason, long? offset, bool offsetIsLine) =>
        offset is null ? $"{path}: {reason}"
        : offsetIsLine ? $"{path}:{offset}: {reason}"
        : $"{path}: {reason} (at byte {offset})";
}
