using SharpLM.Formats;
using SharpLM.Formats.Gguf;
using SharpLM.Formats.Safetensors;
using SharpLM.Tensors;
using SharpLM.Tokenization;

namespace SharpLM.Models.Gemma3;

/// <summary>
/// A Gemma 3 text model loaded for inference from a GGUF file (llama.cpp's <c>gemma3</c> layout) or a
/// Hugging Face folder (config.json + safetensors, single or sharded; <c>Gemma3ForCausalLM</c> or the text
/// part of <c>Gemma3ForConditionalGeneration</c>). Weights stay memory-mapped and are used in place;
/// dispose the model to unmap them. Run it through a <see cref="Gemma3Session"/> (one KV cache each).
/// </summary>
public sealed unsafe class Gemma3Model : IDisposable
{
    readonly IDisposable _storage;

    /// <summary>The path the model was loaded from.</summary>
    public string Path { get; }
    /// <summary><c>gguf</c> or <c>safetensors</c>.</summary>
    public string Format { get; }
    public Gemma3Config Config { get; }
    public Gemma3Weights Weights { get; }
    /// <summary>The decoder tensors the model uses, in load order (for <c>info</c>).</summary>
    public IReadOnlyList<TensorRef> Tensors { get; }
    /// <summary>The tokenizer stored in a GGUF file, or null.</summary>
    public GgufTokenizerData? GgufTokenizer { get; }
    /// <summary>The tokenizer.json beside an HF checkpoint, or null.</summary>
    public string? TokenizerJsonPath { get; }

    Gemma3Model(string path, string format, IDisposable storage, Gemma3Config config, Gemma3Weights weights,
        IReadOnlyList<TensorRef> tensors, GgufTokenizerData? ggufTokenizer, string? tokenizerJson)
    {
        Path = path;
        Format = format;
        _storage = storage;
        Config = config;
        Weights = weights;
        Tensors = tensors;
        GgufTokenizer = ggufTokenizer;
        TokenizerJsonPath = tokenizerJson;
    }

    /// <summary>
    /// Loads <paramref name="path"/>: a <c>.gguf</c> file, an HF model folder, or a <c>.safetensors</c> file with
    /// a config.json beside it. Bad or inconsistent files throw <see cref="SharpLMDataException"/>.
    /// </summary>
    public static Gemma3Model Load(string path)
    {
        if (Directory.Exists(path)) return LoadHf(path, path);
        if (!File.Exists(path)) throw new SharpLMDataException(path, "no such file or directory");
        if (IsGguf(path)) return LoadGguf(path);
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            return LoadHf(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!, path);
        throw new SharpLMDataException(path, "not a model: expected a .gguf file or a Hugging Face folder (config.json + *.safetensors)");
    }

    static bool IsGguf(string path)
    {
        using var fs = File.OpenRead(path);
        Span<byte> m = stackalloc byte[4];
        return fs.Read(m) == 4 && m.SequenceEqual("GGUF"u8);
    }

    static Gemma3Model LoadGguf(string path)
    {
        var f = GgufFile.Open(path);
        try
        {
            if (!f.TryGetTensor("token_embd.weight", out var emb))
                throw new SharpLMDataException(path, "missing tensor 'token_embd.weight'");
            if (emb.Dimensions.Length != 2 || emb.Dimensions[1] > int.MaxValue)
                throw new SharpLMDataException(path, $"token_embd.weight has dimensions {{{string.Join(", ", emb.Dimensions)}}}");
            var config = Gemma3GgufMetadata.ReadConfig(f, (int)emb.Dimensions[1]);
            var used = new List<TensorRef>();
            TensorRef? Find(string logical)
            {
                if (!f.TryGetTensor(Gemma3TensorNames.ToGguf(logical), out var t)) return null;
                var r = new TensorRef(t.Name, path, t.Type, t.Shape, (nint)f.TensorData(t), t.ByteLength);
                used.Add(r);
                return r;
            }
            var weights = Gemma3Weights.Bind(config, Find, normsStoreOnePlusW: true, path, Gemma3TensorNames.ToGguf, separateHeadWins: true);
            return new Gemma3Model(path, "gguf", f, config, weights, Dedup(used), f.ReadTokenizer(), null);
        }
        catch
        {
            f.Dispose();
            throw;
        }
    }

    static Gemma3Model LoadHf(string dir, string weightsPath)
    {
        string configPath = System.IO.Path.Combine(dir, HfConfig.FileName);
        if (!File.Exists(configPath)) throw new SharpLMDataException(dir, "no config.json (a Hugging Face model folder needs one)");
        var config = HfConfig.Read(configPath);
        var ckpt = SafetensorsCheckpoint.Open(weightsPath);
        try
        {
            string? prefix = Gemma3TensorNames.HfPrefixes.FirstOrDefault(p => ckpt.TryGetTensor(p + Gemma3TensorNames.Embedding, out _, out _));
            if (prefix is null)
                throw new SharpLMDataException(weightsPath, "no embedding tensor (looked for model.embed_tokens.weight and the multimodal prefixes)");
            var used = new List<TensorRef>();
            TensorRef? Find(string logical)
            {
                IEnumerable<string> names = logical == Gemma3TensorNames.LmHead ? Gemma3TensorNames.HfLmHeadNames : [prefix + logical];
                foreach (var name in names)
                {
                    if (!ckpt.TryGetTensor(name, out var file, out var t)) continue;
                    var type = t.DType.ToTensorType()
                        ?? throw new SharpLMDataException(file.Path, $"tensor '{name}' has dtype {t.DType}; model weights must be F32, F16 or BF16");
                    var r = new TensorRef(name, file.Path, type, t.Shape, (nint)file.TensorData(t), t.ByteLength);
                    used.Add(r);
                    return r;
                }
                return null;
            }
            var weights = Gemma3Weights.Bind(config, Find, normsStoreOnePlusW: false, weightsPath, l => prefix + l);
            string tok = System.IO.Path.Combine(dir, "tokenizer.json");
            return new Gemma3Model(weightsPath, "safetensors", ckpt, config, weights, Dedup(used), null, File.Exists(tok) ? tok : null);
        }
        catch
        {
            ckpt.Dispose();
            throw;
        }
    }

    static List<TensorRef> Dedup(List<TensorRef> used) => used.DistinctBy(t => (t.File, t.Name)).ToList();

    /// <summary>Bytes of the decoder weights the model uses (the head counted once when tied).</summary>
    public long WeightBytes => Tensors.Sum(t => t.ByteLength);

    /// <summary>Parameters of the decoder (a separate LM head counted too).</summary>
    public long ParameterCount => Tensors.Sum(t => t.ElementCount);

    /// <summary>Bytes of the KV cache for <paramref name="contextLength"/> positions.</summary>
    public long KvCacheBytes(int contextLength) => KvCache.Bytes(Config, contextLength);

    /// <summary>A new inference session with its own KV cache of <paramref name="contextLength"/> positions.</summary>
    public Gemma3Session CreateSession(int contextLength, EmbedScaleMode embedScale = EmbedScaleMode.Bf16) =>
        new(this, contextLength, embedScale);

    /// <summary>
    /// A batch of <paramref name="slots"/> sequences decoding together, each with its own KV cache of
    /// <paramref name="contextLength"/> positions (<see cref="Gemma3Batch"/>).
    /// </summary>
    public Gemma3Batch CreateBatch(int slots, int contextLength, EmbedScaleMode embedScale = EmbedScaleMode.Bf16) =>
        new(this, slots, contextLength, embedScale);

    /// <summary>Logits [T, V] for every position of <paramref name="tokens"/> (no BOS added), from an empty cache.</summary>
    public float[] ComputeLogits(ReadOnlySpan<int> tokens, EmbedScaleMode embedScale = EmbedScaleMode.Bf16)
    {
        var logits = new float[(long)tokens.Length * Config.VocabSize];
        using var s = CreateSession(Math.Max(1, tokens.Length), embedScale);
        s.Forward(tokens, logits, allPositions: true);
        return logits;
    }

    public void Dispose() => _storage.Dispose();
}
