using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace SharpLM.Threading;

/// <summary>
/// A persistent pool of worker threads for data-parallel kernels: one call runs a range of items
/// [0, count) split into chunks of <c>grain</c> items, on the calling thread plus the workers, and returns
/// when every item is done. Nothing is allocated per call.
/// </summary>
/// <remarks>
/// <para><b>Dynamic chunking.</b> Participants claim chunks from a shared counter until it runs out, so a
/// worker that the OS deschedules (another process busy on its core) only delays the chunk it holds; the
/// others, the caller included, take the rest. A static split (llama.cpp's) waits for the slowest share.</para>
/// <para><b>Spin, then park.</b> Between calls a worker spins for <see cref="SpinTime"/> (decode issues a
/// matmul every few microseconds, too often to sleep in between), then parks on a semaphore so an idle
/// pool costs no CPU. The caller never waits for a parked worker to wake: it starts on the chunks itself.</para>
/// <para><b>Job slots.</b> A job is published in one of two slots by bumping a generation number; a worker
/// registers as active before it reads the generation, and the caller waits for active workers at the end
/// of every call. A slot is rewritten only two calls later, after such a wait, so a late worker never sees
/// a half-written job (it may see an old, exhausted one and claim nothing).</para>
/// <para>The body is an unmanaged function pointer over an unmanaged context (usually a struct on the
/// caller's stack, which outlives the call). One call holds the workers at a time; a call made while
/// another is running (from another thread, or from inside a body) runs entirely on its own thread.</para>
/// </remarks>
public sealed unsafe class WorkerPool : IDisposable
{
    sealed class Job
    {
        public delegate*<void*, int, int, void> Body;
        public void* Context;
        public int Count;
        public int Grain;
        /// <summary>Workers with an index at or above this take no part (the caller counts as one thread).</summary>
        public int MaxWorkers;
        /// <summary>Next unclaimed item; padded away from the fields every participant only reads.</summary>
        public PaddedLong Next;
    }

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Explicit, Size = 128)]
    struct PaddedLong { [System.Runtime.InteropServices.FieldOffset(64)] public long Value; }

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Explicit, Size = 128)]
    struct PaddedInt { [System.Runtime.InteropServices.FieldOffset(64)] public int Value; }

    readonly Thread[] _threads;
    readonly SemaphoreSlim[] _wake;
    /// <summary>1 while worker i is parked (or about to park) on <see cref="_wake"/>[i].</summary>
    readonly int[] _parked;
    readonly Job[] _slots = [new Job(), new Job()];
    readonly long _spinTicks;
    PaddedInt _generation;
    PaddedInt _active;
    int _inCall;
    volatile bool _disposed;
    Exception? _failure;

    /// <summary>Total threads that work on a call: the caller plus <c>ThreadCount − 1</c> workers.</summary>
    public int ThreadCount { get; }

    /// <summary>How long an idle worker spins before it parks.</summary>
    public TimeSpan SpinTime { get; }

    /// <param name="threads">Threads per call, the caller included (1 = no workers: everything runs inline).</param>
    /// <param name="spinTime">How long idle workers spin before parking; default 100 µs.</param>
    public WorkerPool(int threads, TimeSpan? spinTime = null)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "need at least one thread");
        ThreadCount = threads;
        SpinTime = spinTime ?? TimeSpan.FromMicroseconds(100);
        _spinTicks = (long)(SpinTime.TotalSeconds * Stopwatch.Frequency);
        int workers = threads - 1;
        _threads = new Thread[workers];
        _wake = new SemaphoreSlim[workers];
        _parked = new int[workers];
        for (int i = 0; i < workers; i++)
        {
            _wake[i] = new SemaphoreSlim(0);
            int index = i;
            _threads[i] = new Thread(() => WorkerLoop(index)) { IsBackground = true, Name = $"SharpLM worker {i + 1}" };
            _threads[i].Start();
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/>(<paramref name="context"/>, start, end) over [0, <paramref name="count"/>)
    /// in chunks of <paramref name="grain"/> items on up to <paramref name="maxThreads"/> threads (default: all).
    /// Chunks may run in any order on any thread; the call returns when all have run. An exception in a body
    /// is rethrown here after the call has drained.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see MatrixKernels: no tier-0 phase on short prompts
    public void Run(delegate*<void*, int, int, void> body, void* context, int count, int grain, int maxThreads = int.MaxValue)
    {
        if (count <= 0) return;
        if (grain < 1) throw new ArgumentOutOfRangeException(nameof(grain), grain, "grain must be positive");
        ObjectDisposedException.ThrowIf(_disposed, this);
        int threads = Math.Min(maxThreads, ThreadCount);
        if (threads <= 1 || count <= grain)
        {
            body(context, 0, count);
            return;
        }
        if (Interlocked.Exchange(ref _inCall, 1) != 0)
        {
            // Another call holds the workers (a second model on another thread, or a body that calls back in):
            // this one runs on its own thread. Correct, never blocked; it only lacks the extra threads.
            body(context, 0, count);
            return;
        }
        try
        {
            int gen = _generation.Value + 1;
            Job job = _slots[gen & 1];
            job.Body = body;
            job.Context = context;
            job.Count = count;
            job.Grain = grain;
            job.MaxWorkers = threads - 1;
            Volatile.Write(ref job.Next.Value, 0L);
            Volatile.Write(ref _generation.Value, gen); // publish: everything above is visible to whoever reads gen
            for (int i = 0; i < threads - 1; i++)
                if (Volatile.Read(ref _parked[i]) != 0 && Interlocked.Exchange(ref _parked[i], 0) != 0) _wake[i].Release();

            Exception? mine = null;
            try { Drain(job); }
            catch (Exception e) { mine = e; Volatile.Write(ref job.Next.Value, long.MaxValue / 2); } // stop the others early
            // Wait for workers still inside a chunk. Spin briefly, then yield: a descheduled worker needs the CPU.
            var spin = new SpinWait();
            while (Volatile.Read(ref _active.Value) != 0) spin.SpinOnce(sleep1Threshold: -1);
            Exception? theirs = Interlocked.Exchange(ref _failure, null);
            if (mine is not null || theirs is not null)
                throw mine ?? new AggregateException("a WorkerPool body failed on a worker thread", theirs!);
        }
        finally
        {
            Volatile.Write(ref _inCall, 0);
        }
    }

    /// <summary>Claims and runs chunks of <paramref name="job"/> until none are left.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Drain(Job job)
    {
        int count = job.Count, grain = job.Grain;
        var body = job.Body;
        void* ctx = job.Context;
        while (true)
        {
            long start = Interlocked.Add(ref job.Next.Value, grain) - grain; // long: claims past the end cannot wrap
            if (start >= count) return;
            body(ctx, (int)start, (int)Math.Min(count, start + grain));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see MatrixKernels: no tier-0 phase on short prompts
    void WorkerLoop(int index)
    {
        int seen = 0;
        while (true)
        {
            // Wait for a new generation: spin, then park.
            if (Volatile.Read(ref _generation.Value) == seen)
            {
                long until = Stopwatch.GetTimestamp() + _spinTicks;
                int spins = 0;
                while (Volatile.Read(ref _generation.Value) == seen && !_disposed)
                {
                    if (++spins < 64) { Thread.SpinWait(8); continue; }
                    spins = 0;
                    if (Stopwatch.GetTimestamp() < until) { Thread.SpinWait(8); continue; }
                    // Park. Announce it first, then re-check, so a publisher either sees the flag or we see its generation.
                    Volatile.Write(ref _parked[index], 1);
                    if (Volatile.Read(ref _generation.Value) != seen || _disposed)
                    {
                        if (Interlocked.Exchange(ref _parked[index], 0) == 0) _wake[index].Wait(); // a publisher already released us: consume it
                        break;
                    }
                    _wake[index].Wait();
                    until = Stopwatch.GetTimestamp() + _spinTicks;
                }
            }
            if (_disposed) return;

            Interlocked.Increment(ref _active.Value); // before reading the generation: see the class remarks
            seen = Volatile.Read(ref _generation.Value);
            Job job = _slots[seen & 1];
            if (index < job.MaxWorkers)
            {
                try { Drain(job); }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref _failure, e, null);
                    Volatile.Write(ref job.Next.Value, long.MaxValue / 2);
                }
            }
            Interlocked.Decrement(ref _active.Value);
        }
    }

    /// <summary>Stops the workers (they finish the call in progress, if any) and releases them.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        for (int i = 0; i < _wake.Length; i++)
        {
            if (Interlocked.Exchange(ref _parked[i], 0) != 0) _wake[i].Release();
        }
        foreach (var t in _threads) t.Join();
        foreach (var w in _wake) w.Dispose();
    }
}
