using System.Runtime.InteropServices;
using SharpLM.Cli.CommandLine;
using SharpLM.IO;
using SharpLM.Models.Gemma3;

namespace SharpLM.Cli.Commands;

/// <summary>
/// <c>sharplm logits MODEL --tokens 2,818,9259 --out FILE [--embed-scale bf16|exact] [--threads N]</c>: runs
/// exactly those ids (no BOS added) and writes float32 little-endian logits [T, V] (V = embedding rows).
/// <c>--prompt TEXT</c> instead tokenizes with BOS.
/// </summary>
public static class LogitsCommand
{
    const string Usage = "usage: sharplm logits MODEL (--tokens ID,ID,... | --prompt TEXT) --out FILE [--embed-scale bf16|exact] [--threads N] [--tokenizer tokenizer.json]";

    public static int Run(string[] args)
    {
        if (args.Contains("--help")) { Console.WriteLine(Usage); return 0; }
        var a = CommandArgs.Parse(args, valued: [.. InferenceOptions.Valued, "--tokens", "--prompt", "--out", "--tokenizer"], aliases: InferenceOptions.Aliases);
        string path = a.Positional(0, "MODEL");
        a.NoMorePositionalThan(1);
        string output = a.RequiredString("--out");
        if (a.Has("--tokens") == a.Has("--prompt")) throw new UsageException("give exactly one of --tokens and --prompt\n" + Usage);
        InferenceOptions.ApplyThreads(a);
        var mode = InferenceOptions.EmbedScale(a);

        using var model = Gemma3Model.Load(path);
        int[] ids = a.String("--tokens") is { } list
            ? InferenceOptions.ParseTokens(list, model.Config.VocabSize)
            : ModelTokenizer.For(model, a.String("--tokenizer")).Encode(model, a.RequiredString("--prompt"), addBos: true);
        if (ids.Length == 0) throw new UsageException("--prompt produced no tokens");

        int V = model.Config.VocabSize;
        using var session = model.CreateSession(ids.Length, mode);
        using var w = AtomicFile.Create(output, 1 << 20);
        // Chunk by chunk so a long prompt never needs T × V floats at once.
        int chunk = session.ChunkSize;
        var buffer = new float[(long)chunk * V];
        for (int start = 0; start < ids.Length; start += chunk)
        {
            int n = Math.Min(chunk, ids.Length - start);
            var span = buffer.AsSpan(0, n * V);
            session.Forward(ids.AsSpan(start, n), span, allPositions: true);
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("big-endian hosts");
            w.Stream.Write(MemoryMarshal.AsBytes(span));
            Program.Cancellation.ThrowIfCancellationRequested();
        }
        w.Commit();
        Console.Error.WriteLine($"logits: {ids.Length} × {V} float32 → {output}");
        return 0;
    }
}
