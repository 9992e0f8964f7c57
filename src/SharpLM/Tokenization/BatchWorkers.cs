using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using SharpLM.Threading;

namespace SharpLM.Tokenization;

/// <summary>
/// The threads batch encoding runs on: the caller plus persistent workers of a <see cref="WorkerPool"/>. Every
/// tokenizer uses <see cref="Shared"/> (the caller plus <c>ProcessorCount − 1</c> workers, made on the first
/// multi-thread batch, never disposed: its idle workers are parked background threads); tests make their own.
/// </summary>
/// <remarks>
/// <para>Why not <c>Parallel.For</c> per batch (the earlier design): every batch, and the TokenBatch API's
/// second (placing) pass, handed a thread-pool thread a new work item, and on a VM a halted vCPU and a parked
/// pool thread take up to ~2 ms to wake (measured by <see cref="BatchTimeline"/>: the second worker's first text
/// started 0.1–2 ms after the call); the pool's workers spin after a call (100 µs), so the placing pass and
/// back-to-back batches find them awake, and a worker that does come late only takes fewer texts: the caller
/// never waits for it to start.</para>
/// <para>Texts are claimed one at a time from the pool's shared counter (uneven lengths, no idle thread while
/// texts remain). Each thread that joins a batch takes the next worker index of that batch (0, 1, …), the part of
/// a <see cref="TokenBatch"/> it appends to. The pool serves one call at a time: a batch started while another
/// holds the workers (a second caller thread) runs whole on its own thread, correct but not parallel. An
/// exception from any text is rethrown on the caller as itself, after every thread has left the batch.</para>
/// </remarks>
internal sealed unsafe class BatchWorkers : IDisposable
{
    static readonly Lazy<BatchWorkers> s_shared = new(() => new BatchWorkers(Environment.ProcessorCount), LazyThreadSafetyMode.ExecutionAndPublication);
    static long s_batches;
    readonly WorkerPool _pool;

    /// <summary>The process's batch threads (one per core).</summary>
    public static BatchWorkers Shared => s_shared.Value;

    /// <param name="threads">Threads per batch, the caller's included.</param>
    public BatchWorkers(int threads) => _pool = new WorkerPool(threads);

    // The batch this thread last joined and its worker index in it.
    [ThreadStatic] static long t_batch;
    [ThreadStatic] static int t_worker;

    /// <summary>Threads a batch can run on (the caller's included).</summary>
    public int MaxThreads => _pool.ThreadCount;

    /// <summary>Stops the workers (tests; <see cref="Shared"/> lives as long as the process).</summary>
    public void Dispose() => _pool.Dispose();

    sealed class Batch(Action<int, int> encode)
    {
        public readonly Action<int, int> Encode = encode;
        public readonly long Id = Interlocked.Increment(ref s_batches);
        public int Joined;
    }

    /// <summary>
    /// Runs <paramref name="encode"/>(worker, i) for i = 0 … count−1 on up to <paramref name="threads"/> threads, the
    /// caller's first; worker indices are below <paramref name="threads"/>.
    /// </summary>
    public void ForEach(int count, int threads, Action<int, int> encode)
    {
        var batch = new Batch(encode);
        var handle = GCHandle.Alloc(batch);
        try
        {
            _pool.Run(&RunTexts, (void*)GCHandle.ToIntPtr(handle), count, grain: 1, maxThreads: threads);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1)
        {
            ExceptionDispatchInfo.Throw(e.InnerExceptions[0]); // a worker's failure: surface it as itself, as the caller's would be
        }
        finally
        {
            handle.Free();
        }
    }

    static void RunTexts(void* context, int start, int end)
    {
        var batch = (Batch)GCHandle.FromIntPtr((nint)context).Target!;
        if (t_batch != batch.Id)
        {
            t_batch = batch.Id;
            t_worker = Interlocked.Increment(ref batch.Joined) - 1;
        }
        int worker = t_worker;
        for (int i = start; i < end; i++) batch.Encode(worker, i);
    }
}
