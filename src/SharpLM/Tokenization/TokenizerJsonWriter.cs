using System.Text.Encodings.Web;
using System.Text.Json;

namespace SharpLM.Tokenization;

/// <summary>
/// Writes a <see cref="TokenizerDefinition"/> as a Hugging Face <c>tokenizer.json</c> in the layout Gemma's file
/// uses (added_tokens, normalizer, pre_tokenizer, post_processor, decoder, model with vocab and [left, right]
/// merges), readable by Hugging Face tokenizers and by <see cref="TokenizerJsonReader"/>. Output is
/// deterministic: the same definition gives the same bytes.
/// </summary>
internal static class TokenizerJsonWriter
{
    public static void Write(TokenizerDefinition def, Stream output)
    {
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions
        {
            Indented = true,
            // Non-ASCII text as UTF-8 (as Hugging Face writes it), not \uXXXX escapes.
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        });
        var pieces = def.Pieces;
        w.WriteStartObject();
        w.WriteString("version", "1.0");
        w.WriteNull("truncation");
        w.WriteNull("padding");

        w.WriteStartArray("added_tokens");
        foreach (var a in def.AddedTokens.OrderBy(a => a.Id))
        {
            w.WriteStartObject();
            w.WriteNumber("id", a.Id);
            w.WriteString("content", a.Content);
            w.WriteBoolean("single_word", a.SingleWord);
            w.WriteBoolean("lstrip", a.LStrip);
            w.WriteBoolean("rstrip", a.RStrip);
            w.WriteBoolean("normalized", a.Normalized);
            w.WriteBoolean("special", a.Special);
            w.WriteEndObject();
        }
        w.WriteEndArray();

        w.WritePropertyName("normalizer");
        WriteSteps(w, def.Normalizer.Select(NormalizerJson).ToList(), "normalizers");
        w.WritePropertyName("pre_tokenizer");
        WriteSteps(w, def.PreTokenizer.Select(SplitJson).ToList(), "pretokenizers");
        w.WritePropertyName("post_processor");
        WriteTemplate(w, def);
        w.WritePropertyName("decoder");
        if (def.Decoder is null) w.WriteNullValue();
        else WriteSteps(w, def.Decoder.Select(DecoderJson).ToList(), "decoders");

        w.WriteStartObject("model");
        w.WriteString("type", "BPE");
        w.WriteNull("dropout");
        if (def.UnknownId >= 0) w.WriteString("unk_token", pieces.Text(def.UnknownId)); else w.WriteNull("unk_token");
        w.WriteNull("continuing_subword_prefix");
        w.WriteNull("end_of_word_suffix");
        w.WriteBoolean("fuse_unk", def.FuseUnknown);
        w.WriteBoolean("byte_fallback", def.ByteFallback);
        w.WriteBoolean("ignore_merges", def.IgnoreMerges);
        w.WriteStartObject("vocab");
        for (int id = 0; id < def.ModelVocabSize; id++) w.WriteNumber(pieces.Utf8(id), id);
        w.WriteEndObject();
        w.WriteStartArray("merges");
        for (int k = 0; k < def.MergeLeft.Length; k++)
        {
            w.WriteStartArray();
            w.WriteStringValue(pieces.Utf8(def.MergeLeft[k]));
            w.WriteStringValue(pieces.Utf8(def.MergeRight[k]));
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteEndObject();

        w.WriteEndObject();
        w.Flush();
    }

    static Action<Utf8JsonWriter> NormalizerJson(NormalizerStep s) => s switch
    {
        NormalizerStep.Replace r => w => { w.WriteString("type", "Replace"); Pattern(w, r.Pattern); w.WriteString("content", r.Content); },
        NormalizerStep.Prepend p => w => { w.WriteString("type", "Prepend"); w.WriteString("prepend", p.Text); },
        _ => throw new InvalidOperationException(),
    };

    static Action<Utf8JsonWriter> SplitJson(SplitRule s) => w =>
    {
        w.WriteString("type", "Split");
        Pattern(w, s.Pattern);
        w.WriteString("behavior", s.Behavior.ToString());
        w.WriteBoolean("invert", false);
    };

    static Action<Utf8JsonWriter> DecoderJson(DecoderStep s) => s switch
    {
        DecoderStep.Replace r => w => { w.WriteString("type", "Replace"); Pattern(w, r.Pattern); w.WriteString("content", r.Content); },
        DecoderStep.ByteFallback => w => w.WriteString("type", "ByteFallback"),
        DecoderStep.Fuse => w => w.WriteString("type", "Fuse"),
        DecoderStep.Strip st => w => { w.WriteString("type", "Strip"); w.WriteString("content", st.Content.ToString()); w.WriteNumber("start", st.Start); w.WriteNumber("stop", st.Stop); },
        _ => throw new InvalidOperationException(),
    };

    static void Pattern(Utf8JsonWriter w, string literal)
    {
        w.WriteStartObject("pattern");
        w.WriteString("String", literal);
        w.WriteEndObject();
    }

    /// <summary>None → null, one → the step itself, several → a Sequence.</summary>
    static void WriteSteps(Utf8JsonWriter w, List<Action<Utf8JsonWriter>> steps, string sequenceKey)
    {
        if (steps.Count == 0) { w.WriteNullValue(); return; }
        if (steps.Count == 1) { w.WriteStartObject(); steps[0](w); w.WriteEndObject(); return; }
        w.WriteStartObject();
        w.WriteString("type", "Sequence");
        w.WriteStartArray(sequenceKey);
        foreach (var s in steps) { w.WriteStartObject(); s(w); w.WriteEndObject(); }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    static void WriteTemplate(Utf8JsonWriter w, TokenizerDefinition def)
    {
        if (def.TemplatePrefix.Length == 0 && def.TemplateSuffix.Length == 0) { w.WriteNullValue(); return; }
        var pieces = def.Pieces;
        void Special(int id, int typeId)
        {
            w.WriteStartObject();
            w.WriteStartObject("SpecialToken");
            w.WriteString("id", pieces.Text(id));
            w.WriteNumber("type_id", typeId);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        void Sequence(string name, int typeId)
        {
            w.WriteStartObject();
            w.WriteStartObject("Sequence");
            w.WriteString("id", name);
            w.WriteNumber("type_id", typeId);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteStartObject();
        w.WriteString("type", "TemplateProcessing");
        w.WriteStartArray("single");
        foreach (int id in def.TemplatePrefix) Special(id, 0);
        Sequence("A", 0);
        foreach (int id in def.TemplateSuffix) Special(id, 0);
        w.WriteEndArray();
        w.WriteStartArray("pair");
        foreach (int id in def.TemplatePrefix) Special(id, 0);
        Sequence("A", 0);
        foreach (int id in def.TemplateSuffix) Special(id, 0);
        foreach (int id in def.TemplatePrefix) Special(id, 1);
        Sequence("B", 1);
        foreach (int id in def.TemplateSuffix) Special(id, 1);
        w.WriteEndArray();
        w.WriteStartObject("special_tokens");
        foreach (int id in def.TemplatePrefix.Concat(def.TemplateSuffix).Distinct())
        {
            string name = pieces.Text(id);
            w.WriteStartObject(name);
            w.WriteString("id", name);
            w.WriteStartArray("ids");
            w.WriteNumberValue(id);
            w.WriteEndArray();
            w.WriteStartArray("tokens");
            w.WriteStringValue(name);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
