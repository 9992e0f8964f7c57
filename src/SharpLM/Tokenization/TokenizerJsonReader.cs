using System.Buffers;
using System.Text;
using System.Text.Json;

namespace SharpLM.Tokenization;

/// <summary>
/// Reads a Hugging Face <c>tokenizer.json</c> with a forward-only <see cref="Utf8JsonReader"/>: the vocabulary
/// and merges (hundreds of thousands of entries) go straight into a <see cref="PieceTable"/> and id arrays with
/// no DOM and no string per entry. Only the small transform sections (normalizer, pre-tokenizer, decoder,
/// post-processor) are read as DOM fragments.
/// </summary>
/// <remarks>
/// Supported: model <c>BPE</c> (byte fallback, unknown-token fusing, ignore_merges, no dropout, no subword
/// prefix/suffix); normalizers <c>Replace</c> (literal), <c>Prepend</c>, <c>Sequence</c>; pre-tokenizer <c>Split</c>
/// on a literal, or <c>Sequence</c> of those; decoders <c>Replace</c>, <c>ByteFallback</c>, <c>Fuse</c>, <c>Strip</c>;
/// post-processor <c>TemplateProcessing</c>. That covers Gemma 1–3 and tokenizers trained by
/// <see cref="BpeTrainer"/>. Anything else is refused with a message naming it, never approximated.
/// </remarks>
internal static class TokenizerJsonReader
{
    /// <summary>Files above this are refused before reading (the Gemma 3 file is 33 MB).</summary>
    public const long MaxFileBytes = 1L << 30;

    public static TokenizerDefinition Read(string path, string? configPath = null)
    {
        var config = configPath is not null && File.Exists(configPath) ? TokenizerConfig.Read(configPath) : null;
        // Parse straight from a read-only memory map: the 33 MB file never becomes a managed array.
        using var file = OpenMapped(path, MaxFileBytes);
        return Parse(file.Span(0, (int)file.Length), path, config);
    }

    /// <summary>Maps <paramref name="path"/> after checking its size (an empty file is refused by the map).</summary>
    internal static SharpLM.IO.MappedFile OpenMapped(string path, long maxBytes)
    {
        long length;
        try { length = new FileInfo(path).Length; }
        catch (FileNotFoundException) { throw new SharpLMDataException(path, "file not found"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        { throw new SharpLMDataException(path, $"cannot read: {e.Message}"); }
        if (length > maxBytes)
            throw new SharpLMDataException(path, $"file is {length:N0} bytes; a tokenizer file over {maxBytes:N0} bytes is refused");
        return SharpLM.IO.MappedFile.Open(path);
    }

    internal static byte[] ReadBounded(string path)
    {
        FileInfo info;
        try { info = new FileInfo(path); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        { throw new SharpLMDataException(path, "not a valid path"); }
        if (!info.Exists) throw new SharpLMDataException(path, "file not found");
        if (info.Length > MaxFileBytes)
            throw new SharpLMDataException(path, $"file is {info.Length:N0} bytes; a tokenizer file over {MaxFileBytes:N0} bytes is refused");
        try { return File.ReadAllBytes(path); }
        catch (IOException e) { throw new SharpLMDataException(path, $"cannot read: {e.Message}"); }
        catch (UnauthorizedAccessException e) { throw new SharpLMDataException(path, $"cannot read: {e.Message}"); }
    }

    /// <summary>Parses tokenizer.json bytes; <paramref name="path"/> names them in errors.</summary>
    public static TokenizerDefinition Parse(ReadOnlySpan<byte> json, string path, TokenizerConfig? config = null)
    {
        if (json.IsEmpty) throw new SharpLMDataException(path, "empty file");
        var reader = new Utf8JsonReader(json, ReaderOptions);
        var parser = new Parser(path, config);
        try
        {
            return parser.Run(ref reader, json);
        }
        catch (JsonException e)
        {
            throw new SharpLMDataException(path, $"not valid JSON ({Trim(e.Message)})", parser.Offset + reader.TokenStartIndex);
        }
        catch (InvalidOperationException e)
        {
            // Utf8JsonReader.Get* on a token of the wrong kind.
            throw new SharpLMDataException(path, $"unexpected JSON value ({e.Message})", parser.Offset + reader.TokenStartIndex);
        }
    }

    /// <summary>Read the merges with <see cref="MergeListScanner"/> (false: with Utf8JsonReader only; for tests and the load benchmark, which compare the two).</summary>
    internal static bool UseMergeScanner = true;

    static readonly JsonReaderOptions ReaderOptions = new() { CommentHandling = JsonCommentHandling.Skip, MaxDepth = 64 };

    /// <summary>
    /// The reader's state just after the closing ']' of <c>{"model": {"merges": [ … ]</c>: where reading goes on
    /// after <see cref="MergeListScanner"/> has read the merges array (the nesting is the same in every file, since
    /// the model is a top-level member and merges a member of it).
    /// </summary>
    static readonly JsonReaderState AfterMergesState = StateAfter("{\"model\":{\"merges\":[]"u8);

    static JsonReaderState StateAfter(ReadOnlySpan<byte> prefix)
    {
        var r = new Utf8JsonReader(prefix, isFinalBlock: false, new JsonReaderState(ReaderOptions));
        while (r.Read() && r.TokenType != JsonTokenType.EndArray) { }
        if (r.TokenType != JsonTokenType.EndArray || r.CurrentDepth != 2) throw new InvalidOperationException("reader state prefix");
        return r.CurrentState;
    }

    static string Trim(string message)
    {
        int i = message.IndexOf(" LineNumber", StringComparison.Ordinal);
        return i > 0 ? message[..i].TrimEnd('.', ' ') : message;
    }

    sealed class Parser(string path, TokenizerConfig? config)
    {
        readonly PieceTable.Builder _vocab = new();
        int _modelVocab;
        // Merge texts are collected while reading and resolved to ids afterwards, in parallel (JSON objects are
        // unordered, and three hash lookups per merge are most of the load time).
        readonly MergeTexts _merges = new();
        // Resolves merges on another core while the merges are still being read (when the vocabulary and the added
        // tokens came first, as in every file Hugging Face writes); null: resolved after reading.
        MergeResolver? _early;
        (int Entries, int Used) _vocabMark;
        bool _sawAddedTokens;
        /// <summary>Where the current reader's input starts in the file (it is restarted after the merges array).</summary>
        public long Offset { get; private set; }
        readonly List<AddedTokenJson> _added = [];
        byte[] _scratch = new byte[256];
        string? _modelType;
        string? _unkToken;
        bool _byteFallback, _fuseUnk, _ignoreMerges, _sawModel, _sawVocab;
        IReadOnlyList<NormalizerStep> _normalizer = [];
        IReadOnlyList<SplitRule> _preTokenizer = [];
        IReadOnlyList<DecoderStep>? _decoder;
        JsonElement? _postProcessor;

        readonly record struct AddedTokenJson(int Id, string Content, bool Special, bool Normalized, bool LStrip, bool RStrip, bool SingleWord);

        public TokenizerDefinition Run(ref Utf8JsonReader r, ReadOnlySpan<byte> json)
        {
            try
            {
                return RunInner(ref r, json);
            }
            finally
            {
                // A file that failed to parse: stop the early resolver's worker (its results are not used).
                if (_early is not null && !_earlyDone) _early.Cancel();
            }
        }

        bool _earlyDone;

        TokenizerDefinition RunInner(ref Utf8JsonReader r, ReadOnlySpan<byte> json)
        {
            Expect(ref r, JsonTokenType.StartObject, "the file");
            while (Next(ref r) == JsonTokenType.PropertyName)
            {
                if (r.ValueTextEquals("model"u8)) { Next(ref r); ReadModel(ref r, json); }
                else if (r.ValueTextEquals("added_tokens"u8)) { Next(ref r); ReadAddedTokens(ref r); }
                else if (r.ValueTextEquals("normalizer"u8)) { Next(ref r); _normalizer = ReadNormalizer(Fragment(ref r)); }
                else if (r.ValueTextEquals("pre_tokenizer"u8)) { Next(ref r); _preTokenizer = ReadPreTokenizer(Fragment(ref r)); }
                else if (r.ValueTextEquals("decoder"u8)) { Next(ref r); _decoder = ReadDecoder(Fragment(ref r)); }
                else if (r.ValueTextEquals("post_processor"u8)) { Next(ref r); _postProcessor = Fragment(ref r); }
                else { Next(ref r); r.Skip(); }
            }
            if (r.TokenType != JsonTokenType.EndObject) Fail(ref r, "expected a property name");
            if (!_sawModel) throw new SharpLMDataException(path, "no \"model\" section");
            if (!_sawVocab) throw new SharpLMDataException(path, "the model has no \"vocab\"");
            return Build();
        }

        // ---- model ----

        void ReadModel(ref Utf8JsonReader r, ReadOnlySpan<byte> json)
        {
            _sawModel = true;
            Expect(ref r, JsonTokenType.StartObject, "\"model\"");
            while (Next(ref r) == JsonTokenType.PropertyName)
            {
                if (r.ValueTextEquals("type"u8))
                {
                    Next(ref r);
                    _modelType = r.GetString();
                    if (_modelType != "BPE")
                        throw new SharpLMDataException(path, $"unsupported model type '{_modelType}' (only BPE tokenizers are supported)");
                }
                else if (r.ValueTextEquals("vocab"u8)) { Next(ref r); ReadVocab(ref r); }
                else if (r.ValueTextEquals("merges"u8)) { Next(ref r); ReadMerges(ref r, json); }
                else if (r.ValueTextEquals("unk_token"u8)) { Next(ref r); _unkToken = r.TokenType == JsonTokenType.Null ? null : r.GetString(); }
                else if (r.ValueTextEquals("byte_fallback"u8)) { Next(ref r); _byteFallback = Bool(ref r); }
                else if (r.ValueTextEquals("fuse_unk"u8)) { Next(ref r); _fuseUnk = Bool(ref r); }
                else if (r.ValueTextEquals("ignore_merges"u8)) { Next(ref r); _ignoreMerges = Bool(ref r); }
                else if (r.ValueTextEquals("dropout"u8))
                {
                    Next(ref r);
                    if (r.TokenType != JsonTokenType.Null && !(r.TokenType == JsonTokenType.Number && r.GetDouble() == 0))
                        throw new SharpLMDataException(path, "BPE dropout is set; dropout is a training-time randomisation and is not supported (set it to null)");
                }
                else if (r.ValueTextEquals("continuing_subword_prefix"u8) || r.ValueTextEquals("end_of_word_suffix"u8))
                {
                    string name = r.GetString()!;
                    Next(ref r);
                    if (r.TokenType != JsonTokenType.Null && !string.IsNullOrEmpty(r.GetString()))
                        throw new SharpLMDataException(path, $"BPE {name} is not supported (only SentencePiece-style BPE)");
                }
                else { Next(ref r); r.Skip(); }
            }
        }

        void ReadVocab(ref Utf8JsonReader r)
        {
            AbandonEarly();
            _sawVocab = true;
            Expect(ref r, JsonTokenType.StartObject, "\"vocab\"");
            while (Next(ref r) == JsonTokenType.PropertyName)
            {
                var piece = StringBytes(ref r);
                // Copy before advancing: the span may point into the scratch buffer, which the next read reuses.
                int n = piece.Length;
                if (_scratch.Length < n) Array.Resize(ref _scratch, n * 2);
                if (!piece.Overlaps(_scratch)) piece.CopyTo(_scratch);
                Next(ref r);
                int id = 0;
                if (r.TokenType != JsonTokenType.Number || !r.TryGetInt32(out id))
                    Fail(ref r, $"vocab entry '{PieceTable.Show(_scratch.AsSpan(0, n))}' has no integer id");
                _vocab.Add(id, _scratch.AsSpan(0, n));
            }
            _modelVocab = _vocab.EntryCount;
            if (_modelVocab == 0) throw new SharpLMDataException(path, "the vocabulary is empty");
        }

        void ReadMerges(ref Utf8JsonReader r, ReadOnlySpan<byte> json)
        {
            Expect(ref r, JsonTokenType.StartArray, "\"merges\"");
            if (UseMergeScanner && !r.HasValueSequence && Offset == 0)
            {
                var mark = _merges.Mark();
                if (_sawVocab && _sawAddedTokens && _early is null && mark.Pieces == 0)
                {
                    _vocabMark = _vocab.Mark();
                    _early = new MergeResolver(_merges, BuildPieces, _modelVocab, json.Length / 6 + 1);
                    _merges.OnProgress = _early.Publish;
                }
                int end = MergeListScanner.Scan(json, (int)r.TokenStartIndex, _merges);
                _merges.OnProgress = null;
                if (end >= 0)
                {
                    // Go on reading the file after the array, as if the reader had read it.
                    Offset = end;
                    r = new Utf8JsonReader(json[end..], isFinalBlock: true, AfterMergesState);
                    return;
                }
                AbandonEarly();
                _merges.Rollback(mark);   // not the simple form: the reader reads it (or reports what is wrong)
            }
            byte[] leftCopy = new byte[64];
            while (Next(ref r) != JsonTokenType.EndArray)
            {
                if (r.TokenType == JsonTokenType.String)
                {
                    // Legacy form "left right".
                    var s = StringBytes(ref r);
                    int sp = s.IndexOf((byte)' ');
                    if (sp <= 0 || sp == s.Length - 1 || s[(sp + 1)..].IndexOf((byte)' ') >= 0)
                        Fail(ref r, $"merge \"{PieceTable.Show(s)}\" is not two pieces separated by one space");
                    AddMerge(s[..sp], s[(sp + 1)..]);
                }
                else if (r.TokenType == JsonTokenType.StartArray)
                {
                    if (Next(ref r) != JsonTokenType.String) Fail(ref r, "a merge must be two strings");
                    var a = StringBytes(ref r);
                    // The left piece may live in the scratch buffer that reading the right one reuses.
                    if (a.Overlaps(_scratch))
                    {
                        if (leftCopy.Length < a.Length) leftCopy = new byte[a.Length * 2];
                        a.CopyTo(leftCopy);
                        a = leftCopy.AsSpan(0, a.Length);
                    }
                    if (Next(ref r) != JsonTokenType.String) Fail(ref r, "a merge must be two strings");
                    AddMerge(a, StringBytes(ref r));
                    if (Next(ref r) != JsonTokenType.EndArray) Fail(ref r, "a merge must be exactly two strings");
                }
                else Fail(ref r, "a merge must be a string or an array of two strings");
            }
        }

        void AddMerge(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
        {
            _merges.Add(a);
            _merges.Add(b);
        }

        /// <summary>
        /// The early resolver's inputs changed (a second vocabulary or added-token section, or merges the scanner does
        /// not read): stop it and undo what it added, so that everything is resolved after reading, as without it.
        /// </summary>
        void AbandonEarly()
        {
            if (_early is null) return;
            _early.Cancel();
            _early = null;
            _vocab.Rollback(_vocabMark);
        }

        /// <summary>The table of every id: the vocabulary, then added tokens that extend past it (early on the resolver's worker, or in <see cref="Build"/>).</summary>
        PieceTable BuildPieces()
        {
            foreach (var a in _added)
                if (a.Id >= _modelVocab) _vocab.Add(a.Id, a.Content);
            return _vocab.Build(path, _added.Count > 0 ? "vocab + added_tokens" : "vocab");
        }

        /// <summary>
        /// Ids of every merge's two pieces and of their concatenation, all of which must be in the model
        /// vocabulary. Runs on all cores; the error reported is always the first bad merge.
        /// </summary>
        (int[] Left, int[] Right, int[] Result) ResolveMerges(PieceTable table)
        {
            int n = _merges.Merges;
            if (n == 0) return ([], [], []);
            var ends = _merges.Ends;
            var text = _merges.Text;
            var left = new int[n];
            var right = new int[n];
            var result = new int[n];
            int firstBad = int.MaxValue;
            int modelVocab = _modelVocab;
            var ranges = System.Collections.Concurrent.Partitioner.Create(0, n, Math.Max(1024, n / (Environment.ProcessorCount * 4) + 1));
            Parallel.ForEach(ranges, range =>
            {
                var joined = new byte[256];
                for (int k = range.Item1; k < range.Item2; k++)
                {
                    int start = k == 0 ? 0 : ends[2 * k - 1], mid = ends[2 * k], end = ends[2 * k + 1];
                    var a = text.AsSpan(start, mid - start);
                    var b = text.AsSpan(mid, end - mid);
                    int l = table.Find(a), r = table.Find(b);
                    if (joined.Length < end - start) joined = new byte[(end - start) * 2];
                    text.AsSpan(start, end - start).CopyTo(joined);   // a and b are adjacent: the concatenation is one copy
                    int m = table.Find(joined.AsSpan(0, end - start));
                    if (l < 0 || r < 0 || m < 0 || l >= modelVocab || r >= modelVocab || m >= modelVocab)
                    {
                        int seen;
                        while (k < (seen = Volatile.Read(ref firstBad)) && Interlocked.CompareExchange(ref firstBad, k, seen) != seen) { }
                        continue;
                    }
                    left[k] = l;
                    right[k] = r;
                    result[k] = m;
                }
            });
            if (firstBad < n) ThrowBadMerge(firstBad, table);
            return (left, right, result);
        }

        [System.Diagnostics.CodeAnalysis.DoesNotReturn]
        void ThrowBadMerge(int k, PieceTable table)
        {
            var text = _merges.Text;
            var ends = _merges.Ends;
            int start = k == 0 ? 0 : ends[2 * k - 1], mid = ends[2 * k], end = ends[2 * k + 1];
            var a = text.AsSpan(start, mid - start);
            var b = text.AsSpan(mid, end - mid);
            int l = table.Find(a), r = table.Find(b);
            if (l < 0 || r < 0 || l >= _modelVocab || r >= _modelVocab)
                throw new SharpLMDataException(path, $"merge {k} ('{PieceTable.Show(a)}' + '{PieceTable.Show(b)}') uses a piece that is not in the vocabulary");
            throw new SharpLMDataException(path, $"merge {k} makes '{PieceTable.Show(text.AsSpan(start, end - start))}', which is not in the vocabulary");
        }

        // ---- added tokens ----

        void ReadAddedTokens(ref Utf8JsonReader r)
        {
            AbandonEarly();
            _sawAddedTokens = true;
            if (r.TokenType == JsonTokenType.Null) return;
            Expect(ref r, JsonTokenType.StartArray, "\"added_tokens\"");
            while (Next(ref r) == JsonTokenType.StartObject)
            {
                int? id = null;
                string? content = null;
                bool special = false, normalized = false, lstrip = false, rstrip = false, single = false;
                while (Next(ref r) == JsonTokenType.PropertyName)
                {
                    if (r.ValueTextEquals("id"u8)) { Next(ref r); id = r.TryGetInt32(out int v) ? v : null; if (id is null) Fail(ref r, "added token id is not an integer"); }
                    else if (r.ValueTextEquals("content"u8)) { Next(ref r); content = r.GetString(); }
                    else if (r.ValueTextEquals("special"u8)) { Next(ref r); special = Bool(ref r); }
                    else if (r.ValueTextEquals("normalized"u8)) { Next(ref r); normalized = Bool(ref r); }
                    else if (r.ValueTextEquals("lstrip"u8)) { Next(ref r); lstrip = Bool(ref r); }
                    else if (r.ValueTextEquals("rstrip"u8)) { Next(ref r); rstrip = Bool(ref r); }
                    else if (r.ValueTextEquals("single_word"u8)) { Next(ref r); single = Bool(ref r); }
                    else { Next(ref r); r.Skip(); }
                }
                if (id is null || string.IsNullOrEmpty(content)) Fail(ref r, "an added token needs an \"id\" and a non-empty \"content\"");
                _added.Add(new AddedTokenJson(id!.Value, content!, special, normalized, lstrip, rstrip, single));
            }
            if (r.TokenType != JsonTokenType.EndArray) Fail(ref r, "\"added_tokens\" must be an array of objects");
        }

        // ---- assembly ----

        TokenizerDefinition Build()
        {
            if (_modelType is not null && _modelType != "BPE")
                throw new SharpLMDataException(path, $"unsupported model type '{_modelType}' (only BPE tokenizers are supported)");
            int modelVocab = _modelVocab;
            _early?.Finish(_merges.Merges);
            _earlyDone = true;
            var pieces = _early is not null ? _early.Table() : BuildPieces();

            // Added tokens either restate a vocabulary entry (same id, same text) or extend the ids past it.
            var added = new List<AddedToken>(_added.Count);
            var seenAdded = new HashSet<int>();
            foreach (var a in _added)
            {
                if (!seenAdded.Add(a.Id)) throw new SharpLMDataException(path, $"added token id {a.Id} appears twice");
                if (a.Id < modelVocab)
                {
                    string inVocab = pieces.Text(a.Id);
                    if (inVocab != a.Content)
                        throw new SharpLMDataException(path, $"added token '{a.Content}' has id {a.Id}, which the vocabulary gives to '{inVocab}'");
                }
                added.Add(new AddedToken(a.Id, a.Content, a.Special, a.Normalized, a.LStrip, a.RStrip, a.SingleWord));
            }

            int unk = -1;
            if (_unkToken is not null)
            {
                unk = pieces.Find(_unkToken.AsSpan());
                if (unk < 0 || unk >= modelVocab) throw new SharpLMDataException(path, $"unk_token '{_unkToken}' is not in the vocabulary");
            }

            int[] mergeLeft, mergeRight, mergeResult;
            if (_early is not null)
            {
                if (_early.FirstBad >= 0) ThrowBadMerge(_early.FirstBad, pieces);
                (mergeLeft, mergeRight, mergeResult) = _early.Result(_merges.Merges);
            }
            else (mergeLeft, mergeRight, mergeResult) = ResolveMerges(pieces);

            var (prefix, suffix) = _postProcessor is { } pp ? ReadTemplate(pp, pieces) : ([], []);
            return new TokenizerDefinition
            {
                Pieces = pieces,
                ModelVocabSize = modelVocab,
                MergeLeft = mergeLeft,
                MergeRight = mergeRight,
                MergeResult = mergeResult,
                AddedTokens = added,
                UnknownId = unk,
                ByteFallback = _byteFallback,
                FuseUnknown = _fuseUnk,
                IgnoreMerges = _ignoreMerges,
                Normalizer = _normalizer,
                PreTokenizer = _preTokenizer,
                Decoder = _decoder,
                TemplatePrefix = prefix,
                TemplateSuffix = suffix,
                AddBosByDefault = config?.AddBosToken ?? true,
                BosToken = config?.BosToken,
                EosToken = config?.EosToken,
                PadToken = config?.PadToken,
                ChatTemplate = config?.ChatTemplate,
                Source = path,
            };
        }

        // ---- small sections (DOM fragments) ----

        IReadOnlyList<NormalizerStep> ReadNormalizer(JsonElement? e)
        {
            if (e is not { } n) return [];
            string type = Type(n, "normalizer");
            switch (type)
            {
                case "Sequence":
                    return Items(n, "normalizers").SelectMany(x => ReadNormalizer(x)).ToArray();
                case "Replace":
                    return [new NormalizerStep.Replace(LiteralPattern(n, "normalizer Replace"), Str(n, "content"))];
                case "Prepend":
                    return [new NormalizerStep.Prepend(Str(n, "prepend"))];
                default:
                    throw new SharpLMDataException(path, $"unsupported normalizer '{type}' (supported: Replace with a literal pattern, Prepend, Sequence)");
            }
        }

        IReadOnlyList<SplitRule> ReadPreTokenizer(JsonElement? e)
        {
            if (e is not { } p) return [];
            string type = Type(p, "pre_tokenizer");
            switch (type)
            {
                case "Sequence":
                    return Items(p, "pretokenizers").SelectMany(x => ReadPreTokenizer(x)).ToArray();
                case "Split":
                    if (p.TryGetProperty("invert", out var inv) && inv.ValueKind == JsonValueKind.True)
                        throw new SharpLMDataException(path, "pre_tokenizer Split with invert=true is not supported");
                    string behavior = Str(p, "behavior");
                    var b = behavior switch
                    {
                        "Removed" => SplitBehavior.Removed,
                        "Isolated" => SplitBehavior.Isolated,
                        "MergedWithPrevious" => SplitBehavior.MergedWithPrevious,
                        "MergedWithNext" => SplitBehavior.MergedWithNext,
                        "Contiguous" => SplitBehavior.Contiguous,
                        _ => throw new SharpLMDataException(path, $"pre_tokenizer Split: unknown behavior '{behavior}'"),
                    };
                    string pattern = LiteralPattern(p, "pre_tokenizer Split");
                    if (pattern.Length == 0) throw new SharpLMDataException(path, "pre_tokenizer Split: empty pattern");
                    return [new SplitRule(pattern, b)];
                default:
                    throw new SharpLMDataException(path, $"unsupported pre_tokenizer '{type}' (supported: Split on a literal pattern, Sequence)");
            }
        }

        IReadOnlyList<DecoderStep>? ReadDecoder(JsonElement? e)
        {
            if (e is not { } d) return null;
            var steps = new List<DecoderStep>();
            void Add(JsonElement x)
            {
                string type = Type(x, "decoder");
                switch (type)
                {
                    case "Sequence": foreach (var y in Items(x, "decoders")) Add(y); break;
                    case "Replace": steps.Add(new DecoderStep.Replace(LiteralPattern(x, "decoder Replace"), Str(x, "content"))); break;
                    case "ByteFallback": steps.Add(new DecoderStep.ByteFallback()); break;
                    case "Fuse": steps.Add(new DecoderStep.Fuse()); break;
                    case "Strip":
                        string c = Str(x, "content");
                        if (c.Length != 1) throw new SharpLMDataException(path, "decoder Strip: content must be one character");
                        steps.Add(new DecoderStep.Strip(c[0], Int(x, "start"), Int(x, "stop")));
                        break;
                    default:
                        throw new SharpLMDataException(path, $"unsupported decoder '{type}' (supported: Replace, ByteFallback, Fuse, Strip, Sequence)");
                }
            }
            Add(d);
            // Order the decoder can run in one pass: per-token replacements, then byte fallback, then whole-text strip.
            int phase = 0;
            foreach (var s in steps)
            {
                int p = s switch { DecoderStep.Replace => 0, DecoderStep.ByteFallback => 1, DecoderStep.Fuse => 2, _ => 3 };
                if (p < phase) throw new SharpLMDataException(path, "unsupported decoder order (expected Replace…, ByteFallback, Fuse, Strip)");
                phase = p;
            }
            if (steps.OfType<DecoderStep.Strip>().Any() && !steps.OfType<DecoderStep.Fuse>().Any())
                throw new SharpLMDataException(path, "decoder Strip without Fuse (per-token strip) is not supported");
            return steps;
        }

        (int[] Prefix, int[] Suffix) ReadTemplate(JsonElement pp, PieceTable pieces)
        {
            if (pp.ValueKind == JsonValueKind.Null) return ([], []);
            string type = Type(pp, "post_processor");
            if (type != "TemplateProcessing")
                throw new SharpLMDataException(path, $"unsupported post_processor '{type}' (supported: TemplateProcessing)");
            var prefix = new List<int>();
            var suffix = new List<int>();
            bool sawSequence = false;
            foreach (var item in Items(pp, "single"))
            {
                if (item.TryGetProperty("Sequence", out _)) { sawSequence = true; continue; }
                if (!item.TryGetProperty("SpecialToken", out var st))
                    throw new SharpLMDataException(path, "post_processor: a template item is neither Sequence nor SpecialToken");
                string name = Str(st, "id");
                IEnumerable<int> ids;
                if (pp.TryGetProperty("special_tokens", out var map) && map.ValueKind == JsonValueKind.Object
                    && map.TryGetProperty(name, out var entry) && entry.TryGetProperty("ids", out var idArr))
                    ids = idArr.EnumerateArray().Select(x => x.GetInt32());
                else
                {
                    int id = pieces.Find(name.AsSpan());
                    if (id < 0) throw new SharpLMDataException(path, $"post_processor: special token '{name}' is not in the vocabulary");
                    ids = [id];
                }
                foreach (int id in ids)
                {
                    if (id < 0 || id >= pieces.Count) throw new SharpLMDataException(path, $"post_processor: id {id} is outside the vocabulary");
                    (sawSequence ? suffix : prefix).Add(id);
                }
            }
            return (prefix.ToArray(), suffix.ToArray());
        }

        // ---- helpers ----

        JsonElement? Fragment(ref Utf8JsonReader r)
        {
            if (r.TokenType == JsonTokenType.Null) return null;
            using var doc = JsonDocument.ParseValue(ref r);
            return doc.RootElement.Clone();
        }

        string Type(JsonElement e, string what)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("type", out var t) || t.ValueKind != JsonValueKind.String)
                throw new SharpLMDataException(path, $"{what} has no \"type\"");
            return t.GetString()!;
        }

        IEnumerable<JsonElement> Items(JsonElement e, string name) =>
            e.TryGetProperty(name, out var a) && a.ValueKind == JsonValueKind.Array ? a.EnumerateArray().ToArray()
            : throw new SharpLMDataException(path, $"\"{name}\" must be an array");

        string Str(JsonElement e, string name) =>
            e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()!
            : throw new SharpLMDataException(path, $"\"{name}\" must be a string");

        int Int(JsonElement e, string name) =>
            e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) && i >= 0 ? i
            : throw new SharpLMDataException(path, $"\"{name}\" must be a non-negative integer");

        string LiteralPattern(JsonElement e, string what)
        {
            if (!e.TryGetProperty("pattern", out var p) || p.ValueKind != JsonValueKind.Object)
                throw new SharpLMDataException(path, $"{what}: no \"pattern\"");
            if (p.TryGetProperty("String", out var s) && s.ValueKind == JsonValueKind.String) return s.GetString()!;
            if (p.TryGetProperty("Regex", out _))
                throw new SharpLMDataException(path, $"{what}: regex patterns are not supported (only literal String patterns)");
            throw new SharpLMDataException(path, $"{what}: unknown pattern kind");
        }

        ReadOnlySpan<byte> StringBytes(ref Utf8JsonReader r)
        {
            if (r.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName)) Fail(ref r, "expected a string");
            if (!r.ValueIsEscaped && !r.HasValueSequence) return r.ValueSpan;
            int max = r.ValueSpan.Length;
            if (_scratch.Length < max) _scratch = new byte[max * 2];
            int n = r.CopyString(_scratch);
            return _scratch.AsSpan(0, n);
        }

        bool Bool(ref Utf8JsonReader r) => r.TokenType switch
        {
            JsonTokenType.True => true,
            JsonTokenType.False or JsonTokenType.Null => false,
            _ => Fail<bool>(ref r, "expected true or false"),
        };

        static JsonTokenType Next(ref Utf8JsonReader r)
        {
            if (!r.Read()) throw new JsonException("unexpected end of data (truncated file?)");
            return r.TokenType;
        }

        void Expect(ref Utf8JsonReader r, JsonTokenType type, string what)
        {
            if (r.TokenType == JsonTokenType.None) Next(ref r);
            if (r.TokenType != type) Fail(ref r, $"{what} must be a JSON {(type == JsonTokenType.StartArray ? "array" : "object")}");
        }

        [System.Diagnostics.CodeAnalysis.DoesNotReturn]
        void Fail(ref Utf8JsonReader r, string reason) => throw new SharpLMDataException(path, reason, Offset + r.TokenStartIndex);

        T Fail<T>(ref Utf8JsonReader r, string reason) => throw new SharpLMDataException(path, reason, Offset + r.TokenStartIndex);
    }
}

