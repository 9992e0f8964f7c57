using System.Text.Json;
using System.Text.Json.Nodes;
using SharpLM.IO;
using SharpLM.Tokenization;

namespace SharpLM.Training.Data;

/// <summary>
/// Turns a stream of documents into token shards (<c>part-00000.tok</c>, …) of at most
/// <see cref="ShardTokens"/> tokens each, documents never split. Resumable: after each shard is committed,
/// <c>tokenize-progress.json</c> records how far into the inputs it reached, so a rerun with the same inputs
/// and tokenizer skips what is done.
/// </summary>
public sealed class CorpusTokenizer : IDisposable
{
    public const string ProgressFile = "tokenize-progress.json";
    const int BatchDocuments = 512;

    readonly string _dir;
    readonly Action<IReadOnlyList<string>, TokenBatch> _encodeBatch;
    // Reused for every batch: its ids stay in the tokenizer's worker parts and are read text by text (no int[] per
    // document, no contiguous copy).
    readonly TokenBatch _batch = new();
    readonly int _vocab, _bos, _eos;
    readonly byte[] _fingerprint;
    readonly JsonArray _shards = [];
    readonly List<string> _pending = [];
    readonly string _runKey;
    TokenShardWriter? _writer;
    int _shardIndex;
    int _input;
    long _record;
    // where the last committed shard ended: everything before this is already in shards
    int _doneInput;
    long _doneRecord;

    public long ShardTokens { get; }
    public long Tokens { get; private set; }
    public long Documents { get; private set; }
    public int Shards => _shardIndex;
    /// <summary>Documents skipped because an earlier run already wrote them.</summary>
    public long Skipped { get; private set; }

    /// <param name="encodeBatch">Encodes a batch of documents into the given <see cref="TokenBatch"/> (no BOS/EOS: the shards add them).</param>
    /// <param name="runKey">Identifies the run (inputs, fields, tokenizer): a rerun resumes only when it matches.</param>
    public CorpusTokenizer(string outDir, Action<IReadOnlyList<string>, TokenBatch> encodeBatch, int vocabSize, int bosId, int eosId,
        byte[] fingerprint, long shardTokens, string runKey)
    {
        if (shardTokens < 1024) throw new ArgumentOutOfRangeException(nameof(shardTokens), "shards hold at least 1024 tokens");
        _dir = outDir;
        _encodeBatch = encodeBatch;
        _vocab = vocabSize;
        _bos = bosId;
        _eos = eosId;
        _fingerprint = fingerprint;
        ShardTokens = shardTokens;
        _runKey = runKey;
        Directory.CreateDirectory(outDir);
        LoadProgress();
    }

    /// <summary>True when a previous run with the same key completed.</summary>
    public bool AlreadyComplete { get; private set; }

    void LoadProgress()
    {
        string path = Path.Combine(_dir, ProgressFile);
        bool hasShards = Directory.EnumerateFiles(_dir, "*" + TokenShard.Extension).Any();
        if (!File.Exists(path))
        {
            if (hasShards) throw new SharpLMDataException(_dir, "already holds token shards from another run; choose an empty --out");
            return;
        }
        JsonNode? p;
        try { p = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new SharpLMDataException(path, $"invalid progress file: {e.Message}"); }
        if (p?["run"]?.GetValue<string>() != _runKey)
            throw new SharpLMDataException(_dir, "holds shards of a different tokenize run (other inputs, fields or tokenizer); choose an empty --out");
        foreach (var s in p["shards"]!.AsArray())
        {
            _shards.Add(s!.DeepClone());
            Tokens += s["tokens"]!.GetValue<long>();
            Documents += s["documents"]!.GetValue<long>();
        }
        _shardIndex = _shards.Count;
        _doneInput = p["next_input"]!.GetValue<int>();
        _doneRecord = p["next_record"]!.GetValue<long>();
        AlreadyComplete = p["complete"]?.GetValue<bool>() == true;
    }

    /// <summary>Starts input file number <paramref name="index"/> (inputs are visited in order).</summary>
    public void BeginInput(int index)
    {
        Flush();
        _input = index;
        _record = 0;
    }

    /// <summary>Whether input <paramref name="index"/> was entirely written by an earlier run.</summary>
    public bool InputDone(int index) => index < _doneInput;

    public void Add(string document)
    {
        long r = _record++;
        if (_input < _doneInput || (_input == _doneInput && r < _doneRecord)) { Skipped++; return; }
        _pending.Add(document);
        if (_pending.Count >= BatchDocuments) Flush();
    }

    void Flush()
    {
        if (_pending.Count == 0) return;
        _encodeBatch(_pending, _batch);
        if (_batch.Count != _pending.Count) throw new InvalidOperationException($"the encoder returned {_batch.Count} documents for {_pending.Count}");
        long first = _record - _pending.Count;
        for (int i = 0; i < _batch.Count; i++)
        {
            var ids = _batch[i];
            if (_writer is not null && _writer.Tokens + ids.Length + 2 > ShardTokens && _writer.Tokens > 0)
                CommitShard(_input, first + i);
            _writer ??= new TokenShardWriter(Path.Combine(_dir, $"part-{_shardIndex:D5}{TokenShard.Extension}"), _vocab, _bos, _eos, _fingerprint);
            _writer.AddDocument(ids);
            Tokens += ids.Length + 2;
            Documents++;
        }
        _pending.Clear();
    }

    void CommitShard(int nextInput, long nextRecord)
    {
        var w = _writer!;
        w.Commit();
        _shards.Add((JsonNode)new JsonObject { ["file"] = Path.GetFileName(w.Path), ["tokens"] = w.Tokens, ["documents"] = w.Documents });
        w.Dispose();
        _writer = null;
        _shardIndex++;
        WriteProgress(nextInput, nextRecord, complete: false);
    }

    void WriteProgress(int nextInput, long nextRecord, bool complete)
    {
        var p = new JsonObject
        {
            ["run"] = _runKey, ["next_input"] = nextInput, ["next_record"] = nextRecord, ["complete"] = complete,
            ["vocab_size"] = _vocab, ["tokens"] = Tokens, ["documents"] = Documents, ["shards"] = _shards.DeepClone(),
        };
        AtomicFile.WriteAllText(Path.Combine(_dir, ProgressFile), p.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>Commits the last shard and marks the run complete (<paramref name="inputs"/> = number of inputs).</summary>
    public void Finish(int inputs)
    {
        Flush();
        if (_writer is not null) CommitShard(inputs, 0);
        WriteProgress(inputs, 0, complete: true);
    }

    public void Dispose() => _writer?.Dispose();
}
