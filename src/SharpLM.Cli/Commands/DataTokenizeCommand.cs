using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SharpLM.Cli.CommandLine;
using SharpLM.Data.Parquet;
using SharpLM.Diagnostics;
using SharpLM.Tokenization;
using SharpLM.Training;
using SharpLM.Training.Data;

namespace SharpLM.Cli.Commands;

/// <summary><c>sharplm data tokenize</c>: text, JSON Lines or Parquet → token shards for <c>sharplm train</c>.</summary>
public static class DataTokenizeCommand
{
    const string Usage = """
        usage: sharplm data tokenize --tokenizer SOURCE --input FILES... --out DIR [--field text] [--shard-tokens N]

        Encodes every document with the tokenizer and writes token shards DIR/part-00000.tok, … (each
        document as <bos> tokens <eos>; header with vocabulary size and counts), plus a copy of the
        tokenizer as DIR/tokenizer.json so 'sharplm train --data DIR' stores it with its checkpoints.
          --tokenizer SOURCE  tokenizer.json or a model folder holding one
          --input FILES       .txt (one document per file), .jsonl (one per line) or .parquet (one per row)
          --field NAME        JSON/Parquet field with the text (default text); repeat it to join several
                              fields with a newline, e.g. --field question --field answer
          --shard-tokens N    tokens per shard at most (default 100,000,000)
        Rerunning the same command after an interruption continues after the last complete shard.
        """;

    public static int Run(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h")) { Console.Out.WriteLine(Usage); return 0; }
        var a = CommandArgs.Parse(args, valued: ["--tokenizer", "--out", "--field", "--shard-tokens"], multi: ["--input"]);
        a.NoMorePositionalThan(0);
        var summary = Tokenize(a.RequiredString("--tokenizer"), a.Strings("--input"), a.RequiredString("--out"),
            a.Strings("--field") is { Count: > 0 } f ? f : ["text"], a.Long("--shard-tokens", 100_000_000), Program.Cancellation);
        Console.Out.WriteLine(summary);
        return 0;
    }

    internal static string Tokenize(string tokenizerSource, IReadOnlyList<string> inputs, string outDir, IReadOnlyList<string> fields,
        long shardTokens, CancellationToken cancel)
    {
        if (inputs.Count == 0) throw new UsageException("--input needs at least one file");
        if (shardTokens < 1024) throw new UsageException("--shard-tokens must be at least 1024");
        foreach (var i in inputs) if (!File.Exists(i)) throw new SharpLMDataException(i, "no such file");
        var tokenizer = Gemma3Tokenizer.Load(tokenizerSource);
        string? tokenizerJson = Directory.Exists(tokenizerSource) ? Path.Combine(tokenizerSource, "tokenizer.json")
            : tokenizerSource.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? tokenizerSource : null;
        byte[] fingerprint = tokenizerJson is not null ? Trainer.Fingerprint(tokenizerJson) : new byte[16];

        var key = new StringBuilder();
        foreach (var i in inputs) key.Append(Path.GetFullPath(i)).Append('|').Append(new FileInfo(i).Length).Append('\n');
        key.Append(string.Join(',', fields)).Append('|').Append(shardTokens).Append('|').Append(Convert.ToHexString(fingerprint));
        string runKey = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key.ToString())))[..32];

        Directory.CreateDirectory(outDir);
        using var corpus = new CorpusTokenizer(outDir, (texts, batch) => tokenizer.EncodeBatch(texts, batch, addBos: false, parseSpecial: false),
            tokenizer.VocabSize, tokenizer.BosId, tokenizer.EosId, fingerprint, shardTokens, runKey);
        if (corpus.AlreadyComplete)
            return FormattableString.Invariant($"{outDir}: already complete ({corpus.Documents:N0} documents, {corpus.Tokens:N0} tokens in {corpus.Shards} shards)");
        if (tokenizerJson is not null)
            IO.AtomicFile.WriteAllBytes(Path.Combine(outDir, "tokenizer.json"), File.ReadAllBytes(tokenizerJson));

        using var progress = new ProgressReporter("tokenize", inputs.Count, "files");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < inputs.Count; i++)
        {
            cancel.ThrowIfCancellationRequested();
            corpus.BeginInput(i);
            if (corpus.InputDone(i)) continue;
            var docs = inputs[i].EndsWith(".parquet", StringComparison.OrdinalIgnoreCase)
                ? ParquetTextReader.ReadColumns(inputs[i], fields).Select((row, r) => string.Join('\n', row.Select((v, j) =>
                    v ?? throw new SharpLMDataException(inputs[i], $"row {r}: field '{fields[j]}' is null"))))
                : TextDocuments.Read(inputs[i], fields);
            long n = 0;
            foreach (var d in docs)
            {
                corpus.Add(d);
                if (++n % 4096 == 0)
                {
                    cancel.ThrowIfCancellationRequested();
                    progress.Report(i, FormattableString.Invariant($"{corpus.Documents:N0} documents, {corpus.Tokens:N0} tokens"));
                }
            }
            progress.Report(i + 1, FormattableString.Invariant($"{corpus.Documents:N0} documents, {corpus.Tokens:N0} tokens"));
        }
        corpus.Finish(inputs.Count);
        progress.Finish();
        string skipped = corpus.Skipped > 0 ? FormattableString.Invariant($" ({corpus.Skipped:N0} documents were already done by an earlier run)") : "";
        return FormattableString.Invariant(
            $"{outDir}: {corpus.Documents:N0} documents, {corpus.Tokens:N0} tokens in {corpus.Shards} shard(s), vocabulary {tokenizer.VocabSize}; {clock.Elapsed.TotalSeconds:F1} s{skipped}");
    }
}
