using System.Text.Json.Serialization;
using SharpLM.Data.Classifier;

namespace SharpLM.Data;

/// <summary>Every JSON shape the data pipeline reads or writes, source-generated (one context, as style §7 asks).</summary>
[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(ClassifierInfo))]
[JsonSerializable(typeof(ClassifierReport))]
[JsonSerializable(typeof(Dictionary<string, long[]>))]
[JsonSerializable(typeof(SharpLM.Data.Pipeline.PipelineConfig))]
[JsonSerializable(typeof(SharpLM.Data.Pipeline.RankStats))]
[JsonSerializable(typeof(List<SharpLM.Data.Pipeline.RankStats>))]
[JsonSerializable(typeof(SharpLM.Data.Pipeline.RankProgress))]
[JsonSerializable(typeof(SortedDictionary<string, int[]>))]
internal sealed partial class DataJsonContext : JsonSerializerContext;
