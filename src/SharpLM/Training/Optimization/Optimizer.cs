using System.Runtime.Intrinsics;
using SharpLM.Kernels.Training;

namespace SharpLM.Training.Optimization;

/// <summary>Which update rule <c>sharplm train --optimizer</c> uses.</summary>
public enum OptimizerKind { AdamW, Sgd }

/// <summary>Hyper-parameters of the update other than the learning rate (which comes from the schedule each step).</summary>
public sealed record OptimizerOptions
{
    public OptimizerKind Kind { get; init; } = OptimizerKind.AdamW;
    /// <summary>Decoupled weight decay on matrices and the embedding (norm offsets never decay).</summary>
    public double WeightDecay { get; init; } = 0.1;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.95;
    public double Epsilon { get; init; } = 1e-8;
}

/// <summary>
/// Updates the flat float parameter arena from the flat gradient arena. State (AdamW moments and step) has
/// the parameter layout, so it is saved and restored as tensors with the parameters' names.
/// </summary>
public sealed unsafe class Optimizer : IDisposable
{
    const long RangeElements = 1 << 20;
    /// <summary>Pieces of at most 2^20 elements of each tensor: the unit of parallel work and of the norm's fixed-order sum.</summary>
    readonly (long Start, long End, bool Decay)[] _ranges;
    /// <summary>Range indices longest first: the norm's tasks take four neighbours of similar length (<see cref="FourRangesPerTask"/>).</summary>
    readonly int[] _rangesByLength;

    public OptimizerOptions Options { get; }
    /// <summary>AdamW first moment (null for SGD).</summary>
    public NativeArray<float>? M { get; }
    /// <summary>AdamW second moment (null for SGD).</summary>
    public NativeArray<float>? V { get; }
    /// <summary>Updates applied so far (AdamW bias correction uses it).</summary>
    public long Step { get; set; }

    public Optimizer(ParameterLayout layout, OptimizerOptions options)
    {
        Options = options;
        var ranges = new List<(long, long, bool)>();
        foreach (var t in layout.Tensors)
            for (long s = t.Offset; s < t.Offset + t.Count; s += RangeElements)
                ranges.Add((s, Math.Min(t.Offset + t.Count, s + RangeElements), t.Kind != ParameterKind.Norm));
        _ranges = ranges.ToArray();
        _rangesByLength = Enumerable.Range(0, _ranges.Length).OrderByDescending(i => _ranges[i].End - _ranges[i].Start).ThenBy(i => i).ToArray();
        if (options.Kind == OptimizerKind.AdamW)
        {
            M = new NativeArray<float>(layout.Count);
            V = new NativeArray<float>(layout.Count);
        }
    }

    /// <summary>
    /// One update with learning rate <paramref name="lr"/>; gradients are first multiplied by
    /// <paramref name="gradScale"/> (global-norm clipping).
    /// PyTorch's AdamW: p ← p − lr·wd·p; m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
    /// p ← p − lr·(m/(1−β1^t)) / (sqrt(v/(1−β2^t)) + ε). SGD: p ← p − lr·(g + wd·p).
    /// </summary>
    public void Update(Workers workers, NativeArray<float> parameters, NativeArray<float> gradients, double lr, double gradScale = 1)
    {
        Step++;
        var job = workers.Shared<UpdateJob>();
        job.P = parameters.Pointer; job.G = gradients.Pointer;
        job.M = M is null ? null : M.Pointer; job.V = V is null ? null : V.Pointer;
        job.Ranges = _ranges; job.Options = Options; job.Lr = lr; job.GradScale = (float)gradScale;
        job.Bias1 = 1 - Math.Pow(Options.Beta1, Step);
        job.Bias2 = 1 - Math.Pow(Options.Beta2, Step);
        workers.For(job, _ranges.Length);
    }

    sealed class UpdateJob : ParallelJob
    {
        public float* P, G, M, V;
        public (long Start, long End, bool Decay)[] Ranges = [];
        public OptimizerOptions Options = new();
        public double Lr, Bias1, Bias2;
        public float GradScale;

        public override void Run(int index, int worker)
        {
            var (start, end, decay) = Ranges[index];
            float lr = (float)Lr, wd = decay ? (float)Options.WeightDecay : 0f, gs = GradScale;
            if (Options.Kind == OptimizerKind.Sgd)
            {
                for (long j = start; j < end; j++) P[j] -= lr * (G[j] * gs + wd * P[j]);
                return;
            }
            float b1 = (float)Options.Beta1, b2 = (float)Options.Beta2, eps = (float)Options.Epsilon;
            float c1 = (float)(1 / Bias1), c2 = (float)(1 / Bias2);
            long i = start;
            if (Vector256.IsHardwareAccelerated)
            {
                // The same IEEE operations in the same order as the scalar loop below (no fused multiply-adds),
                // eight lanes at a time: bit-identical results, so checkpoints and resume do not depend on it.
                var vb1 = Vector256.Create(b1); var vb1c = Vector256.Create(1 - b1);
                var vb2 = Vector256.Create(b2); var vb2c = Vector256.Create(1 - b2);
                var vgs = Vector256.Create(gs); var vdecay = Vector256.Create(1 - lr * wd); var vlr = Vector256.Create(lr);
                var vc1 = Vector256.Create(c1); var vc2 = Vector256.Create(c2); var veps = Vector256.Create(eps);
                for (; i + 8 <= end; i += 8)
                {
                    var g = Vector256.Load(G + i) * vgs;
                    var m = vb1 * Vector256.Load(M + i) + vb1c * g;
                    var v = vb2 * Vector256.Load(V + i) + vb2c * g * g;
                    m.Store(M + i);
                    v.Store(V + i);
                    var p = Vector256.Load(P + i) * vdecay;
                    (p - vlr * (m * vc1) / (Vector256.Sqrt(v * vc2) + veps)).Store(P + i);
                }
            }
            for (; i < end; i++)
            {
                float g = G[i] * gs;
                float m = M[i] = b1 * M[i] + (1 - b1) * g;
                float v = V[i] = b2 * V[i] + (1 - b2) * g * g;
                float p = P[i] * (1 - lr * wd);
                P[i] = p - lr * (m * c1) / (MathF.Sqrt(v * c2) + eps);
            }
        }
    }

    /// <summary>‖g‖₂ over all gradients, summed per range in double and then in range order (thread-count independent).</summary>
    public double GradientNorm(Workers workers, NativeArray<float> gradients)
    {
        var job = workers.Shared<NormJob>();
        job.G = gradients.Pointer;
        job.Ranges = _ranges;
        job.Order = _rangesByLength;
        job.RangesPerTask = FourRangesPerTask ? 4 : 1;
        if (job.Sums.Length < _ranges.Length) job.Sums = new double[_ranges.Length];
        workers.For(job, (_ranges.Length + job.RangesPerTask - 1) / job.RangesPerTask);
        double s = 0;
        for (int i = 0; i < _ranges.Length; i++) s += job.Sums[i];
        return Math.Sqrt(s);
    }

    /// <summary>
    /// Whether a norm task sums four ranges side by side (<see cref="Vec.SumSquares4"/>): each range's Σg² is two chains of
    /// dependent double adds (below what memory delivers), four ranges overlap eight chains. Every range's sum
    /// keeps its own order, so the norm has the same bits. SHARPLM_GRADNORM_RANGES4=0: one range per task (A/B).
    /// </summary>
    internal static bool FourRangesPerTask { get; set; } = Environment.GetEnvironmentVariable("SHARPLM_GRADNORM_RANGES4") != "0";

    sealed class NormJob : ParallelJob
    {
        public float* G;
        public (long Start, long End, bool Decay)[] Ranges = [];
        public double[] Sums = [];
        public int[] Order = [];
        public int RangesPerTask = 1;

        /// <summary>Task = ranges Order[index·RangesPerTask …] (any grouping: each range's sum lands in its own slot).</summary>
        public override void Run(int index, int worker)
        {
            int first = index * RangesPerTask, count = Math.Min(RangesPerTask, Ranges.Length - first);
            if (count < 4)
            {
                for (int k = first; k < first + count; k++)
                {
                    var (start, end, _) = Ranges[Order[k]];
                    Sums[Order[k]] = Vec.SumSquares(G + start, (int)(end - start));
                }
                return;
            }
            double* sums = stackalloc double[4];
            int i0 = Order[first], i1 = Order[first + 1], i2 = Order[first + 2], i3 = Order[first + 3];
            Vec.SumSquares4(G + Ranges[i0].Start, Length(i0), G + Ranges[i1].Start, Length(i1),
                G + Ranges[i2].Start, Length(i2), G + Ranges[i3].Start, Length(i3), sums);
            Sums[i0] = sums[0]; Sums[i1] = sums[1]; Sums[i2] = sums[2]; Sums[i3] = sums[3];
        }

        int Length(int i) => (int)(Ranges[i].End - Ranges[i].Start);
    }

    public void Dispose()
    {
        M?.Dispose();
        V?.Dispose();
    }
}
