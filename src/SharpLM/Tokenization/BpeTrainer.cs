using System.Text;
using System.Text.Json;
using SharpLM.Diagnostics;

namespace SharpLM.Tokenization;

/// <summary>
/// Trains a byte-fallback BPE tokenizer in Gemma's style and file format, for small models that want a small
/// vocabulary: spaces become ▁ and start pieces ("▁the"), digits stay single, characters outside the learned
/// alphabet fall back to <c>&lt;0xNN&gt;</c> byte tokens, and ids 0–106 are Gemma's special tokens
/// (<c>&lt;pad&gt;</c>, <c>&lt;eos&gt;</c>, <c>&lt;bos&gt;</c>, <c>&lt;unk&gt;</c>, …, <c>&lt;start_of_turn&gt;</c>,
/// <c>&lt;end_of_turn&gt;</c>) so the chat template and stop tokens work unchanged. Deterministic: the same input
/// and seed give the same tokenizer, byte for byte.
/// </summary>
/// <remarks>
/// <para>Layout: 0–106 Gemma's special and unused tokens, 107–362 the bytes <c>&lt;0x00&gt;</c>…<c>&lt;0xFF&gt;</c>, then
/// the alphabet (most frequent first), then learned pieces in the order they were learned. Image tokens are
/// left out (text-only models).</para>
/// <para>Algorithm: text is normalized (' ' → '▁') and cut into words before each run of ▁, around each digit
/// and around runs of tab/CR/LF; words are counted; then the most frequent adjacent pair (ties by a seeded
/// hash) is merged, repeatedly, with incremental pair counts. The learned pieces get SentencePiece scores
/// (−order) and the merge list is derived from them exactly as Hugging Face derives a Gemma tokenizer.json
/// from tokenizer.model (<see cref="SentencePieceMerges.FromScores"/>), so the tokenizer.json, a GGUF written
/// from it and Hugging Face tokenizers all give the same ids. No learned piece is a prefix or suffix of a
/// special or byte token's text, so those never arise from merges.</para>
/// </remarks>
public static class BpeTrainer
{
    /// <summary>Gemma's ids 0–106.</summary>
    public static IReadOnlyList<string> GemmaSpecialTokens { get; } = BuildSpecials();

    /// <summary>Id of <c>&lt;0x00&gt;</c>; byte b is this + b.</summary>
    public const int FirstByteId = 107;
    const int FirstAlphabetId = FirstByteId + 256;
    const char MetaSpace = '\u2581';
    const int MaxWordLength = 64;

    static string[] BuildSpecials()
    {
        var s = new string[107];
        string[] head = ["<pad>", "<eos>", "<bos>", "<unk>", "<mask>", "[multimodal]"];
        head.CopyTo(s, 0);
        for (int i = 0; i < 99; i++) s[6 + i] = $"<unused{i}>";
        s[105] = "<start_of_turn>";
        s[106] = "<end_of_turn>";
        return s;
    }

    /// <summary>
    /// Trains on text files: <c>.jsonl</c> files contribute every string field of every record (one document per
    /// record), other files their whole text (one document per line). Invalid UTF-8 becomes U+FFFD.
    /// </summary>
    /// <exception cref="SharpLMDataException">A file is missing or unreadable, a JSONL line is malformed, or there is no text.</exception>
    public static Gemma3Tokenizer TrainFiles(IReadOnlyList<string> paths, BpeTrainerOptions options,
        ProgressReporter? progress = null, CancellationToken cancel = default)
    {
        if (paths.Count == 0) throw new SharpLMDataException("--input", "no input files");
        var documents = new List<string>();
        foreach (var path in paths)
        {
            cancel.ThrowIfCancellationRequested();
            if (!File.Exists(path)) throw new SharpLMDataException(path, "file not found");
            string text;
            try { text = Encoding.UTF8.GetString(File.ReadAllBytes(path)); }
            catch (IOException e) { throw new SharpLMDataException(path, $"cannot read: {e.Message}"); }
            catch (UnauthorizedAccessException e) { throw new SharpLMDataException(path, $"cannot read: {e.Message}"); }
            catch (OutOfMemoryException) { throw new SharpLMDataException(path, "too large to read in one piece (split it)"); }
            if (path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)) documents.AddRange(JsonlDocuments(text, path));
            else documents.AddRange(text.Split('\n'));
        }
        return Train(documents, options, progress, cancel, source: string.Join(", ", paths));
    }

    static IEnumerable<string> JsonlDocuments(string text, string path)
    {
        int line = 0;
        foreach (var raw in text.Split('\n'))
        {
            line++;
            if (string.IsNullOrWhiteSpace(raw)) continue;
            JsonDocument doc;
            try { doc = JsonDocument.Parse(raw); }
            catch (JsonException e) { throw new SharpLMDataException(path, $"not a JSON record ({e.Message})", line, offsetIsLine: true); }
            using (doc)
            {
                var sb = new StringBuilder();
                void Collect(JsonElement e)
                {
                    switch (e.ValueKind)
                    {
                        case JsonValueKind.String: if (sb.Length > 0) sb.Append('\n'); sb.Append(e.GetString()); break;
                        case JsonValueKind.Object: foreach (var p in e.EnumerateObject()) Collect(p.Value); break;
                        case JsonValueKind.Array: foreach (var x in e.EnumerateArray()) Collect(x); break;
                    }
                }
                Collect(doc.RootElement);
                yield return sb.ToString();
            }
        }
    }

    /// <summary>Trains on <paramref name="documents"/> (any text; order does not matter beyond sampling).</summary>
    public static Gemma3Tokenizer Train(IReadOnlyList<string> documents, BpeTrainerOptions options,
        ProgressReporter? progress = null, CancellationToken cancel = default, string source = "training text")
    {
        if (options.VocabSize < FirstAlphabetId + 2)
            throw new SharpLMDataException("--vocab-size", $"{options.VocabSize} is too small: Gemma's 107 special tokens and 256 byte tokens come first (at least {FirstAlphabetId + 2})");
        if (options.VocabSize > 1_000_000) throw new SharpLMDataException("--vocab-size", $"{options.VocabSize} is larger than 1,000,000");
        if (options.MaxPieceLength < 2) throw new ArgumentOutOfRangeException(nameof(options), "MaxPieceLength must be at least 2");
        int threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;

        var docs = Sample(documents, options);
        var (words, charCounts) = CountWords(docs, threads, cancel);
        if (words.Count == 0) throw new SharpLMDataException(source, "no text to train on");

        // ---- alphabet: the most frequent characters covering CharacterCoverage of the text ----
        long totalChars = charCounts.Sum(kv => kv.Value);
        var byFrequency = charCounts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key).ToList();
        int maxAlphabet = options.VocabSize - FirstAlphabetId - 1;
        var alphabet = new List<int> { MetaSpace };
        long covered = charCounts.GetValueOrDefault(MetaSpace);
        foreach (var (cp, count) in byFrequency)
        {
            if (cp == MetaSpace) continue;
            if (covered >= options.CharacterCoverage * totalChars || alphabet.Count >= maxAlphabet) break;
            alphabet.Add(cp);
            covered += count;
        }

        var pieces = new List<string>(options.VocabSize);
        pieces.AddRange(GemmaSpecialTokens);
        for (int b = 0; b < 256; b++) pieces.Add($"<0x{b:X2}>");
        var charId = new Dictionary<int, int>();
        foreach (int cp in alphabet)
        {
            charId[cp] = pieces.Count;
            pieces.Add(char.ConvertFromUtf32(cp));
        }
        int baseCount = pieces.Count;

        var learner = new PairLearner(words, charId, pieces, options, Forbidden(pieces));
        learner.Run(options.VocabSize, progress, cancel);

        // ---- the tokenizer: SentencePiece-style scores → Hugging Face merges ----
        int n = pieces.Count;
        var scores = new float[n];
        var types = new int[n];
        for (int id = 0; id < n; id++)
        {
            types[id] = id < FirstByteId ? (id is 0 or 1 or 2 or 105 or 106 ? SentencePieceDefinition.Control
                        : id == 3 ? SentencePieceDefinition.Unknown : SentencePieceDefinition.UserDefined)
                : id < FirstAlphabetId ? SentencePieceDefinition.Byte : SentencePieceDefinition.Normal;
            scores[id] = id < baseCount ? 0 : -(id - baseCount + 1);
        }
        var def = SentencePieceDefinition.Build(new SentencePieceDefinition.Input
        {
            Source = source,
            Pieces = pieces,
            Scores = scores,
            Types = types,
            BosId = 2,
            EosId = 1,
            UnknownId = 3,
            PadId = 0,
            AddBos = true,
        });
        foreach (int m in def.MergeResult)
            if (m < baseCount) throw new InvalidOperationException($"trainer bug: base piece '{pieces[m]}' is the result of a merge");
        return new Gemma3Tokenizer(def);
    }

    /// <summary>Keeps every document when the input fits the budget, else a seeded random subset of about the budget's size.</summary>
    static IReadOnlyList<string> Sample(IReadOnlyList<string> documents, BpeTrainerOptions o)
    {
        long total = 0;
        foreach (var d in documents) total += d.Length;   // UTF-16 units ≈ bytes for the decision
        if (total <= o.MaxInputBytes) return documents;
        double keep = (double)o.MaxInputBytes / total;
        var rng = new Random(o.Seed);
        return documents.Where(_ => rng.NextDouble() < keep).ToList();
    }

    // ---------------------------------------------------------------- counting

    /// <summary>Unique words (normalized, cut as in the remarks) with their counts, and code-point counts.</summary>
    static (List<(string Word, long Count)> Words, Dictionary<int, long> Chars) CountWords(IReadOnlyList<string> docs, int threads, CancellationToken cancel)
    {
        var partials = new List<(Dictionary<string, long> W, Dictionary<int, long> C)>();
        var gate = new object();
        int chunk = Math.Max(1, docs.Count / (threads * 4));
        var ranges = System.Collections.Concurrent.Partitioner.Create(0, docs.Count, chunk);
        Parallel.ForEach(ranges, new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = cancel },
            () => (W: new Dictionary<string, long>(StringComparer.Ordinal), C: new Dictionary<int, long>()),
            (range, _, local) =>
            {
                var lookup = local.W.GetAlternateLookup<ReadOnlySpan<char>>();
                var buf = new char[256];
                for (int i = range.Item1; i < range.Item2; i++)
                {
                    string doc = docs[i];
                    if (buf.Length < doc.Length) buf = new char[doc.Length * 2];
                    int len = Normalize(doc, buf);
                    var text = buf.AsSpan(0, len);
                    for (int k = 0; k < len; k++)
                    {
                        int cp = text[k];
                        if (char.IsHighSurrogate(text[k]) && k + 1 < len) cp = char.ConvertToUtf32(text[k], text[++k]);
                        local.C[cp] = local.C.GetValueOrDefault(cp) + 1;
                    }
                    foreach (var (s, e) in Words(text))
                    {
                        var w = text[s..e];
                        lookup[w] = lookup.TryGetValue(w, out long c) ? c + 1 : 1;
                    }
                }
                return local;
            },
            local => { lock (gate) partials.Add(local); });

        var words = new Dictionary<string, long>(StringComparer.Ordinal);
        var chars = new Dictionary<int, long>();
        foreach (var (w, c) in partials)
        {
            foreach (var kv in w) words[kv.Key] = words.GetValueOrDefault(kv.Key) + kv.Value;
            foreach (var kv in c) chars[kv.Key] = chars.GetValueOrDefault(kv.Key) + kv.Value;
        }
        var list = words.Select(kv => (kv.Key, kv.Value)).ToList();
        list.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));   // parallel merge order must not matter
        return (list, chars);
    }

    /// <summary>' ' → '▁' and lone surrogates → U+FFFD, as the encoder sees text.</summary>
    static int Normalize(string doc, char[] dst)
    {
        for (int i = 0; i < doc.Length; i++)
        {
            char c = doc[i];
            if (c == ' ') c = MetaSpace;
            else if (char.IsHighSurrogate(c) && i + 1 < doc.Length && char.IsLowSurrogate(doc[i + 1])) { dst[i] = c; dst[i + 1] = doc[i + 1]; i++; continue; }
            else if (char.IsSurrogate(c)) c = '\uFFFD';
            dst[i] = c;
        }
        return doc.Length;
    }

    static bool IsLayout(char c) => c is '\n' or '\r' or '\t';

    /// <summary>Word boundaries: before a run of ▁, around each digit, around runs of one layout character; at most 64 characters.</summary>
    internal static List<(int Start, int End)> Words(ReadOnlySpan<char> t)
    {
        var list = new List<(int, int)>();
        int start = 0;
        for (int i = 1; i <= t.Length; i++)
        {
            bool cut = i == t.Length;
            if (!cut)
            {
                char p = t[i - 1], c = t[i];
                cut = (c == MetaSpace && p != MetaSpace)
                    || char.IsDigit(c) || char.IsDigit(p)
                    || (IsLayout(c) != IsLayout(p)) || (IsLayout(c) && c != p)
                    || (i - start >= MaxWordLength && !char.IsLowSurrogate(c));
            }
            if (cut)
            {
                list.Add((start, i));
                start = i;
            }
        }
        return list;
    }

    /// <summary>Texts no learned piece may have: proper prefixes and suffixes (2+ characters) of special and byte tokens.</summary>
    static HashSet<string> Forbidden(List<string> pieces)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        for (int id = 0; id < FirstAlphabetId; id++)
        {
            string s = pieces[id];
            for (int k = 2; k < s.Length; k++)
            {
                set.Add(s[..k]);
                set.Add(s[^k..]);
            }
        }
        return set;
    }

    // ---------------------------------------------------------------- learning

    /// <summary>The merge loop: words as symbol arrays, pair counts updated incrementally, a max-heap with lazy deletion.</summary>
    sealed class PairLearner
    {
        readonly int[][] _words;
        readonly int[] _length;
        readonly long[] _count;
        readonly List<string> _pieces;
        readonly Dictionary<string, int> _idOf;
        readonly BpeTrainerOptions _o;
        readonly HashSet<string> _forbidden;
        readonly Dictionary<long, Pair> _pairs = new();
        readonly PriorityQueue<long, (long Count, ulong Tie)> _heap = new(Comparer<(long Count, ulong Tie)>.Create(
            (a, b) => a.Count != b.Count ? b.Count.CompareTo(a.Count) : a.Tie.CompareTo(b.Tie)));
        readonly HashSet<long> _banned = [];
        int[] _stamp;
        int _stampNow;

        sealed class Pair
        {
            public long Count;
            public readonly List<int> Words = [];
        }

        public PairLearner(List<(string Word, long Count)> words, Dictionary<int, int> charId, List<string> pieces,
            BpeTrainerOptions o, HashSet<string> forbidden)
        {
            _pieces = pieces;
            _o = o;
            _forbidden = forbidden;
            _idOf = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int id = 0; id < pieces.Count; id++) _idOf.TryAdd(pieces[id], id);
            _words = new int[words.Count][];
            _length = new int[words.Count];
            _count = new long[words.Count];
            _stamp = new int[words.Count];
            Span<byte> utf8 = stackalloc byte[4];
            var syms = new List<int>();
            for (int w = 0; w < words.Count; w++)
            {
                syms.Clear();
                string text = words[w].Word;
                for (int i = 0; i < text.Length; i++)
                {
                    int cp = text[i];
                    if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length) cp = char.ConvertToUtf32(text[i], text[++i]);
                    if (charId.TryGetValue(cp, out int id)) syms.Add(id);
                    else
                    {
                        int n = new Rune(cp).EncodeToUtf8(utf8);
                        for (int k = 0; k < n; k++) syms.Add(FirstByteId + utf8[k]);
                    }
                }
                _words[w] = syms.ToArray();
                _length[w] = syms.Count;
                _count[w] = words[w].Count;
                AddPairs(w, +1, onlyWith: -1);
            }
            foreach (var (key, p) in _pairs) Push(key, p.Count);
        }

        static long Key(int a, int b) => ((long)a << 32) | (uint)b;

        // Byte tokens and digits never merge (digits stay single, as in Gemma).
        bool Mergeable(int id) => id >= FirstAlphabetId && !(_pieces[id].Length == 1 && char.IsDigit(_pieces[id][0]));

        ulong Tie(long key)
        {
            ulong x = (ulong)key ^ ((ulong)(uint)_o.Seed * 0x9E3779B97F4A7C15UL);
            x ^= x >> 33; x *= 0xFF51AFD7ED558CCDUL; x ^= x >> 33; x *= 0xC4CEB9FE1A85EC53UL; x ^= x >> 33;
            return x;
        }

        void Push(long key, long count)
        {
            if (count >= _o.MinPairCount) _heap.Enqueue(key, (count, Tie(key)));
        }

        /// <summary>Adds (sign +1) or removes (−1) word w's adjacent pairs; with onlyWith ≥ 0, registers the word only for pairs containing that id.</summary>
        void AddPairs(int w, int sign, int onlyWith)
        {
            var s = _words[w];
            long c = _count[w] * sign;
            for (int i = 0; i + 1 < _length[w]; i++)
            {
                int a = s[i], b = s[i + 1];
                if (!Mergeable(a) || !Mergeable(b)) continue;
                long key = Key(a, b);
                if (!_pairs.TryGetValue(key, out var p)) _pairs[key] = p = new Pair();
                p.Count += c;
                if (sign > 0 && (onlyWith < 0 || a == onlyWith || b == onlyWith)) p.Words.Add(w);
            }
        }

        public void Run(int vocabSize, ProgressReporter? progress, CancellationToken cancel)
        {
            int start = _pieces.Count;
            progress?.SetTotal(vocabSize - start);
            while (_pieces.Count < vocabSize && _heap.TryDequeue(out long key, out var entry))
            {
                cancel.ThrowIfCancellationRequested();
                if (_banned.Contains(key) || !_pairs.TryGetValue(key, out var pair)) continue;
                if (pair.Count != entry.Count)
                {
                    Push(key, pair.Count);   // stale entry: requeue with the current count
                    continue;
                }
                int a = (int)(key >> 32), b = (int)(uint)key;
                string text = _pieces[a] + _pieces[b];
                if (CharLength(text) > _o.MaxPieceLength || _forbidden.Contains(text))
                {
                    _banned.Add(key);
                    continue;
                }
                if (!_idOf.TryGetValue(text, out int merged))
                {
                    merged = _pieces.Count;
                    _pieces.Add(text);
                    _idOf[text] = merged;
                }
                Apply(a, b, merged, pair);
                progress?.Report(_pieces.Count - start);
            }
            progress?.Finish($"{_pieces.Count - start} pieces learned");
        }

        static int CharLength(string s)
        {
            int n = 0;
            foreach (var _ in s.EnumerateRunes()) n++;
            return n;
        }

        void Apply(int a, int b, int merged, Pair pair)
        {
            _stampNow++;
            var affected = pair.Words.ToArray();
            foreach (int w in affected)
            {
                if (_stamp[w] == _stampNow) continue;
                _stamp[w] = _stampNow;
                var s = _words[w];
                int len = _length[w];
                bool present = false;
                for (int i = 0; i + 1 < len; i++) if (s[i] == a && s[i + 1] == b) { present = true; break; }
                if (!present) continue;
                AddPairs(w, -1, -1);
                int o = 0;
                for (int i = 0; i < len; i++)
                {
                    if (i + 1 < len && s[i] == a && s[i + 1] == b) { s[o++] = merged; i++; }
                    else s[o++] = s[i];
                }
                _length[w] = o;
                AddPairs(w, +1, merged);
            }
            // Requeue the pairs the new piece takes part in (their counts only grew from zero).
            _pairs.Remove(Key(a, b));
            foreach (int w in affected)
            {
                if (_stamp[w] != _stampNow) continue;
                _stamp[w] = -_stampNow;   // once per word
                var s = _words[w];
                for (int i = 0; i + 1 < _length[w]; i++)
                {
                    if (s[i] != merged && s[i + 1] != merged) continue;
                    long key = Key(s[i], s[i + 1]);
                    if (_pairs.TryGetValue(key, out var p) && !_queued.Contains(key)) { _queued.Add(key); Push(key, p.Count); }
                }
            }
            _queued.Clear();
        }

        readonly HashSet<long> _queued = [];
    }
}
