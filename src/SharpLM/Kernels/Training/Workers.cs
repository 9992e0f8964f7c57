namespace SharpLM.Kernels.Training;

/// <summary>
/// One unit of parallel work: <see cref="Run"/> is called once for every index 0..count−1, on any thread.
/// Jobs are allocated once (see <see cref="Workers.Shared{TShared}"/>) and refilled before each use, so a training
/// step allocates nothing.
/// </summary>
public abstract class ParallelJob
{
    /// <param name="index">Which piece of the work.</param>
    /// <param name="worker">The thread running it, 0..<see cref="Workers.Count"/>−1 (selects per-thread scratch).</param>
    public abstract void Run(int index, int worker);
}

/// <summary>
/// A small fixed pool of threads for the training kernels: the calling thread plus Count−1 helpers.
/// <see cref="For"/> hands out indices dynamically, but every index always computes the same thing in the
/// same order, so results never depend on the thread count or on timing (resume after kill −9 must be
/// bit-identical).
/// </summary>
/// <remarks>
/// Helpers spin briefly for the next job (kernels are called back to back within a step), then sleep on a
/// semaphore. One <see cref="For"/> at a time; a pool belongs to one model.
/// </remarks>
public sealed class Workers : IDisposable
{
    readonly Thread[] _threads;
    readonly SemaphoreSlim[] _wake;
    readonly CountdownEvent _done;
    readonly Dictionary<Type, object> _shared = [];
    ParallelJob? _job;
    int _count;
    int _next;
    volatile bool _stopping;
    int _busy;
    Exception? _failure;

    /// <summary>Threads that run work, including the caller of <see cref="For"/>.</summary>
    public int Count { get; }

    /// <param name="threads">Total threads; 0 or less means <see cref="Environment.ProcessorCount"/>.</param>
    public Workers(int threads = 0)
    {
        Count = threads > 0 ? threads : Environment.ProcessorCount;
        _threads = new Thread[Count - 1];
        _wake = new SemaphoreSlim[Count - 1];
        _done = new CountdownEvent(1);
        for (int i = 0; i < _threads.Length; i++)
        {
            int worker = i + 1;
            _wake[i] = new SemaphoreSlim(0);
            _threads[i] = new Thread(() => Loop(worker)) { IsBackground = true, Name = $"sharplm-train-{worker}" };
            _threads[i].Start();
        }
    }

    /// <summary>
    /// The pool's own instance of <typeparamref name="TShared"/> (a job or a scratch buffer), created on first
    /// use and disposed with the pool. Kernels keep their reusable state here so a step allocates nothing.
    /// </summary>
    public TShared Shared<TShared>() where TShared : class, new()
    {
        if (!_shared.TryGetValue(typeof(TShared), out var j)) _shared[typeof(TShared)] = j = new TShared();
        return (TShared)j;
    }

    /// <summary>
    /// When set, the wall time of every <see cref="For"/> is added to this table under the job's type (e.g.
    /// the GEMM tile job, the attention backward): a per-kernel breakdown of a training step for free. Busy is the
    /// wall time the workers spent running the job's items, summed over the workers (<see cref="System.Diagnostics.Stopwatch"/>
    /// ticks, whatever <see cref="ProfileClock"/> is): against Ticks × <see cref="Count"/>, the share of the pool that
    /// was busy rather than waiting for the last item or for a wake-up.
    /// </summary>
    public Dictionary<Type, (long Ticks, long Calls, long Busy)>? Profile { get; set; }

    /// <summary>
    /// The clock <see cref="Profile"/> reads (default: wall time in <see cref="System.Diagnostics.Stopwatch"/> ticks). A
    /// benchmark with one worker may plug in the calling thread's CPU time, which a busy machine barely disturbs.
    /// </summary>
    public Func<long> ProfileClock { get; set; } = System.Diagnostics.Stopwatch.GetTimestamp;

    /// <summary>The current <see cref="For"/>'s busy time so far (<see cref="Profile"/>'s Busy), added to by every worker as it leaves the job.</summary>
    long _busyTicks;

    /// <summary>Runs <paramref name="job"/> for indices 0..<paramref name="count"/>−1 and waits for all of them.</summary>
    public void For(ParallelJob job, int count)
    {
        if (count <= 0) return;
        if (Profile is { } profile)
        {
            long t0 = ProfileClock();
            _busyTicks = 0;
            Run(job, count);
            var key = job.GetType();
            profile.TryGetValue(key, out var v);
            profile[key] = (v.Ticks + ProfileClock() - t0, v.Calls + 1, v.Busy + Volatile.Read(ref _busyTicks));
            return;
        }
        Run(job, count);
    }

    void Run(ParallelJob job, int count)
    {
        if (Interlocked.Exchange(ref _busy, 1) != 0)
            throw new InvalidOperationException("Workers.For is not re-entrant: one parallel job at a time per pool.");
        try
        {
            if (Count == 1 || count == 1)
            {
                long started = BusyStart();
                for (int i = 0; i < count; i++) job.Run(i, 0);
                BusyEnd(started);
                return;
            }
            _job = job;
            _count = count;
            _next = 0;
            _failure = null;
            int helpers = Math.Min(_threads.Length, count - 1);
            _done.Reset(helpers);
            for (int i = 0; i < helpers; i++) _wake[i].Release();
            Drain(0);
            _done.Wait();
            _job = null;
            if (_failure is { } f) throw new AggregateException("a training kernel failed", f);
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    void Drain(int worker)
    {
        var job = _job!;
        int count = _count;
        long started = BusyStart();
        try
        {
            for (int i = Interlocked.Increment(ref _next) - 1; i < count; i = Interlocked.Increment(ref _next) - 1)
                job.Run(i, worker);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _failure, e, null);
            Volatile.Write(ref _next, count); // stop handing out work
        }
        BusyEnd(started);
    }

    /// <summary>When profiling, the time a thread starts running a job's items (0 otherwise); <see cref="BusyEnd"/> adds its time to the job's Busy.</summary>
    long BusyStart() => Profile is null ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();

    void BusyEnd(long started)
    {
        if (started != 0) Interlocked.Add(ref _busyTicks, System.Diagnostics.Stopwatch.GetTimestamp() - started);
    }

    void Loop(int worker)
    {
        var wake = _wake[worker - 1];
        while (true)
        {
            // Spin a little first: kernels follow each other within microseconds during a step.
            if (!wake.Wait(0))
            {
                var spin = new SpinWait();
                bool got = false;
                for (int i = 0; i < 200 && !got; i++) { spin.SpinOnce(-1); got = wake.Wait(0); }
                if (!got) wake.Wait();
            }
            if (_stopping) return;
            Drain(worker);
            _done.Signal();
        }
    }

    public void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        foreach (var w in _wake) w.Release();
        foreach (var t in _threads) t.Join();
        foreach (var w in _wake) w.Dispose();
        _done.Dispose();
        foreach (var o in _shared.Values) (o as IDisposable)?.Dispose();
        _shared.Clear();
    }
}
