namespace SharpLM.Bench;

/// <summary>
/// Benchmarks against peers, one suite per peer comparison:
/// <c>dotnet run -c Release --project bench/SharpLM.Bench -- SUITE [options]</c>.
/// Every suite runs SharpLM and its peer on the same input in the same process run and prints the ratio.
/// </summary>
public static class Program
{
    public sealed record Suite(string Name, string Summary, Func<string[], int> Run);

    public static readonly Suite[] Suites =
    [
        new("train", "training tokens/s and peak RSS of the tiny and small presets vs PyTorch CPU (same model, batch, threads)", Train.TrainBench.Run),
        new("train-child", "(internal) SharpLM's side of the train suite: train-child CONFIG B T STEPS WARMUP THREADS", Train.TrainChild.Run),
        new("train-gemm", "training GEMM on a step's real shapes: GFLOP/s per core vs the FMA peak and vs PyTorch's matmul (CPU time)", Train.TrainGemmBench.Run),
        new("train-ops", "fused non-GEMM training ops (QK-norm+RoPE, add+norm, paired norm backwards) against the sequences they replace: interleaved A/B, 1 and 2 workers", Train.TrainOpsBench.Run),
        new("train-attention", "training attention forward/backward and its small products on a preset's shape: GFLOP/s per core (1 thread, CPU time)", Train.TrainAttentionBench.Run),
        new("tokenizer", "Gemma 3 tokenizer vs HF tokenizers: encode MB/s (1 thread, batch), load time, memory", TokenizerBench.Run),
        new("tokenizer-scaling", "why batch encoding does (not) scale: allocation, GC, CPU time and word-cache misses per MB at 1 and N threads", TokenizerScalingBench.Run),
        new("tokenizer-footprint", "where a second encoding thread loses speed: MB per thread-CPU-second at 1 vs 2 threads for hot sets of different sizes, beside ALU controls", TokenizerFootprintBench.Run),
        new("tokenizer-timeline", "where an N-thread batch encode's time goes: per-worker start, end, busy and CPU time per round against the 1-thread batch", TokenizerTimelineBench.Run),
        new("tokenizer-pages", "huge pages for the encoder's lookup tables, A/B in one process: MB per thread-CPU-second at 1 and 2 threads, page modes and smaps", TokenizerPagesBench.Run),
        new("tokenizer-short-words", "word-cache layouts (32/16-bit tags, short-word front table) A/B/C in one process after a working-set model: TokenBatch scaling, CPU per MB at 2 ÷ 1 threads", TokenizerShortWordsBench.Run),
        new("tokenizer-load", "where loading tokenizer.json spends its time (parse, compile; wall, thread and process CPU), merges scanner vs Utf8JsonReader, HF's load", TokenizerLoadBench.Run),
        new("tokenizer-train", "BPE trainer: train time for 4k/8k/16k vocabularies, tokens/byte beside Gemma 3's", TokenizerTrainBench.Run),
        new("bandwidth", "memory bandwidth (STREAM triad and read over arrays far larger than the caches)", MemoryBandwidth.Run),
        new("llama", "SharpLM vs llama.cpp on random-weight Gemma 3 GGUFs: pp512, tg128, peak RSS, roofline (--help in LlamaSuite.cs)", Llama.LlamaSuite.Run),
        new("spin", "(internal) a competing CPU load for llama --busy", Llama.LlamaSuite.Spin),
        new("llama-child", "(internal) one timed engine run: llama-child sharplm|llama.cpp MODEL THREADS PP TG SEED", Llama.ChildMain.Run),
        new("eval-batch", "eval throughput of the engine backend: --batch 1/4/8 with and without shared-prefix reuse, outputs checked identical", Eval.EvalBatchBench.Run),
        new("engine", "Gemma 3 engine vs llama.cpp on the same GGUF: pp/tg t/s medians and ratio (alternating runs)", Engine.EngineBench.Run),
        new("decode-profile", "one decode step: whole step vs its matrix products alone, per matrix kind (ms, GB/s)", Engine.DecodeProfile.Run),
        new("make-model", "write a deterministic random Gemma 3 GGUF of a released shape (real vocabulary) for benchmarks", Engine.BenchModels.Run),
        new("pipeline", "data pipeline pages/s/core on Common Crawl WARC samples; WARC reading vs GZipStream inflate", PipelineBench.Run),
        new("kernels", "matrix kernels per weight type: decode GB/s vs the bandwidth roofline, prefill GMAC/s", KernelBench.Run),
        new("prefill-profile", "where a pp512 spends its time: each matrix product, local/global attention, the rest (PrefillProfileBench.cs)", PrefillProfileBench.Run),
        new("extract", "HTML main-content extraction pages/s: SharpLM vs SmartReader vs Readability.js (node)", Extract.ExtractBenchmark.Run),
    ];

    public static int Main(string[] args)
    {
        var suite = args.Length > 0 ? Suites.FirstOrDefault(s => s.Name == args[0]) : null;
        if (suite is null)
        {
            Console.Error.WriteLine("usage: SharpLM.Bench SUITE [options]\n");
            foreach (var s in Suites) Console.Error.WriteLine($"  {s.Name,-14}{s.Summary}");
            return 2;
        }
        return suite.Run(args[1..]);
    }
}
