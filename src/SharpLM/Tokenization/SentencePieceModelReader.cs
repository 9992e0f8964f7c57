using System.Buffers.Binary;
using System.Text;

namespace SharpLM.Tokenization;

/// <summary>
/// Reads a SentencePiece <c>tokenizer.model</c> (a <c>ModelProto</c> protocol buffer) with a small hand-written
/// protobuf reader: the pieces (text, score, type), the trainer's model type, byte fallback and special ids,
/// and the normalizer settings. Only BPE models whose normalizer is the identity (as Gemma's) are accepted:
/// anything that needs SentencePiece's character-map normalization is refused by name rather than approximated.
/// </summary>
internal static class SentencePieceModelReader
{
    /// <summary>Files above this are refused before reading (Gemma 3's tokenizer.model is 4.7 MB).</summary>
    public const long MaxFileBytes = 1L << 28;

    public static TokenizerDefinition Read(string path)
    {
        using var file = TokenizerJsonReader.OpenMapped(path, MaxFileBytes);
        return Parse(file.Span(0, (int)file.Length), path);
    }

    public static TokenizerDefinition Parse(ReadOnlySpan<byte> data, string path)
    {
        var pieces = new List<string>();
        var scores = new List<float>();
        var types = new List<int>();
        int modelType = 1;                // UNIGRAM unless said otherwise (proto default)
        bool byteFallback = false;
        int unkId = 0, bosId = 1, eosId = 2, padId = -1;
        string normalizerName = "";
        int charsMapLength = 0;
        bool addDummyPrefix = true, removeExtraWhitespaces = true, escapeWhitespaces = true;
        bool sawTrainer = false;

        var r = new ProtoReader(data, path);
        while (r.More)
        {
            var (field, wire) = r.Key();
            switch (field)
            {
                case 1 when wire == 2:
                {
                    var p = new ProtoReader(r.Bytes(), path, r.Position);
                    string text = "";
                    float score = 0;
                    int type = SentencePieceDefinition.Normal;
                    while (p.More)
                    {
                        var (f, w) = p.Key();
                        if (f == 1 && w == 2) text = p.String();
                        else if (f == 2 && w == 5) score = p.Float();
                        else if (f == 3 && w == 0) type = (int)p.Varint();
                        else p.Skip(w);
                    }
                    pieces.Add(text);
                    scores.Add(score);
                    types.Add(type);
                    break;
                }
                case 2 when wire == 2:
                {
                    sawTrainer = true;
                    var t = new ProtoReader(r.Bytes(), path, r.Position);
                    while (t.More)
                    {
                        var (f, w) = t.Key();
                        if (w == 0 && f is 3 or 35 or 40 or 41 or 42 or 43)
                        {
                            long v = (long)t.Varint();
                            switch (f)
                            {
                                case 3: modelType = (int)v; break;
                                case 35: byteFallback = v != 0; break;
                                case 40: unkId = (int)v; break;
                                case 41: bosId = (int)v; break;
                                case 42: eosId = (int)v; break;
                                case 43: padId = (int)v; break;
                            }
                        }
                        else t.Skip(w);
                    }
                    break;
                }
                case 3 when wire == 2:
                {
                    var nspec = new ProtoReader(r.Bytes(), path, r.Position);
                    while (nspec.More)
                    {
                        var (f, w) = nspec.Key();
                        if (f == 1 && w == 2) normalizerName = nspec.String();
                        else if (f == 2 && w == 2) charsMapLength = nspec.Bytes().Length;
                        else if (f == 3 && w == 0) addDummyPrefix = nspec.Varint() != 0;
                        else if (f == 4 && w == 0) removeExtraWhitespaces = nspec.Varint() != 0;
                        else if (f == 5 && w == 0) escapeWhitespaces = nspec.Varint() != 0;
                        else nspec.Skip(w);
                    }
                    break;
                }
                default:
                    r.Skip(wire);
                    break;
            }
        }

        if (pieces.Count == 0) throw new SharpLMDataException(path, "no pieces (not a SentencePiece model?)");
        if (!sawTrainer) throw new SharpLMDataException(path, "no trainer_spec (not a SentencePiece model?)");
        if (modelType != 2)
            throw new SharpLMDataException(path, $"SentencePiece model type {ModelTypeName(modelType)} is not supported (only BPE, as Gemma uses)");
        if (charsMapLength > 0 && normalizerName != "identity")
            throw new SharpLMDataException(path, $"SentencePiece normalization rule '{normalizerName}' is not supported (only 'identity', as Gemma uses)");
        if (removeExtraWhitespaces)
            throw new SharpLMDataException(path, "SentencePiece remove_extra_whitespaces=true is not supported (Gemma keeps whitespace)");
        if (!escapeWhitespaces)
            throw new SharpLMDataException(path, "SentencePiece escape_whitespaces=false is not supported");

        int n = pieces.Count;
        int Id(int id) => id >= 0 && id < n ? id : -1;
        // Without byte fallback the <0xNN> pieces are ordinary; mark them so only when the model says so.
        if (!byteFallback)
            for (int i = 0; i < n; i++) if (types[i] == SentencePieceDefinition.Byte) types[i] = SentencePieceDefinition.Normal;
        return SentencePieceDefinition.Build(new SentencePieceDefinition.Input
        {
            Source = path,
            Pieces = pieces,
            Scores = scores,
            Types = types,
            BosId = Id(bosId),
            EosId = Id(eosId),
            UnknownId = Id(unkId),
            PadId = Id(padId),
            AddBos = true,
            AddSpacePrefix = addDummyPrefix,
        });
    }

    static string ModelTypeName(int t) => t switch { 1 => "UNIGRAM", 2 => "BPE", 3 => "WORD", 4 => "CHAR", _ => t.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    /// <summary>Protocol-buffer wire format over a span; every length is checked against what is left.</summary>
    ref struct ProtoReader(ReadOnlySpan<byte> data, string path, long baseOffset = 0)
    {
        readonly ReadOnlySpan<byte> _data = data;
        int _pos;

        public readonly bool More => _pos < _data.Length;
        public readonly long Position => baseOffset + _pos;

        public (int Field, int Wire) Key()
        {
            ulong k = Varint();
            int field = (int)(k >> 3), wire = (int)(k & 7);
            if (field == 0) Fail("field number 0");
            return (field, wire);
        }

        public ulong Varint()
        {
            ulong v = 0;
            for (int shift = 0; shift < 70; shift += 7)
            {
                if (_pos >= _data.Length) Fail("truncated varint");
                byte b = _data[_pos++];
                v |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return v;
            }
            Fail("varint longer than 10 bytes");
            return 0;
        }

        public ReadOnlySpan<byte> Bytes()
        {
            ulong len = Varint();
            if (len > (ulong)(_data.Length - _pos)) Fail($"field of {len} bytes runs past the end (truncated file?)");
            var s = _data.Slice(_pos, (int)len);
            _pos += (int)len;
            return s;
        }

        public string String()
        {
            var b = Bytes();
            if (!System.Text.Unicode.Utf8.IsValid(b)) Fail("piece text is not valid UTF-8");
            return Encoding.UTF8.GetString(b);
        }

        public float Float()
        {
            if (_data.Length - _pos < 4) Fail("truncated float");
            float f = BinaryPrimitives.ReadSingleLittleEndian(_data.Slice(_pos, 4));
            _pos += 4;
            return f;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0: Varint(); break;
                case 1: if (_data.Length - _pos < 8) Fail("truncated fixed64"); _pos += 8; break;
                case 2: Bytes(); break;
                case 5: if (_data.Length - _pos < 4) Fail("truncated fixed32"); _pos += 4; break;
                default: Fail($"unknown wire type {wire} (not a protocol buffer?)"); break;
            }
        }

        readonly void Fail(string reason) => throw new SharpLMDataException(path, reason, Position);
    }
}
