using System.Globalization;

namespace SharpLM.Cli.CommandLine;

/// <summary>
/// The parsed arguments of one verb. A verb declares its options up front (which take a value, which are
/// flags, which may repeat or take several values), so an unknown or misspelt option is an error rather
/// than silently ignored. Accepts <c>--name value</c>, <c>--name=value</c> and, for single-letter options,
/// <c>-n value</c>. A lone <c>--</c> ends options.
/// </summary>
/// <example>
/// <code>
/// var a = CommandArgs.Parse(args, valued: ["--prompt", "-n", "--seed"], flags: ["--json"]);
/// string model = a.Positional(0, "MODEL");
/// int n = a.Int("-n", 128);
/// </code>
/// </example>
public sealed class CommandArgs
{
    readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);
    readonly HashSet<string> _flags = new(StringComparer.Ordinal);
    readonly List<string> _positional = [];

    CommandArgs() { }

    /// <summary>Arguments that are not options, in order.</summary>
    public IReadOnlyList<string> PositionalArgs => _positional;

    /// <param name="args">The arguments after the verb.</param>
    /// <param name="valued">Options that take one value each time they appear (may repeat).</param>
    /// <param name="flags">Options without a value.</param>
    /// <param name="multi">Options that take every following non-option argument as a value (e.g. <c>--input a b c</c>).</param>
    /// <param name="aliases">Alternative spellings mapped to their canonical name (e.g. <c>-t</c> → <c>--threads</c>).</param>
    public static CommandArgs Parse(IReadOnlyList<string> args, IEnumerable<string>? valued = null,
        IEnumerable<string>? flags = null, IEnumerable<string>? multi = null,
        IReadOnlyDictionary<string, string>? aliases = null)
    {
        var valuedSet = new HashSet<string>(valued ?? [], StringComparer.Ordinal);
        var flagSet = new HashSet<string>(flags ?? [], StringComparer.Ordinal);
        var multiSet = new HashSet<string>(multi ?? [], StringComparer.Ordinal);
        var r = new CommandArgs();
        bool optionsEnded = false;
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (optionsEnded || !LooksLikeOption(a))
            {
                r._positional.Add(a);
                continue;
            }
            if (a == "--") { optionsEnded = true; continue; }
            string name = a;
            string? inline = null;
            int eq = a.IndexOf('=');
            if (a.StartsWith("--", StringComparison.Ordinal) && eq > 2)
            {
                name = a[..eq];
                inline = a[(eq + 1)..];
            }
            if (aliases is not null && aliases.TryGetValue(name, out var canonical)) name = canonical;

            if (flagSet.Contains(name))
            {
                if (inline is not null) throw new UsageException($"option {name} takes no value");
                r._flags.Add(name);
            }
            else if (valuedSet.Contains(name))
            {
                string v = inline ?? (i + 1 < args.Count ? args[++i] : throw new UsageException($"option {name} needs a value"));
                r.Add(name, v);
            }
            else if (multiSet.Contains(name))
            {
                if (inline is not null) { r.Add(name, inline); continue; }
                int before = r.Count(name);
                while (i + 1 < args.Count && !LooksLikeOption(args[i + 1])) r.Add(name, args[++i]);
                if (r.Count(name) == before) throw new UsageException($"option {name} needs at least one value");
            }
            else
            {
                throw new UsageException($"unknown option {name}");
            }
        }
        return r;
    }

    // "-5" and "-0.5" are values, not options.
    static bool LooksLikeOption(string a) =>
        a.Length >= 2 && a[0] == '-' && !(char.IsDigit(a[1]) || (a[1] == '.' && a.Length > 2));

    void Add(string name, string value)
    {
        if (!_values.TryGetValue(name, out var list)) _values[name] = list = [];
        list.Add(value);
    }

    int Count(string name) => _values.TryGetValue(name, out var l) ? l.Count : 0;

    public bool Has(string name) => _values.ContainsKey(name) || _flags.Contains(name);

    public bool Flag(string name) => _flags.Contains(name);

    /// <summary>The last value given for <paramref name="name"/>, or <paramref name="fallback"/>.</summary>
    public string? String(string name, string? fallback = null) =>
        _values.TryGetValue(name, out var l) ? l[^1] : fallback;

    public string RequiredString(string name) =>
        String(name) ?? throw new UsageException($"option {name} is required");

    /// <summary>Every value given for <paramref name="name"/> (repeats and multi-values), in order.</summary>
    public IReadOnlyList<string> Strings(string name) =>
        _values.TryGetValue(name, out var l) ? l : [];

    public int Int(string name, int fallback) => String(name) is { } s ? ParseInt(name, s) : fallback;

    public int? OptionalInt(string name) => String(name) is { } s ? ParseInt(name, s) : null;

    public long Long(string name, long fallback) =>
        String(name) is { } s
            ? long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v
              : throw new UsageException($"option {name}: '{s}' is not an integer")
            : fallback;

    public double Double(string name, double fallback) => String(name) is { } s ? ParseDouble(name, s) : fallback;

    public double? OptionalDouble(string name) => String(name) is { } s ? ParseDouble(name, s) : null;

    /// <summary>The value of <paramref name="name"/>, which must be one of <paramref name="allowed"/>.</summary>
    public string Choice(string name, string fallback, params string[] allowed)
    {
        var v = String(name, fallback)!;
        if (Array.IndexOf(allowed, v) < 0)
            throw new UsageException($"option {name}: '{v}' is not one of {string.Join(", ", allowed)}");
        return v;
    }

    /// <summary>Positional argument <paramref name="index"/>, required; <paramref name="what"/> names it in the error.</summary>
    public string Positional(int index, string what) =>
        index < _positional.Count ? _positional[index] : throw new UsageException($"missing argument {what}");

    /// <summary>Throws unless there are at most <paramref name="max"/> positional arguments.</summary>
    public void NoMorePositionalThan(int max)
    {
        if (_positional.Count > max) throw new UsageException($"unexpected argument '{_positional[max]}'");
    }

    static int ParseInt(string name, string s) =>
        int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v
        : throw new UsageException($"option {name}: '{s}' is not an integer");

    static double ParseDouble(string name, string s) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v
        : throw new UsageException($"option {name}: '{s}' is not a number");
}
