using System.Text.Json;

namespace SharpLM.Formats.Safetensors;

/// <summary>
/// The safetensors weights of a Hugging Face model directory: a single <c>model.safetensors</c>, or shards
/// listed by <c>model.safetensors.index.json</c> (its <c>weight_map</c> names the file of each tensor), or, with
/// neither, every <c>*.safetensors</c> file in the folder. Tensor names must be unique across shards, and
/// every tensor the index names must be in the shard it names.
/// </summary>
public sealed unsafe class SafetensorsCheckpoint : IDisposable
{
    public const string IndexFileName = "model.safetensors.index.json";
    public const string SingleFileName = "model.safetensors";

    readonly List<SafetensorsFile> _files;
    readonly Dictionary<string, (SafetensorsFile File, SafetensorsTensor Tensor)> _byName;

    public IReadOnlyList<SafetensorsFile> Files => _files;
    public IEnumerable<(SafetensorsFile File, SafetensorsTensor Tensor)> Tensors => _byName.Values;

    SafetensorsCheckpoint(List<SafetensorsFile> files, Dictionary<string, (SafetensorsFile, SafetensorsTensor)> byName)
    {
        _files = files;
        _byName = byName;
    }

    /// <summary>True when <paramref name="dir"/> holds safetensors weights.</summary>
    public static bool Exists(string dir) =>
        File.Exists(Path.Combine(dir, IndexFileName)) || Directory.EnumerateFiles(dir, "*.safetensors").Any();

    /// <summary>Opens a model folder or a single <c>.safetensors</c> file.</summary>
    public static SafetensorsCheckpoint Open(string path)
    {
        var files = new List<SafetensorsFile>();
        try
        {
            if (File.Exists(path))
            {
                files.Add(SafetensorsFile.Open(path));
                return Build(files, null, path);
            }
            if (!Directory.Exists(path)) throw new SharpLMDataException(path, "no such file or directory");
            string index = Path.Combine(path, IndexFileName);
            if (File.Exists(index))
            {
                var map = ReadIndex(index);
                foreach (var shard in map.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
                {
                    if (shard.Contains('/') || shard.Contains('\\') || shard is "." or "..")
                        throw new SharpLMDataException(index, $"weight_map names '{shard}', which is not a file in the model folder");
                    string shardPath = Path.Combine(path, shard);
                    if (!File.Exists(shardPath)) throw new SharpLMDataException(index, $"shard '{shard}' is missing from {path}");
                    files.Add(SafetensorsFile.Open(shardPath));
                }
                return Build(files, map, index);
            }
            var all = Directory.EnumerateFiles(path, "*.safetensors").Order(StringComparer.Ordinal).ToList();
            if (all.Count == 0) throw new SharpLMDataException(path, "no *.safetensors files (and no " + IndexFileName + ")");
            foreach (var f in all) files.Add(SafetensorsFile.Open(f));
            return Build(files, null, path);
        }
        catch
        {
            foreach (var f in files) f.Dispose();
            throw;
        }
    }

    static Dictionary<string, string> ReadIndex(string index)
    {
        var info = new FileInfo(index);
        if (info.Length > 64 << 20) throw new SharpLMDataException(index, $"index file of {info.Length} bytes is absurd");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(index));
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("weight_map", out var wm) || wm.ValueKind != JsonValueKind.Object)
                throw new SharpLMDataException(index, "no weight_map object");
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in wm.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String) throw new SharpLMDataException(index, $"weight_map entry '{p.Name}' is not a file name");
                map[p.Name] = p.Value.GetString()!;
            }
            return map;
        }
        catch (JsonException e)
        {
            throw new SharpLMDataException(index, "not valid JSON: " + e.Message);
        }
    }

    static SafetensorsCheckpoint Build(List<SafetensorsFile> files, Dictionary<string, string>? map, string where)
    {
        var byName = new Dictionary<string, (SafetensorsFile, SafetensorsTensor)>(StringComparer.Ordinal);
        foreach (var f in files)
            foreach (var t in f.Tensors)
                if (!byName.TryAdd(t.Name, (f, t)))
                    throw new SharpLMDataException(f.Path, $"tensor '{t.Name}' also appears in {byName[t.Name].Item1.Path}");
        if (map is not null)
            foreach (var (name, shard) in map)
            {
                if (!byName.TryGetValue(name, out var e)) throw new SharpLMDataException(where, $"tensor '{name}' is listed in the index but missing from '{shard}'");
                if (Path.GetFileName(e.Item1.Path) != shard) throw new SharpLMDataException(where, $"tensor '{name}' is listed in '{shard}' but found in '{Path.GetFileName(e.Item1.Path)}'");
            }
        return new SafetensorsCheckpoint(files, byName);
    }

    public bool TryGetTensor(string name, out SafetensorsFile file, out SafetensorsTensor tensor)
    {
        if (_byName.TryGetValue(name, out var e))
        {
            (file, tensor) = e;
            return true;
        }
        file = null!;
        tensor = null!;
        return false;
    }

    public void Dispose()
    {
        foreach (var f in _files) f.Dispose();
    }
}
