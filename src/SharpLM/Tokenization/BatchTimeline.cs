using System.Diagnostics;
using SharpLM.Threading;

namespace SharpLM.Tokenization;

/// <summary>
/// Diagnostics for benchmarks: where the time of one multi-thread batch encode went. Set
/// <see cref="Gemma3Tokenizer.Timeline"/> to an instance and the next batches record, per worker, when it started
/// its first text and finished its last one (relative to the call's start), the time it spent inside texts, its
/// thread CPU time, and when the encode phase and the call ended. That splits a batch's loss against a perfect
/// split into start-up latency, tail imbalance, and slower work per text. Null (the default) costs one branch per
/// batch, nothing per text.
/// </summary>
internal sealed class BatchTimeline
{
    /// <summary>One worker's share of the last batch (ticks of <see cref="Stopwatch"/>, relative to the call's start).</summary>
    public sealed class Worker
    {
        public long FirstStart = long.MaxValue, LastEnd, Busy;
        public int Texts;
        public double CpuSeconds;
        internal void Reset() { FirstStart = long.MaxValue; LastEnd = 0; Busy = 0; Texts = 0; CpuSeconds = 0; }
    }

    /// <summary>Per worker index of the last batch.</summary>
    public Worker[] Workers { get; private set; } = [];
    /// <summary>The encode phase's end and the call's end, relative to its start (ticks).</summary>
    public long EncodeEnd, CallEnd;
    internal long CallStart;

    internal void Begin(int workers)
    {
        if (Workers.Length < workers)
        {
            var w = new Worker[workers];
            for (int i = 0; i < workers; i++) w[i] = i < Workers.Length ? Workers[i] : new Worker();
            Workers = w;
        }
        foreach (var w in Workers) w.Reset();
        CallStart = Stopwatch.GetTimestamp();
    }

    /// <summary><paramref name="encode"/> with timestamps and thread CPU time around every text, per worker index.</summary>
    internal Action<int, int> Wrap(Action<int, int> encode)
    {
        long t0 = CallStart;
        return (w, i) =>
        {
            var me = Workers[w];
            bool first = me.Texts++ == 0;
            double cpu = ThreadCpuSeconds();
            long a = Stopwatch.GetTimestamp();
            encode(w, i);
            long b = Stopwatch.GetTimestamp();
            if (first) me.FirstStart = a - t0;
            me.LastEnd = b - t0;
            me.Busy += b - a;
            me.CpuSeconds += ThreadCpuSeconds() - cpu;
        };
    }

    /// <summary>Marks the end of the encode phase (and of the call, for now), or of the call only.</summary>
    internal void End(bool encodeEnd)
    {
        long t = Stopwatch.GetTimestamp() - CallStart;
        if (encodeEnd) EncodeEnd = t;
        CallEnd = t;
    }

    /// <summary>Seconds from ticks.</summary>
    public static double Seconds(long ticks) => ticks / (double)Stopwatch.Frequency;

    /// <summary>CPU time of the calling thread (<see cref="CpuTime.ThreadSeconds"/>), NaN off Linux.</summary>
    public static double ThreadCpuSeconds() => CpuTime.ThreadSeconds();
}
