namespace SharpLM.Data.Pipeline;

/// <summary>One input file: where it is and the name it is known by in the output (<c>warc_filename</c>).</summary>
public sealed record InputFile(string Path, string Name, long Bytes);

/// <summary>
/// Expands the configured inputs (files, folders searched recursively, <c>*</c>/<c>?</c> globs in the last
/// path segment) into one sorted list, and shards it by rank as datatrove does: rank r of W reads
/// files[r], files[r+W], … of the list sorted by name. The same inputs and W always give the same shards,
/// which is what makes a rerun resume instead of redo.
/// </summary>
public static class InputFiles
{
    static readonly string[] s_extensions = [".warc", ".warc.gz", ".arc", ".arc.gz", ".jsonl", ".warc.gz.bad"];

    public static bool IsSupported(string path) => s_extensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase));
    public static bool IsJsonl(string path) => path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase);

    public static List<InputFile> Expand(IEnumerable<string> inputs)
    {
        var files = new Dictionary<string, InputFile>(StringComparer.Ordinal);
        foreach (var input in inputs)
        {
            if (Directory.Exists(input))
            {
                var root = Path.GetFullPath(input);
                foreach (var f in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Where(IsSupported))
                    Add(f, Path.GetRelativePath(root, f));
            }
            else if (Path.GetFileName(input).IndexOfAny(['*', '?']) >= 0)
            {
                var dir = Path.GetDirectoryName(input) ?? ".";
                if (!Directory.Exists(dir)) throw new SharpLMDataException(input, "folder of the pattern not found");
                foreach (var f in Directory.EnumerateFiles(dir, Path.GetFileName(input)))
                    Add(f, Path.GetFileName(f));
            }
            else if (File.Exists(input))
            {
                if (!IsSupported(input)) throw new SharpLMDataException(input, "not an input the pipeline reads (.warc, .warc.gz, .arc, .arc.gz, .jsonl)");
                Add(input, Path.GetFileName(input));
            }
            else throw new SharpLMDataException(input, "input not found");
        }
        if (files.Count == 0) throw new SharpLMDataException(string.Join(", ", inputs), "no input files found (.warc, .warc.gz, .arc, .arc.gz, .jsonl)");
        return files.Values.OrderBy(f => f.Name, StringComparer.Ordinal).ThenBy(f => f.Path, StringComparer.Ordinal).ToList();

        void Add(string path, string name)
        {
            var full = Path.GetFullPath(path);
            files.TryAdd(full, new InputFile(full, name.Replace('\\', '/'), new FileInfo(full).Length));
        }
    }

    /// <summary>files[rank::world].</summary>
    public static List<InputFile> Shard(IReadOnlyList<InputFile> files, int rank, int world)
    {
        var shard = new List<InputFile>();
        for (int i = rank; i < files.Count; i += world) shard.Add(files[i]);
        return shard;
    }
}
