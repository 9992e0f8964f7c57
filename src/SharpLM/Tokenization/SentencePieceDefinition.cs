namespace SharpLM.Tokenization;

/// <summary>
/// Builds the tokenizer that Hugging Face's Gemma conversion makes from a SentencePiece BPE vocabulary (pieces,
/// scores, piece types): merges from the scores (<see cref="SentencePieceMerges.FromScores"/>), control and
/// unknown pieces as special added tokens, user-defined pieces as plain added tokens, spaces → ▁, byte
/// fallback, and the decoder ▁ → space + bytes. Shared by GGUF metadata and <c>tokenizer.model</c>.
/// </summary>
internal static class SentencePieceDefinition
{
    /// <summary>SentencePiece / GGUF piece types.</summary>
    public const int Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6;

    public sealed record Input
    {
        public required string Source { get; init; }
        public required IReadOnlyList<string> Pieces { get; init; }
        public required IReadOnlyList<float> Scores { get; init; }
        public required IReadOnlyList<int> Types { get; init; }
        /// <summary>Merges given explicitly ("left right" lines); null derives them from the scores.</summary>
        public IReadOnlyList<string>? Merges { get; init; }
        public int BosId { get; init; } = -1;
        public int EosId { get; init; } = -1;
        public int UnknownId { get; init; } = -1;
        public int PadId { get; init; } = -1;
        public bool AddBos { get; init; } = true;
        public bool AddEos { get; init; }
        public bool AddSpacePrefix { get; init; }
        public string? ChatTemplate { get; init; }
    }

    public static TokenizerDefinition Build(Input d)
    {
        string src = d.Source;
        int n = d.Pieces.Count;
        if (n == 0) throw new SharpLMDataException(src, "the vocabulary is empty");
        if (d.Scores.Count != n) throw new SharpLMDataException(src, $"{n} tokens but {d.Scores.Count} scores");
        if (d.Types.Count != n) throw new SharpLMDataException(src, $"{n} tokens but {d.Types.Count} token types");
        void CheckId(int id, string what)
        {
            if (id < -1 || id >= n) throw new SharpLMDataException(src, $"{what} id {id} is outside the vocabulary (0…{n - 1})");
        }
        CheckId(d.BosId, "BOS");
        CheckId(d.EosId, "EOS");
        CheckId(d.UnknownId, "unknown-token");
        CheckId(d.PadId, "padding");

        var builder = new PieceTable.Builder();
        for (int id = 0; id < n; id++)
        {
            if (d.Pieces[id] is null) throw new SharpLMDataException(src, $"token {id} has no text");
            builder.Add(id, d.Pieces[id]);
        }
        var pieces = builder.Build(src, "tokens");

        int unk = d.UnknownId;
        var added = new List<AddedToken>();
        bool anyByte = false;
        for (int id = 0; id < n; id++)
        {
            int type = d.Types[id];
            switch (type)
            {
                case Normal or Unused: break;
                case Byte: anyByte = true; break;
                case Unknown:
                    if (unk < 0) unk = id;
                    added.Add(new AddedToken(id, d.Pieces[id], Special: true));
                    break;
                case Control:
                    if (d.Pieces[id].Length > 0) added.Add(new AddedToken(id, d.Pieces[id], Special: true));
                    break;
                case UserDefined:
                    if (d.Pieces[id].Length > 0) added.Add(new AddedToken(id, d.Pieces[id], Special: false));
                    break;
                default:
                    throw new SharpLMDataException(src, $"token {id} has unknown type {type} (expected 1…6)");
            }
        }

        SentencePieceMerges.Merges merges;
        if (d.Merges is { Count: > 0 } explicitMerges) merges = ParseMerges(explicitMerges, pieces, src);
        else
        {
            var scores = new float[n];
            for (int i = 0; i < n; i++) scores[i] = d.Scores[i];
            merges = SentencePieceMerges.FromScores(pieces, n, scores);
        }

        var normalizer = new List<NormalizerStep>();
        if (d.AddSpacePrefix) normalizer.Add(new NormalizerStep.Prepend("\u2581"));
        normalizer.Add(new NormalizerStep.Replace(" ", "\u2581"));
        var decoder = new List<DecoderStep> { new DecoderStep.Replace("\u2581", " "), new DecoderStep.ByteFallback(), new DecoderStep.Fuse() };
        if (d.AddSpacePrefix) decoder.Add(new DecoderStep.Strip(' ', 1, 0));

        return new TokenizerDefinition
        {
            Pieces = pieces,
            ModelVocabSize = n,
            MergeLeft = merges.Left,
            MergeRight = merges.Right,
            MergeResult = merges.Result,
            AddedTokens = added,
            UnknownId = unk,
            ByteFallback = anyByte,
            FuseUnknown = true,
            Normalizer = normalizer,
            PreTokenizer = [new SplitRule(" ", SplitBehavior.MergedWithPrevious)],
            Decoder = decoder,
            TemplatePrefix = d.AddBos && d.BosId >= 0 ? [d.BosId] : [],
            TemplateSuffix = d.AddEos && d.EosId >= 0 ? [d.EosId] : [],
            AddBosByDefault = d.AddBos,
            BosToken = d.BosId >= 0 ? d.Pieces[d.BosId] : null,
            EosToken = d.EosId >= 0 ? d.Pieces[d.EosId] : null,
            PadToken = d.PadId >= 0 ? d.Pieces[d.PadId] : null,
            ChatTemplate = d.ChatTemplate,
            Source = src,
        };
    }

    static SentencePieceMerges.Merges ParseMerges(IReadOnlyList<string> lines, PieceTable pieces, string src)
    {
        int n = lines.Count;
        var l = new int[n];
        var r = new int[n];
        var m = new int[n];
        for (int k = 0; k < n; k++)
        {
            string line = lines[k];
            int sp = line.IndexOf(' ');
            if (sp <= 0 || sp == line.Length - 1 || line.IndexOf(' ', sp + 1) >= 0)
                throw new SharpLMDataException(src, $"merge {k} \"{line}\" is not two pieces separated by one space");
            l[k] = pieces.Find(line.AsSpan(0, sp));
            r[k] = pieces.Find(line.AsSpan(sp + 1));
            m[k] = pieces.Find((line[..sp] + line[(sp + 1)..]).AsSpan());
            if (l[k] < 0 || r[k] < 0 || m[k] < 0)
                throw new SharpLMDataException(src, $"merge {k} \"{line}\" uses or makes a piece that is not in the vocabulary");
        }
        return new SentencePieceMerges.Merges(l, r, m);
    }
}
