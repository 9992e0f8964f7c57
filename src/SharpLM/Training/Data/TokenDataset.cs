namespace SharpLM.Training.Data;

/// <summary>
/// The training data as one token stream: a shard, a raw <c>.u32</c> file, or a directory of them (read in
/// ordinal name order and concatenated). Every token read is checked against the model's vocabulary.
/// </summary>
public sealed class TokenDataset : IDisposable
{
    readonly TokenShard[] _shards;
    readonly long[] _starts;

    /// <summary>What <c>--data</c> named.</summary>
    public string Source { get; }
    public long Count { get; }
    /// <summary>The shards' vocabulary size (the largest, if several), or null when every file is raw.</summary>
    public int? VocabSize { get; }
    public int? BosId { get; }
    public int? EosId { get; }
    public IReadOnlyList<TokenShard> Shards => _shards;
    /// <summary>Tokens must be below this (the model's V); set by the trainer once the model is known.</summary>
    public int Limit { get; set; } = int.MaxValue;

    TokenDataset(string source, TokenShard[] shards)
    {
        Source = source;
        _shards = shards;
        _starts = new long[shards.Length + 1];
        for (int i = 0; i < shards.Length; i++) _starts[i + 1] = _starts[i] + shards[i].Count;
        Count = _starts[^1];
        var typed = shards.Where(s => s.VocabSize is not null).ToArray();
        if (typed.Length > 0)
        {
            VocabSize = typed.Max(s => s.VocabSize!.Value);
            BosId = typed[0].BosId;
            EosId = typed[0].EosId;
            foreach (var s in typed)
                if (!s.TokenizerFingerprint.AsSpan().SequenceEqual(typed[0].TokenizerFingerprint) || s.VocabSize != typed[0].VocabSize)
                    throw new SharpLMDataException(s.Path, $"made with a different tokenizer than {typed[0].Path} (vocabulary or fingerprint differs)");
        }
    }

    /// <summary>Opens <paramref name="path"/> (a <c>.tok</c> shard, a <c>.u32</c> file, or a directory of them).</summary>
    public static TokenDataset Open(string path)
    {
        string[] files;
        if (Directory.Exists(path))
        {
            files = Directory.GetFiles(path)
                .Where(f => f.EndsWith(TokenShard.Extension, StringComparison.OrdinalIgnoreCase) || f.EndsWith(TokenShard.RawExtension, StringComparison.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal).ToArray();
            if (files.Length == 0) throw new SharpLMDataException(path, $"no {TokenShard.Extension} or {TokenShard.RawExtension} token files in this directory");
        }
        else if (File.Exists(path))
        {
            files = [path];
        }
        else
        {
            throw new SharpLMDataException(path, "no such file or directory");
        }
        var shards = new List<TokenShard>();
        try
        {
            foreach (var f in files) shards.Add(TokenShard.Open(f));
            return new TokenDataset(path, shards.ToArray());
        }
        catch
        {
            foreach (var s in shards) s.Dispose();
            throw;
        }
    }

    /// <summary>Copies tokens [<paramref name="start"/>, start + dst.Length) of the concatenated stream, checking each against <see cref="Limit"/>.</summary>
    public void Read(long start, Span<int> dst)
    {
        if (start < 0 || start + dst.Length > Count) throw new ArgumentOutOfRangeException(nameof(start));
        int done = 0;
        int i = Array.BinarySearch(_starts, start);
        if (i < 0) i = ~i - 1;
        while (done < dst.Length)
        {
            while (_starts[i + 1] <= start + done) i++;
            long local = start + done - _starts[i];
            int n = (int)Math.Min(dst.Length - done, _shards[i].Count - local);
            var part = dst.Slice(done, n);
            _shards[i].Read(local, part);
            for (int j = 0; j < part.Length; j++)
                if ((uint)part[j] >= (uint)Limit)
                    throw new SharpLMDataException(_shards[i].Path, $"token {part[j]} at index {local + j} is outside the model's vocabulary of {Limit}");
            done += n;
        }
    }

    public void Dispose()
    {
        foreach (var s in _shards) s.Dispose();
    }
}
