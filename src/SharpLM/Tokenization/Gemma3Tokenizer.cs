namespace SharpLM.Tokenization;

/// <summary>
/// The Gemma 3 tokenizer (and any SentencePiece-style byte-fallback BPE tokenizer in the same format, such as
/// those <see cref="BpeTrainer"/> makes): encodes text to ids exactly as Hugging Face <c>tokenizers</c> does and
/// decodes ids back to text. Pure managed code; thread-safe (each thread encodes with its own scratch memory; the
/// cache of encoded words is shared, see <see cref="SharedWordCache"/>).
/// </summary>
/// <remarks>
/// <para>Pipeline (Hugging Face's, step for step): added tokens such as <c>&lt;start_of_turn&gt;</c> are cut out
/// of the raw text (leftmost-longest); each remaining stretch is normalized (' ' → '▁'), pre-tokenized (Gemma's
/// Split on ' ' finds nothing after normalization, so BPE runs over the whole stretch), and BPE-encoded with
/// byte fallback. <c>addBos</c> applies the post-processor template (<c>&lt;bos&gt;</c> for Gemma).</para>
/// <para>Text that is not valid Unicode: a .NET string may hold lone UTF-16 surrogates, which no UTF-8 based
/// tokenizer can see; each becomes U+FFFD (what <see cref="System.Text.Encoding.UTF8"/> and Rust's lossy UTF-16
/// decoding produce). Invalid UTF-8 given to <see cref="EncodeUtf8"/> is decoded the same way, one U+FFFD per
/// maximal invalid subsequence (Rust's <c>String::from_utf8_lossy</c>). U+FFFD then encodes like any character.
/// The encoder never throws on any input.</para>
/// </remarks>
public sealed class Gemma3Tokenizer
{
    readonly TokenizerDefinition _def;
    readonly BpeEncoder _bpe;
    readonly AddedTokenMatcher _rawMatcher;
    readonly AddedTokenMatcher _normalizedMatcher;
    readonly TextNormalizer _normalizer;
    readonly PreTokenizer _preTokenizer;
    readonly TokenDecoder _decoder;
    // Per thread, freed with its thread (a scratch grows to the longest text its thread encoded); only the small
    // counters of every thread that has encoded are kept, for WordCacheCounts.
    readonly ThreadLocal<EncoderScratch> _scratch;
    readonly List<EncoderCounters> _counters = [];

    internal TokenizerDefinition Definition => _def;
    internal TokenDecoder Decoder => _decoder;
    /// <summary>Whether pieces are looked up in prefetched blocks (default) or one by one (tests and benchmarks compare the two).</summary>
    internal bool PipelinedLookups { get => _bpe.PipelinedLookups; set => _bpe.PipelinedLookups = value; }
    /// <summary>Whether short pieces are looked up in the dense <see cref="ShortWordCache"/> first (default) or only in the shared records.</summary>
    internal bool ShortWords { get => _bpe.ShortWords; set => _bpe.ShortWords = value; }
    /// <summary>Whether the shared word records get 16-bit tags (set before the first encode; benchmarks compare).</summary>
    internal bool NarrowTags { get => _bpe.NarrowTags; set => _bpe.NarrowTags = value; }
    /// <summary>log2 of the short-word table's lines (set before the first encode; benchmarks compare sizes).</summary>
    internal int ShortWordLineBits { get => _bpe.ShortWordLineBits; set => _bpe.ShortWordLineBits = value; }

    /// <summary>Of the word-cache hits, those the <see cref="ShortWordCache"/> answered, summed over every thread (call while no thread encodes).</summary>
    internal long ShortWordHits()
    {
        long h = 0;
        lock (_counters) foreach (var c in _counters) h += c.ShortHits;
        return h;
    }

    /// <summary>Front-table refills (lines written after a miss) and refills skipped as already there, summed over every thread (call while no thread encodes).</summary>
    internal (long Refills, long Skipped) ShortWordRefills()
    {
        long r = 0, k = 0;
        lock (_counters) foreach (var c in _counters) { r += c.ShortRefills; k += c.ShortRefillsSkipped; }
        return (r, k);
    }

    /// <summary>Word-cache counts summed over every thread that has encoded (diagnostics; call while no thread encodes).</summary>
    /// <returns>Hits, misses (pieces BPE-encoded), and of the misses, pieces too long for any cache and pieces too big for a shared record.</returns>
    internal (long Hits, long Misses, long LongPieces, long OverflowMisses) WordCacheCounts()
    {
        long h = 0, m = 0, l = 0, o = 0;
        lock (_counters)
            foreach (var c in _counters) { h += c.Hits; m += c.Misses; l += c.LongPieces; o += c.OverflowMisses; }
        return (h, m, l, o);
    }

    EncoderScratch NewScratch()
    {
        var s = new EncoderScratch();
        lock (_counters) _counters.Add(s.Counts);
        return s;
    }

    internal Gemma3Tokenizer(TokenizerDefinition def) : this(def, LookupTableMemory.HugePagesByDefault) { }

    /// <summary>Another tokenizer over the same definition, its lookup tables on huge pages or not (benchmarks compare the two in one process).</summary>
    internal Gemma3Tokenizer WithHugePages(bool hugePages) => new(_def, hugePages);

    /// <summary>
    /// Whether the merge table and the shared word cache got the huge-page advice (see <see cref="LookupTableMemory"/>);
    /// the word cache's is null until the first encode makes it.
    /// </summary>
    internal (LookupTableMemory.PageMode Merges, LookupTableMemory.PageMode? WordCache) LookupTableModes => _bpe.LookupTableModes;
    internal BpeEncoder Encoder => _bpe;

    internal Gemma3Tokenizer(TokenizerDefinition def, bool hugePages)
    {
        _def = def;
        _scratch = new ThreadLocal<EncoderScratch>(NewScratch);
        _normalizer = new TextNormalizer(def.Normalizer, def.Source);
        _preTokenizer = new PreTokenizer(def.PreTokenizer);
        // The decoder tables and the added-token tries are independent of the merge table: build them on another core.
        var side = Task.Run(() => (
            new TokenDecoder(def),
            new AddedTokenMatcher(def.AddedTokens.Where(t => !t.Normalized), t => t.Content),
            new AddedTokenMatcher(def.AddedTokens.Where(t => t.Normalized), t => _normalizer.Apply(t.Content))));
        var merges = new MergeTable(def.MergeLeft.Length, hugePages);
        merges.SetAll(def.MergeLeft, def.MergeRight, def.MergeResult);
        _bpe = new BpeEncoder(def, merges, hugePages);
        (_decoder, _rawMatcher, _normalizedMatcher) = side.GetAwaiter().GetResult();

        int Named(string? configured, string gemmaName)
        {
            if (configured is not null && def.Pieces.Find(configured.AsSpan()) is >= 0 and var c) return c;
            return def.Pieces.Find(gemmaName.AsSpan());
        }
        BosId = Named(def.BosToken, "<bos>");
        if (BosId < 0 && def.TemplatePrefix.Length > 0) BosId = def.TemplatePrefix[0];
        EosId = def.Pieces.Find("<eos>".AsSpan());
        if (EosId < 0 && def.EosToken is not null) EosId = def.Pieces.Find(def.EosToken.AsSpan());
        EndOfTurnId = def.Pieces.Find("<end_of_turn>".AsSpan());
        PadId = Named(def.PadToken, "<pad>");
    }

    // ---------------------------------------------------------------- loading

    /// <summary>
    /// Loads a tokenizer from <paramref name="source"/>: a <c>tokenizer.json</c> (with <c>tokenizer_config.json</c>
    /// beside it when present), a SentencePiece <c>tokenizer.model</c>, a GGUF file (its <c>tokenizer.ggml.*</c>
    /// metadata), or a model directory holding one of these (tokenizer.json preferred). The kind of file is recognised by its content, not its name.
    /// </summary>
    /// <exception cref="SharpLMDataException">Missing, truncated, corrupt or of an unsupported kind.</exception>
    public static Gemma3Tokenizer Load(string source)
    {
        if (Directory.Exists(source))
        {
            string json = Path.Combine(source, "tokenizer.json");
            if (File.Exists(json)) return FromTokenizerJson(json);
            string model = Path.Combine(source, "tokenizer.model");
            if (File.Exists(model)) return FromSentencePieceModel(model);
            var ggufs = Directory.GetFiles(source, "*.gguf");
            if (ggufs.Length == 1) return FromGgufFile(ggufs[0]);
            throw new SharpLMDataException(source, ggufs.Length > 1
                ? "no tokenizer.json or tokenizer.model, and several .gguf files: name the one to use"
                : "no tokenizer.json, tokenizer.model or .gguf file in this directory");
        }
        if (!File.Exists(source)) throw new SharpLMDataException(source, "file not found");
        string ext = Path.GetExtension(source).ToLowerInvariant();
        var kind = ext == ".json" ? FileKind.Json : ext == ".model" ? FileKind.SentencePiece : SniffKind(source);
        switch (kind)
        {
            case FileKind.Json: return FromTokenizerJson(source);
            case FileKind.SentencePiece: return FromSentencePieceModel(source);
            case FileKind.Gguf: return FromGgufFile(source);
            case FileKind.Empty: throw new SharpLMDataException(source, "empty file");
            default:
                try { return FromSentencePieceModel(source); }
                catch (SharpLMDataException e) when (e.Path == source)
                {
                    throw new SharpLMDataException(source, $"not a tokenizer.json, tokenizer.model or GGUF file (read as a SentencePiece model: {e.Reason})");
                }
        }
    }

    enum FileKind { Empty, Json, SentencePiece, Gguf, Other }

    static FileKind SniffKind(string path)
    {
        Span<byte> head = stackalloc byte[64];
        int n;
        try
        {
            using var f = File.OpenRead(path);
            n = f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        catch (IOException e) { throw new SharpLMDataException(path, $"cannot read: {e.Message}"); }
        catch (UnauthorizedAccessException e) { throw new SharpLMDataException(path, $"cannot read: {e.Message}"); }
        var h = head[..n];
        if (h.StartsWith("GGUF"u8)) return FileKind.Gguf;
        if (h.StartsWith("\uFEFF"u8)) h = h[3..];
        h = h.TrimStart(" \t\r\n"u8);
        if (h.IsEmpty) return n == 0 ? FileKind.Empty : FileKind.Json;
        return h[0] is (byte)'{' or (byte)'[' ? FileKind.Json : FileKind.Other;
    }

    /// <summary>Reads a Hugging Face <c>tokenizer.json</c>; <paramref name="configPath"/> defaults to <c>tokenizer_config.json</c> beside it.</summary>
    public static Gemma3Tokenizer FromTokenizerJson(string path, string? configPath = null)
    {
        configPath ??= Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", "tokenizer_config.json");
        return new Gemma3Tokenizer(TokenizerJsonReader.Read(path, configPath));
    }

    /// <summary>
    /// Reads a SentencePiece <c>tokenizer.model</c> (BPE, identity normalization, as Gemma's) and builds the
    /// tokenizer Hugging Face's conversion makes from it: merges from the piece scores, control pieces as special
    /// tokens, user-defined pieces as added tokens.
    /// </summary>
    public static Gemma3Tokenizer FromSentencePieceModel(string path) => new(SentencePieceModelReader.Read(path));

    /// <summary>Reads the tokenizer stored in a GGUF file's metadata (see <see cref="FromGguf"/>).</summary>
    public static Gemma3Tokenizer FromGgufFile(string path)
    {
        using var file = SharpLM.Formats.Gguf.GgufFile.Open(path);
        var data = file.ReadTokenizer() ?? throw new SharpLMDataException(path, "this GGUF file has no tokenizer (no tokenizer.ggml.tokens)");
        return FromGguf(data, path);
    }

    /// <summary>
    /// Builds the tokenizer from GGUF metadata (<c>tokenizer.ggml.*</c>). For the SentencePiece (<c>llama</c>) model
    /// the merges are derived from the scores exactly as Hugging Face derives them from tokenizer.model, so a GGUF
    /// written by <see cref="ToGguf"/> encodes id-for-id as the tokenizer.json it came from.
    /// </summary>
    /// <param name="source">Names the data in error messages (the GGUF file's path).</param>
    public static Gemma3Tokenizer FromGguf(GgufTokenizerData data, string source = "GGUF tokenizer")
    {
        if (data.Model != "llama")
            throw new SharpLMDataException(source, $"tokenizer.ggml.model '{data.Model}' is not supported (Gemma uses 'llama', SentencePiece BPE)");
        return new Gemma3Tokenizer(SentencePieceDefinition.Build(new SentencePieceDefinition.Input
        {
            Source = source,
            Pieces = data.Tokens,
            Scores = data.Scores,
            Types = data.TokenTypes,
            Merges = data.Merges,
            BosId = data.BosId,
            EosId = data.EosId,
            UnknownId = data.UnknownId,
            PadId = data.PaddingId,
            AddBos = data.AddBos,
            AddEos = data.AddEos,
            AddSpacePrefix = data.AddSpacePrefix,
            ChatTemplate = data.ChatTemplate,
        }));
    }

    /// <summary>
    /// This tokenizer as GGUF metadata in llama.cpp's SentencePiece form: every id's text, scores that reproduce the
    /// merge order (checked: the merges rebuilt from the scores must equal this tokenizer's, else this throws),
    /// token types (special added tokens CONTROL, other added tokens USER_DEFINED, &lt;0xNN&gt; BYTE, the unknown
    /// token UNKNOWN), special ids, flags and the Jinja chat template.
    /// </summary>
    /// <exception cref="SharpLMDataException">The tokenizer cannot be expressed in this form.</exception>
    public GgufTokenizerData ToGguf()
    {
        int n = VocabSize;
        bool identityReplace = _def.Normalizer.All(s => s is NormalizerStep.Replace { Pattern: " ", Content: "\u2581" } or NormalizerStep.Prepend { Text: "\u2581" })
            && _def.Normalizer.OfType<NormalizerStep.Replace>().Any();
        if (!identityReplace)
            throw new SharpLMDataException(_def.Source, "only SentencePiece-style tokenizers (normalizer: spaces → ▁) can be written as GGUF 'llama' metadata");
        if (_def.IgnoreMerges)
            throw new SharpLMDataException(_def.Source, "ignore_merges=true cannot be expressed as GGUF 'llama' metadata");
        var scores = SentencePieceMerges.ScoresFor(_def, n)
            ?? throw new SharpLMDataException(_def.Source, "the merge order cannot be expressed as SentencePiece scores (merges were not made from a scored vocabulary)");
        var tokens = new string[n];
        var types = new int[n];
        for (int id = 0; id < n; id++)
        {
            tokens[id] = _def.Pieces.Text(id);
            types[id] = _decoder.ByteValueOf(id) >= 0 ? GgufTokenizerData.TokenType.Byte : GgufTokenizerData.TokenType.Normal;
        }
        foreach (var a in _def.AddedTokens)
            types[a.Id] = a.Special ? GgufTokenizerData.TokenType.Control : GgufTokenizerData.TokenType.UserDefined;
        if (UnknownId >= 0) types[UnknownId] = GgufTokenizerData.TokenType.Unknown;
        return new GgufTokenizerData
        {
            Model = "llama",
            Pre = "default",
            Tokens = tokens,
            Scores = scores,
            TokenTypes = types,
            Merges = null,
            BosId = BosId,
            EosId = EosId,
            UnknownId = UnknownId,
            PaddingId = PadId,
            AddBos = AddBosByDefault,
            AddEos = _def.TemplateSuffix.Length > 0,
            AddSpacePrefix = _def.Normalizer.Any(s => s is NormalizerStep.Prepend),
            ChatTemplate = _def.ChatTemplate ?? ChatTemplate.GemmaJinja,
        };
    }

    /// <summary>
    /// Writes this tokenizer as a Hugging Face <c>tokenizer.json</c> (atomically), loadable by Hugging Face tokenizers
    /// and by <see cref="Load"/> with the same ids.
    /// </summary>
    public void SaveTokenizerJson(string path)
    {
        using var w = SharpLM.IO.AtomicFile.Create(path);
        TokenizerJsonWriter.Write(_def, w.Stream);
        w.Commit();
    }

    // ---------------------------------------------------------------- vocabulary

    /// <summary>Number of ids: the BPE vocabulary plus tokens that exist only as added tokens (262,145 for Gemma 3, whose <c>&lt;image_soft_token&gt;</c> is 262144).</summary>
    public int VocabSize => _def.Pieces.Count;
    /// <summary>Number of BPE merge rules.</summary>
    public int MergeCount => _def.MergeLeft.Length;
    /// <summary>Id of <c>&lt;bos&gt;</c> (2 for Gemma), or −1.</summary>
    public int BosId { get; }
    /// <summary>Id of <c>&lt;eos&gt;</c> (1 for Gemma: end of text for pre-trained models), or −1.</summary>
    public int EosId { get; }
    /// <summary>Id of <c>&lt;end_of_turn&gt;</c> (106 for Gemma: end of an instruction-tuned reply), or −1.</summary>
    public int EndOfTurnId { get; }
    /// <summary>Id of <c>&lt;pad&gt;</c>, or −1.</summary>
    public int PadId { get; }
    /// <summary>Id of the unknown token, or −1.</summary>
    public int UnknownId => _def.UnknownId;
    /// <summary>Ids at which generation stops: <see cref="EosId"/> and <see cref="EndOfTurnId"/>, those that exist.</summary>
    public IReadOnlyList<int> StopIds => new[] { EosId, EndOfTurnId }.Where(i => i >= 0).Distinct().ToArray();
    /// <summary>Whether this tokenizer's configuration adds BOS when encoding a plain prompt (true for Gemma).</summary>
    public bool AddBosByDefault => _def.AddBosByDefault;
    /// <summary>The tokens matched whole in text (special and user-defined), in id order.</summary>
    public IReadOnlyList<AddedToken> AddedTokens => _def.AddedTokens;
    /// <summary>The Jinja chat template shipped with the tokenizer, if any (informational; <see cref="ChatTemplate"/> renders Gemma's).</summary>
    public string? ChatTemplateSource => _def.ChatTemplate;

    /// <summary>The vocabulary text of <paramref name="id"/> (spaces shown as ▁, byte tokens as <c>&lt;0xNN&gt;</c>).</summary>
    public string TokenText(int id)
    {
        if ((uint)id >= (uint)VocabSize) throw new ArgumentOutOfRangeException(nameof(id), $"token id {id} is outside the vocabulary (0…{VocabSize - 1})");
        return _def.Pieces.Text(id);
    }

    /// <summary>The id whose vocabulary text is exactly <paramref name="token"/>, or −1.</summary>
    public int TokenId(string token) => _def.Pieces.Find(token.AsSpan());

    /// <summary>Whether <paramref name="id"/> is a special token (skipped by <c>Decode(…, skipSpecialTokens: true)</c>).</summary>
    public bool IsSpecial(int id) => (uint)id < (uint)VocabSize && _decoder.IsSpecial(id);

    // ---------------------------------------------------------------- encoding

    /// <summary>Encodes <paramref name="text"/>.</summary>
    /// <param name="addBos">Add the post-processor's tokens (<c>&lt;bos&gt;</c> first for Gemma), as HF's <c>add_special_tokens=True</c>.</param>
    /// <param name="parseSpecial">Recognise special tokens written in the text (false: "&lt;bos&gt;" in text is encoded as plain characters; user-defined tokens such as <c>&lt;unused0&gt;</c> still match, as in HF).</param>
    public int[] Encode(string text, bool addBos = false, bool parseSpecial = true) =>
        Encode(text.AsSpan(), addBos, parseSpecial);

    /// <inheritdoc cref="Encode(string, bool, bool)"/>
    public int[] Encode(ReadOnlySpan<char> text, bool addBos = false, bool parseSpecial = true)
    {
        var s = _scratch.Value!;
        s.Output.Clear();
        EncodeInto(text, addBos, parseSpecial, s, s.Output);
        return s.Output.Span.ToArray();
    }

    /// <summary>Encodes <paramref name="text"/>, appending the ids to <paramref name="output"/> (no intermediate array).</summary>
    public void Encode(ReadOnlySpan<char> text, List<int> output, bool addBos = false, bool parseSpecial = true)
    {
        var s = _scratch.Value!;
        s.Output.Clear();
        EncodeInto(text, addBos, parseSpecial, s, s.Output);
        output.AddRange(s.Output.Span);
    }

    /// <summary>Encodes UTF-8 text; invalid sequences become U+FFFD (see remarks on the class).</summary>
    public int[] EncodeUtf8(ReadOnlySpan<byte> utf8, bool addBos = false, bool parseSpecial = true)
    {
        var chars = System.Buffers.ArrayPool<char>.Shared.Rent(Math.Max(16, utf8.Length + 1));
        try
        {
            int n = System.Text.Encoding.UTF8.GetChars(utf8, chars);
            return Encode(chars.AsSpan(0, n), addBos, parseSpecial);
        }
        finally
        {
            System.Buffers.ArrayPool<char>.Shared.Return(chars);
        }
    }

    /// <summary>
    /// Encodes many texts in parallel; the result at index i is the encoding of <c>texts[i]</c>, identical to
    /// calling <see cref="Encode(string, bool, bool)"/> on it.
    /// </summary>
    /// <remarks>Batches run on the calling thread plus the process's batch workers (see <see cref="BatchWorkers"/>);
    /// a batch started while another one holds them (from a second thread) runs whole on its own thread. An
    /// exception from reading a text is rethrown here as itself.</remarks>
    /// <param name="maxThreads">Threads, the caller's included; −1 (or more than the cores) uses every core.</param>
    public int[][] EncodeBatch(IReadOnlyList<string> texts, bool addBos = false, bool parseSpecial = true, int maxThreads = -1)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var results = new int[texts.Count][];
        int workers = Workers(texts.Count, maxThreads);
        Timeline?.Begin(workers);
        ForEachText(texts.Count, workers, (_, i) => results[i] = Encode(texts[i], addBos, parseSpecial));
        Timeline?.End(encodeEnd: true);
        return results;
    }

    /// <summary>
    /// Encodes many texts in parallel into <paramref name="into"/> (replacing its contents): one id buffer and
    /// offsets instead of an array per text, so a reused <see cref="TokenBatch"/> makes batch encoding
    /// allocation-free (no garbage collection pausing the workers). Text i's ids equal <c>Encode(texts[i])</c>.
    /// </summary>
    /// <param name="maxThreads">Threads, the caller's included; −1 (or more than the cores) uses every core.</param>
    public void EncodeBatch(IReadOnlyList<string> texts, TokenBatch into, bool addBos = false, bool parseSpecial = true, int maxThreads = -1)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(into);
        int count = texts.Count, workers = Workers(count, maxThreads);
        into.Reset(count, workers);
        Timeline?.Begin(workers);
        ForEachText(count, workers, (w, i) =>
        {
            // Each worker appends to its own part and records where (the batch reads texts from there, see TokenBatch).
            var part = into.Parts[w];
            int start = part.Count;
            EncodeInto(texts[i].AsSpan(), addBos, parseSpecial, _scratch.Value!, part);
            ref var slot = ref into.Slots[i];
            slot.Part = w;
            slot.Start = start;
            slot.Length = part.Count - start;
        });
        Timeline?.End(encodeEnd: true);
        if (into.Layout(count, workers, PlaceIds)) ForEachText(count, workers, (_, i) => into.Place(i), traced: false);
        Timeline?.End(encodeEnd: false);
    }

    /// <summary>
    /// Whether a multi-thread <see cref="EncodeBatch(IReadOnlyList{string}, TokenBatch, bool, bool, int)"/> copies every
    /// id into the batch's contiguous buffer before returning (session 9), or leaves them in the workers' parts until a
    /// caller reads <see cref="TokenBatch.Ids"/> (default). Default from <see cref="TokenBatch.PlaceIdsByDefault"/>;
    /// benchmarks set it per tokenizer to A/B the two in one process.
    /// </summary>
    internal bool PlaceIds { get; set; } = TokenBatch.PlaceIdsByDefault;

    int Workers(int count, int maxThreads)
    {
        int most = _threads?.MaxThreads ?? Environment.ProcessorCount; // the shared pool's size, without making it for a one-thread batch
        return Math.Max(1, Math.Min(count, maxThreads > 0 ? Math.Min(maxThreads, most) : most));
    }

    /// <summary>The threads of this tokenizer's multi-thread batches: <see cref="BatchWorkers.Shared"/> unless a test sets its own.</summary>
    internal BatchWorkers Threads { get => _threads ?? BatchWorkers.Shared; set => _threads = value; }
    BatchWorkers? _threads;

    /// <summary>
    /// Runs <paramref name="encode"/>(worker, i) for i = 0 … count−1 on <paramref name="workers"/> threads (the
    /// caller's among them), each taking the next index from a shared counter: no thread idles while texts remain,
    /// however uneven their lengths. Threads need no affinity to texts since the word cache is shared.
    /// </summary>
    void ForEachText(int count, int workers, Action<int, int> encode, bool traced = true)
    {
        if (workers <= 1)
        {
            for (int i = 0; i < count; i++) encode(0, i);
            return;
        }
        if (traced && Timeline is { } timeline) encode = timeline.Wrap(encode);
        if (BatchThreading == BatchThreadingKind.ParallelFor) ForEachTextParallelFor(count, workers, encode);
        else Threads.ForEach(count, workers, encode);
    }

    /// <summary>How multi-thread batches get their threads (benchmarks compare the two in one process).</summary>
    internal enum BatchThreadingKind { PersistentWorkers, ParallelFor }

    /// <summary>Default <see cref="BatchThreadingKind.PersistentWorkers"/> (see <see cref="BatchWorkers"/>).</summary>
    internal BatchThreadingKind BatchThreading { get; set; }

    /// <summary>Diagnostics (benchmarks): when set, multi-thread batches record where their time went (see <see cref="BatchTimeline"/>).</summary>
    internal BatchTimeline? Timeline { get; set; }

    /// <summary>The earlier threading, kept to measure against: a <c>Parallel.For</c> over the workers per call.</summary>
    static void ForEachTextParallelFor(int count, int workers, Action<int, int> encode)
    {
        int next = -1;
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
        {
            for (int i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next)) encode(w, i);
        });
    }

    void EncodeInto(ReadOnlySpan<char> text, bool addBos, bool parseSpecial, EncoderScratch s, IdList output)
    {
        text = ReplaceLoneSurrogates(text, s);
        if (addBos) output.AddRange(_def.TemplatePrefix);
        var splits = s.RawSplits;
        splits.Clear();
        if (_rawMatcher.Cut(text, parseSpecial, splits))
        {
            foreach (var sp in splits)
            {
                if (sp.Id >= 0) output.Add(sp.Id);
                else EncodeStretch(text[sp.Start..sp.End], parseSpecial, s, output);
            }
        }
        else EncodeStretch(text, parseSpecial, s, output);
        if (addBos) output.AddRange(_def.TemplateSuffix);
    }

    /// <summary>Text between raw-matched added tokens: normalize, match normalized added tokens, pre-tokenize, BPE.</summary>
    void EncodeStretch(ReadOnlySpan<char> stretch, bool parseSpecial, EncoderScratch s, IdList output)
    {
        if (stretch.IsEmpty) return;
        var normalized = _normalizer.Apply(stretch, s);
        var splits = s.NormalizedSplits;
        splits.Clear();
        if (_normalizedMatcher.Cut(normalized, parseSpecial, splits))
        {
            foreach (var sp in splits)
            {
                if (sp.Id >= 0) output.Add(sp.Id);
                else EncodeWords(normalized[sp.Start..sp.End], s, output);
            }
        }
        else EncodeWords(normalized, s, output);
    }

    void EncodeWords(ReadOnlySpan<char> normalized, EncoderScratch s, IdList output)
    {
        if (normalized.IsEmpty) return;
        var words = s.Words;
        _preTokenizer.Split(normalized, s, words);
        foreach (var (start, end) in words) _bpe.EncodeWord(normalized[start..end], s, output);
    }

    /// <summary>Returns <paramref name="text"/>, or a copy in scratch memory with each lone surrogate replaced by U+FFFD.</summary>
    static ReadOnlySpan<char> ReplaceLoneSurrogates(ReadOnlySpan<char> text, EncoderScratch s)
    {
        int i = text.IndexOfAnyInRange('\uD800', '\uDFFF');
        if (i < 0) return text;
        char[]? copy = null;
        for (; i < text.Length; i++)
        {
            char c = text[i];
            if (!char.IsSurrogate(c)) continue;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            if (copy is null)
            {
                if (s.Clean.Length < text.Length) s.Clean = new char[Math.Max(text.Length, s.Clean.Length * 2)];
                copy = s.Clean;
                text.CopyTo(copy);
            }
            copy[i] = '\uFFFD';
        }
        return copy is null ? text : copy.AsSpan(0, text.Length);
    }

    // ---------------------------------------------------------------- decoding

    /// <summary>Decodes ids to text (▁ → space, byte tokens joined into UTF-8, as Hugging Face's decoder).</summary>
    /// <param name="skipSpecialTokens">Leave out special tokens such as <c>&lt;bos&gt;</c> and <c>&lt;end_of_turn&gt;</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside the vocabulary.</exception>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false) => _decoder.Decode(ids, skipSpecialTokens);

    /// <summary>A decoder for generated ids one at a time; see <see cref="StreamingDetokenizer"/>.</summary>
    public StreamingDetokenizer NewStreamingDetokenizer(bool skipSpecialTokens = false) => new(_decoder, skipSpecialTokens);
}
