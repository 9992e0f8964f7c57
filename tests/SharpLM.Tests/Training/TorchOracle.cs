using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpLM.Models.Gemma3;
using SharpLM.Training;

namespace SharpLM.Tests.Training;

/// <summary>
/// Runs <c>scripts/torch_gemma3.py</c> (Debian python3-torch, installed by scripts/setup.sh): the independent
/// autograd reference for a whole training step.
/// </summary>
public static class TorchOracle
{
    static string? s_python;

    /// <summary>A python3 that can import torch: $SHARPLM_TORCH_PYTHON, Debian's /usr/bin/python3, or python3 on PATH.</summary>
    public static string Python => s_python ??= FindPython();

    static string FindPython()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("SHARPLM_TORCH_PYTHON") is { Length: > 0 } env) candidates.Add(env);
        candidates.Add("/usr/bin/python3");
        candidates.Add("python3");
        foreach (var c in candidates)
        {
            try
            {
                var (code, _, _) = Run(c, ["-c", "import torch, numpy"], TimeSpan.FromSeconds(60));
                if (code == 0) return c;
            }
            catch (System.ComponentModel.Win32Exception) { }
        }
        throw new InvalidOperationException("no python3 with torch found (run scripts/setup.sh, which installs Debian's python3-torch)");
    }

    public static string Script => Path.Combine(TestPaths.RepoRoot, "scripts", "torch_gemma3.py");

    public static (int Code, string Stdout, string Stderr) Run(string exe, IEnumerable<string> args, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["OMP_NUM_THREADS"] = "2";
        using var p = Process.Start(psi.ConfineTemp())!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{exe} did not finish in {timeout}");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>The HF config.json fields the script reads, for <paramref name="c"/>.</summary>
    public static JsonObject HfConfig(Gemma3Config c)
    {
        var types = new JsonArray();
        for (int i = 0; i < c.NumLayers; i++) types.Add(c.IsGlobal(i) ? "full_attention" : "sliding_attention");
        return new JsonObject
        {
            ["vocab_size"] = c.VocabSize, ["hidden_size"] = c.HiddenSize, ["intermediate_size"] = c.IntermediateSize,
            ["num_hidden_layers"] = c.NumLayers, ["num_attention_heads"] = c.NumHeads, ["num_key_value_heads"] = c.NumKvHeads,
            ["head_dim"] = c.HeadDim, ["sliding_window"] = c.SlidingWindow, ["query_pre_attn_scalar"] = c.QueryPreAttnScalar,
            ["rms_norm_eps"] = c.RmsNormEps, ["rope_theta"] = c.RopeGlobalBase, ["rope_local_base_freq"] = c.RopeLocalBase,
            ["layer_types"] = types,
        };
    }

    /// <summary>Loss and gradients from torch for the given weights (flat, in <paramref name="layout"/>) and batch.</summary>
    public static Dictionary<string, (double Loss, double[] Grads)> Step(string dir, ParameterLayout layout, ReadOnlySpan<float> weights,
        int[] inputs, int[] targets, int batch, int seqLen, params string[] dtypes)
    {
        var tensors = new JsonArray();
        foreach (var t in layout.Tensors)
            tensors.Add(new JsonObject { ["name"] = t.Name, ["shape"] = new JsonArray(t.Shape.Select(s => (JsonNode)s).ToArray()), ["offset"] = t.Offset });
        var manifest = new JsonObject
        {
            ["config"] = HfConfig(layout.Config), ["embed_scale_mode"] = "bf16", ["batch"] = batch, ["seq"] = seqLen,
            ["inputs"] = new JsonArray(inputs.Select(i => (JsonNode)i).ToArray()),
            ["targets"] = new JsonArray(targets.Select(i => (JsonNode)i).ToArray()),
            ["tensors"] = tensors,
        };
        File.WriteAllText(Path.Combine(dir, "manifest.json"), manifest.ToJsonString());
        File.WriteAllBytes(Path.Combine(dir, "weights.f32"), System.Runtime.InteropServices.MemoryMarshal.AsBytes(weights).ToArray());
        var (code, stdout, stderr) = Run(Python, [Script, "step", dir, "--dtype", .. dtypes], TimeSpan.FromMinutes(5));
        Assert.True(code == 0, $"torch oracle failed ({code}):\n{stdout}\n{stderr}");
        var result = new Dictionary<string, (double, double[])>();
        foreach (var dtype in dtypes)
        {
            var outJson = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, $"out-{dtype}.json")))!;
            var raw = File.ReadAllBytes(Path.Combine(dir, $"grads-{dtype}.f64"));
            result[dtype] = (outJson["loss"]!.GetValue<double>(), System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(raw).ToArray());
        }
        return result;
    }
}
