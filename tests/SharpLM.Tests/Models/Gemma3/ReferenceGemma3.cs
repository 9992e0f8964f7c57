using SharpLM.Models.Gemma3;

namespace SharpLM.Tests.Models.Gemma3;

/// <summary>
/// An obviously-correct Gemma 3 forward in double precision, written straight from the spec's equations
/// (../shared/spec/gemma3.md §1) and sharing no code with the engine: full causal attention recomputed
/// for every query, no KV cache, no chunking, no SIMD. Weights are HF-style (norms as w) in double.
/// </summary>
public sealed class ReferenceGemma3(Gemma3Config c, IReadOnlyDictionary<string, double[]> w)
{
    double[] W(string name) => w[name];

    /// <summary>
    /// Round the input of every matrix product to Q8_0 blocks first (32 values, d = max|x|/127, q = round(x/d)),
    /// as ggml does for Q4_0/Q8_0 weights (their <c>vec_dot_type</c>) and as SharpLM's integer kernels do.
    /// </summary>
    public bool Q8Activations { get; init; }

    /// <summary>Logits [T][V] for <paramref name="tokens"/> at positions 0…T−1.</summary>
    public double[][] Logits(int[] tokens, bool exactEmbedScale)
    {
        int T = tokens.Length, H = c.HiddenSize, d = c.HeadDim, nH = c.NumHeads, nKV = c.NumKvHeads;
        double embedScale = exactEmbedScale ? (float)Math.Sqrt(H) : RoundToBf16((float)Math.Sqrt(H));
        var E = W("embed_tokens.weight");
        var h = new double[T][];
        for (int t = 0; t < T; t++)
        {
            h[t] = new double[H];
            for (int j = 0; j < H; j++) h[t][j] = E[(long)tokens[t] * H + j] * embedScale;
        }
        for (int l = 0; l < c.NumLayers; l++)
        {
            string P(string s) => $"layers.{l}.{s}";
            bool global = c.IsGlobal(l);
            double ropeBase = global ? c.RopeGlobalBase : c.RopeLocalBase;
            double factor = global ? c.RopeGlobalScale : c.RopeLocalScale;

            var q = new double[T][]; var k = new double[T][]; var v = new double[T][];
            for (int t = 0; t < T; t++)
            {
                var a = Norm(h[t], W(P("input_layernorm.weight")));
                q[t] = Linear(W(P("self_attn.q_proj.weight")), a, nH * d);
                k[t] = Linear(W(P("self_attn.k_proj.weight")), a, nKV * d);
                v[t] = Linear(W(P("self_attn.v_proj.weight")), a, nKV * d);
                for (int hh = 0; hh < nH; hh++) NormHead(q[t], hh * d, d, W(P("self_attn.q_norm.weight")));
                for (int hh = 0; hh < nKV; hh++) NormHead(k[t], hh * d, d, W(P("self_attn.k_norm.weight")));
                for (int hh = 0; hh < nH; hh++) RotateHalf(q[t], hh * d, d, t, ropeBase, factor);
                for (int hh = 0; hh < nKV; hh++) RotateHalf(k[t], hh * d, d, t, ropeBase, factor);
            }
            double scale = 1 / Math.Sqrt(c.QueryPreAttnScalar);
            for (int i = 0; i < T; i++)
            {
                var att = new double[nH * d];
                for (int hh = 0; hh < nH; hh++)
                {
                    int kvh = hh / (nH / nKV);
                    var s = new double[i + 1];
                    double max = double.NegativeInfinity;
                    for (int j = 0; j <= i; j++)
                    {
                        bool visible = global || i - j < c.SlidingWindow;
                        if (!visible) { s[j] = double.NegativeInfinity; continue; }
                        double dot = 0;
                        for (int e = 0; e < d; e++) dot += q[i][hh * d + e] * k[j][kvh * d + e];
                        s[j] = dot * scale;
                        max = Math.Max(max, s[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j <= i; j++) { s[j] = Math.Exp(s[j] - max); sum += s[j]; }
                    for (int j = 0; j <= i; j++)
                        for (int e = 0; e < d; e++) att[hh * d + e] += s[j] / sum * v[j][kvh * d + e];
                }
                var o = Linear(W(P("self_attn.o_proj.weight")), att, H);
                o = Norm(o, W(P("post_attention_layernorm.weight")));
                for (int j = 0; j < H; j++) h[i][j] += o[j];
            }
            for (int t = 0; t < T; t++)
            {
                var m = Norm(h[t], W(P("pre_feedforward_layernorm.weight")));
                var g = Linear(W(P("mlp.gate_proj.weight")), m, c.IntermediateSize);
                var u = Linear(W(P("mlp.up_proj.weight")), m, c.IntermediateSize);
                for (int j = 0; j < g.Length; j++) g[j] = GeluTanh(g[j]) * u[j];
                var y = Norm(Linear(W(P("mlp.down_proj.weight")), g, H), W(P("post_feedforward_layernorm.weight")));
                for (int j = 0; j < H; j++) h[t][j] += y[j];
            }
        }
        var head = w.TryGetValue("lm_head.weight", out var lm) ? lm : E;
        var logits = new double[T][];
        for (int t = 0; t < T; t++) logits[t] = Linear(head, Norm(h[t], W("norm.weight")), c.VocabSize);
        return logits;
    }

    /// <summary>§1.2: x / sqrt(mean(x²) + eps) · (1 + w).</summary>
    double[] Norm(double[] x, double[] weight)
    {
        double ms = 0;
        foreach (var e in x) ms += e * e;
        double inv = 1 / Math.Sqrt(ms / x.Length + c.RmsNormEps);
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++) y[i] = x[i] * inv * (1 + weight[i]);
        return y;
    }

    void NormHead(double[] x, int offset, int d, double[] weight)
    {
        var y = Norm(x[offset..(offset + d)], weight);
        Array.Copy(y, 0, x, offset, d);
    }

    /// <summary>§1.5: pairs (i, i + d/2), θ = p · base^(−2i/d) / factor.</summary>
    static void RotateHalf(double[] x, int offset, int d, int position, double ropeBase, double factor)
    {
        for (int i = 0; i < d / 2; i++)
        {
            double theta = position * Math.Pow(ropeBase, -2.0 * i / d) / factor;
            double a = x[offset + i], b = x[offset + i + d / 2];
            x[offset + i] = a * Math.Cos(theta) - b * Math.Sin(theta);
            x[offset + i + d / 2] = b * Math.Cos(theta) + a * Math.Sin(theta);
        }
    }

    /// <summary>y = W·x for W stored [rows, x.Length] row-major.</summary>
    double[] Linear(double[] weight, double[] x, int rows)
    {
        if (Q8Activations) x = QuantizeQ8(x);
        var y = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            double s = 0;
            for (int j = 0; j < x.Length; j++) s += weight[(long)r * x.Length + j] * x[j];
            y[r] = s;
        }
        return y;
    }

    /// <summary>Q8_0 round trip of x, block by block (the scale in f32, as stored).</summary>
    static double[] QuantizeQ8(double[] x)
    {
        var r = new double[x.Length];
        for (int b = 0; b < x.Length; b += 32)
        {
            float amax = 0;
            for (int j = b; j < b + 32; j++) amax = Math.Max(amax, Math.Abs((float)x[j]));
            float d = amax / 127f, id = d != 0 ? 1f / d : 0f;
            for (int j = b; j < b + 32; j++) r[j] = d * Math.Round((float)x[j] * id, MidpointRounding.ToEven);
        }
        return r;
    }

    /// <summary>§1.8: 0.5·z·(1 + tanh(√(2/π)(z + 0.044715 z³))).</summary>
    static double GeluTanh(double z) => 0.5 * z * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (z + 0.044715 * z * z * z)));

    static double RoundToBf16(float f)
    {
        uint u = BitConverter.SingleToUInt32Bits(f);
        u += 0x7FFF + ((u >> 16) & 1);
        return BitConverter.UInt32BitsToSingle(u & 0xFFFF0000);
    }
}
