namespace SharpLM.Data.Warc;

/// <summary>
/// Named header fields (WARC record headers or HTTP headers) in file order. Lookup is case-insensitive and
/// returns the first field of that name; repeated fields stay available through <see cref="All"/>.
/// </summary>
public sealed class WarcHeaders
{
    readonly List<KeyValuePair<string, string>> _fields;

    public WarcHeaders(List<KeyValuePair<string, string>> fields) => _fields = fields;

    public static WarcHeaders Empty { get; } = new([]);

    public IReadOnlyList<KeyValuePair<string, string>> All => _fields;

    public string? this[string name]
    {
        get
        {
            foreach (var f in _fields)
                if (string.Equals(f.Key, name, StringComparison.OrdinalIgnoreCase)) return f.Value;
            return null;
        }
    }

    public bool Contains(string name) => this[name] is not null;
}
