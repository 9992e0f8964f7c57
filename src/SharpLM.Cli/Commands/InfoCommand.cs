using System.Globalization;
using System.Text.Json;
using SharpLM.Cli.CommandLine;
using SharpLM.Models.Gemma3;

namespace SharpLM.Cli.Commands;

/// <summary>
/// <c>sharplm info MODEL [--context N] [--json]</c>: architecture, layer pattern, tensor types, parameter
/// count, weight bytes and the KV-cache bytes at the given context (default: the model's trained context).
/// </summary>
public static class InfoCommand
{
    const string Usage = "usage: sharplm info MODEL [--context N] [--json]";

    public static int Run(string[] args)
    {
        if (args.Contains("--help")) { Console.WriteLine(Usage); return 0; }
        var a = CommandArgs.Parse(args, valued: ["--context"], flags: ["--json"]);
        string path = a.Positional(0, "MODEL");
        a.NoMorePositionalThan(1);
        using var model = Gemma3Model.Load(path);
        var c = model.Config;
        int context = a.Int("--context", c.MaxPositionEmbeddings);
        if (context < 1) throw new UsageException("--context must be at least 1");
        long kv = model.KvCacheBytes(context);
        var globals = Enumerable.Range(0, c.NumLayers).Where(c.IsGlobal).ToArray();
        var types = model.Tensors.GroupBy(t => t.Type).OrderBy(g => g.Key.ToString())
            .Select(g => (Type: g.Key.ToString(), Count: g.Count(), Bytes: g.Sum(t => t.ByteLength))).ToList();

        if (a.Flag("--json"))
        {
            using var j = new Utf8JsonWriter(Console.OpenStandardOutput(), new JsonWriterOptions { Indented = true });
            j.WriteStartObject();
            j.WriteString("path", model.Path);
            j.WriteString("format", model.Format);
            j.WriteString("architecture", "gemma3");
            j.WriteNumber("parameters", model.ParameterCount);
            j.WriteNumber("weight_bytes", model.WeightBytes);
            j.WriteNumber("kv_cache_bytes", kv);
            j.WriteNumber("context", context);
            j.WriteNumber("vocab_size", c.VocabSize);
            j.WriteNumber("hidden_size", c.HiddenSize);
            j.WriteNumber("intermediate_size", c.IntermediateSize);
            j.WriteNumber("num_layers", c.NumLayers);
            j.WriteNumber("num_heads", c.NumHeads);
            j.WriteNumber("num_kv_heads", c.NumKvHeads);
            j.WriteNumber("head_dim", c.HeadDim);
            j.WriteNumber("sliding_window", c.SlidingWindow);
            j.WriteNumber("max_position_embeddings", c.MaxPositionEmbeddings);
            j.WriteNumber("rope_local_base", c.RopeLocalBase);
            j.WriteNumber("rope_global_base", c.RopeGlobalBase);
            j.WriteNumber("rope_global_scale", c.RopeGlobalScale);
            j.WriteNumber("query_pre_attn_scalar", c.QueryPreAttnScalar);
            j.WriteStartArray("layer_types");
            for (int i = 0; i < c.NumLayers; i++) j.WriteStringValue(c.IsGlobal(i) ? "global" : "local");
            j.WriteEndArray();
            j.WriteStartObject("tensor_types");
            foreach (var t in types)
            {
                j.WriteStartObject(t.Type);
                j.WriteNumber("tensors", t.Count);
                j.WriteNumber("bytes", t.Bytes);
                j.WriteEndObject();
            }
            j.WriteEndObject();
            j.WriteEndObject();
            j.Flush();
            Console.WriteLine();
            return 0;
        }

        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"model          {model.Path} ({model.Format})");
        Console.WriteLine($"architecture   gemma3 text decoder, {c.NumLayers} layers: {c.NumLayers - globals.Length} local (window {c.SlidingWindow}), {globals.Length} global [{string.Join(", ", globals)}]");
        Console.WriteLine($"shape          hidden {c.HiddenSize}, heads {c.NumHeads} (kv {c.NumKvHeads}) × {c.HeadDim}, MLP {c.IntermediateSize}, vocab rows {c.VocabSize}");
        Console.WriteLine(string.Create(inv, $"rope           local base {c.RopeLocalBase:G}, global base {c.RopeGlobalBase:G}{(c.RopeGlobalScale != 1 ? $" (linear ÷{c.RopeGlobalScale:G})" : "")}; attention scale 1/√{c.QueryPreAttnScalar:G}"));
        Console.WriteLine($"tensor types   {string.Join(", ", types.Select(t => string.Create(inv, $"{t.Type} ×{t.Count} ({Bytes(t.Bytes)})")))}");
        Console.WriteLine(string.Create(inv, $"parameters     {model.ParameterCount:N0} ({model.ParameterCount / 1e9:F3} B)"));
        Console.WriteLine(string.Create(inv, $"weight bytes   {model.WeightBytes:N0} ({Bytes(model.WeightBytes)})"));
        Console.WriteLine(string.Create(inv, $"kv cache       {kv:N0} ({Bytes(kv)}) at context {context} (f32 keys and values)"));
        Console.WriteLine($"tokenizer      {(model.GgufTokenizer is { } tok ? $"{tok.Tokens.Count} tokens (GGUF metadata)" : model.TokenizerJsonPath ?? "none")}");
        return 0;
    }

    static string Bytes(long b) => b switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{b / (double)(1L << 30):F2} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{b / (double)(1L << 20):F1} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{b / 1024.0:F1} KiB"),
    };
}
