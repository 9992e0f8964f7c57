using System.Text;
using SharpLM.Formats;
using SharpLM.Models.Gemma3;

namespace SharpLM.Tests.Formats;

public class HfConfigTests
{
    static Gemma3Config Parse(string json) => HfConfig.Parse(Encoding.UTF8.GetBytes(json), "config.json");

    // google/gemma-3-1b-pt's config.json as published (legacy RoPE keys, sliding_window_pattern).
    const string OneB = """
    {"architectures": ["Gemma3ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
     "attn_logit_softcapping": null, "bos_token_id": 2, "cache_implementation": "hybrid", "eos_token_id": 1,
     "final_logit_softcapping": null, "head_dim": 256, "hidden_activation": "gelu_pytorch_tanh", "hidden_size": 1152,
     "initializer_range": 0.02, "intermediate_size": 6912, "max_position_embeddings": 32768, "model_type": "gemma3_text",
     "num_attention_heads": 4, "num_hidden_layers": 26, "num_key_value_heads": 1, "pad_token_id": 0,
     "query_pre_attn_scalar": 256, "rms_norm_eps": 1e-06, "rope_local_base_freq": 10000, "rope_scaling": null,
     "rope_theta": 1000000, "sliding_window": 512, "sliding_window_pattern": 6, "torch_dtype": "bfloat16",
     "transformers_version": "4.50.0.dev0", "use_cache": true, "vocab_size": 262144}
    """;

    [Fact]
    public void ReadsThe1BConfig()
    {
        var c = Parse(OneB);
        Assert.Equal(Gemma3Config.Gemma3_1B with { TieWordEmbeddings = true }, c with { LayerTypes = null });
        Assert.Equal([5, 11, 17, 23], Enumerable.Range(0, 26).Where(c.IsGlobal));
    }

    [Fact]
    public void MultimodalTextConfigTakesHfDefaultsForOmittedFields()
    {
        // google/gemma-3-4b-it: text_config omits vocab_size, rope_theta, eps, max positions, …
        var c = Parse("""
        {"architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3", "boi_token_index": 255999,
         "eoi_token_index": 256000, "eos_token_id": [1, 106], "image_token_index": 262144, "mm_tokens_per_image": 256,
         "text_config": {"head_dim": 256, "hidden_size": 2560, "intermediate_size": 10240, "model_type": "gemma3_text",
           "num_attention_heads": 8, "num_hidden_layers": 34, "num_key_value_heads": 4, "query_pre_attn_scalar": 256,
           "rope_scaling": {"factor": 8.0, "rope_type": "linear"}, "sliding_window": 1024},
         "vision_config": {"hidden_size": 1152}}
        """);
        Assert.Equal(Gemma3Config.Gemma3_4B with { EosTokenId = 1 }, c);
        Assert.Equal(8, c.RopeGlobalScale);
        Assert.Equal(1, c.RopeLocalScale);
        Assert.Equal(262_208, c.VocabSize);
    }

    [Fact]
    public void ReadsRopeParametersAndLayerTypes()
    {
        var c = Parse("""
        {"model_type": "gemma3_text", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 3,
         "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 32, "sliding_window": 8, "vocab_size": 100,
         "sliding_window_pattern": 6,
         "layer_types": ["full_attention", "sliding_attention", "full_attention"],
         "rope_parameters": {"full_attention": {"rope_type": "linear", "factor": 4.0, "rope_theta": 500000.0},
                             "sliding_attention": {"rope_type": "default", "rope_theta": 20000.0}}}
        """);
        Assert.Equal([true, false, true], Enumerable.Range(0, 3).Select(c.IsGlobal));
        Assert.Equal((500000.0, 4.0, 20000.0, 1.0), (c.RopeGlobalBase, c.RopeGlobalScale, c.RopeLocalBase, c.RopeLocalScale));
    }

    [Fact]
    public void AcceptsTheOldRopeScalingSpelling()
    {
        var c = Parse(OneB.Replace("\"rope_scaling\": null", "\"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}"));
        Assert.Equal(2, c.RopeGlobalScale);
    }

    [Theory]
    [InlineData("\"attn_logit_softcapping\": null", "\"attn_logit_softcapping\": 50.0", "soft-capping")]
    [InlineData("\"model_type\": \"gemma3_text\"", "\"model_type\": \"gemma2\"", "not a Gemma 3 config")]
    [InlineData("\"rope_scaling\": null", "\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 2.0}", "yarn")]
    [InlineData("\"num_key_value_heads\": 1", "\"num_key_value_heads\": 3", "num_key_value_heads")]
    [InlineData("\"hidden_size\": 1152", "\"hidden_size\": \"big\"", "hidden_size must be a number")]
    [InlineData("\"hidden_size\": 1152", "\"hidden_size\": 1e12", "hidden_size")]
    [InlineData("\"vocab_size\": 262144}", "\"vocab_size\": 262144", "not valid JSON")]
    public void RejectsWhatItCannotRun(string from, string to, string expected)
    {
        var e = Assert.Throws<SharpLMDataException>(() => Parse(OneB.Replace(from, to)));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith("config.json: ", e.Message);
    }

    [Fact]
    public void WrittenConfigReadsBackTheSame()
    {
        foreach (var c in new[] { Gemma3Config.Gemma3_270M, Gemma3Config.Gemma3_1B, Gemma3Config.Gemma3_4B, Gemma3Config.Gemma3_27B })
        {
            var back = Parse(HfConfig.ToJson(c));
            Assert.Equal(c with { LayerTypes = null }, back with { LayerTypes = null });
            Assert.Equal(Enumerable.Range(0, c.NumLayers).Select(c.IsGlobal), Enumerable.Range(0, c.NumLayers).Select(back.IsGlobal));
        }
        Assert.Contains("\"model_type\": \"gemma3_text\"", HfConfig.ToJson(Gemma3Config.Gemma3_1B));
    }
}
