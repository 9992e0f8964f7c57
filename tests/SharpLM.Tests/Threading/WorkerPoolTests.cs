using SharpLM.Threading;

namespace SharpLM.Tests.Threading;

public sealed unsafe class WorkerPoolTests
{
    struct Counts { public int* Hits; public int ThreadMarks; }

    static void Mark(void* ctx, int start, int end)
    {
        var c = (Counts*)ctx;
        for (int i = start; i < end; i++) Interlocked.Increment(ref c->Hits[i]);
    }

    static void Throw(void* ctx, int start, int end)
    {
        if (start <= 5 && 5 < end) throw new InvalidDataException("item 5");
    }

    static int s_callerOnly;
    static void RecordThread(void* ctx, int start, int end)
    {
        if (Environment.CurrentManagedThreadId != *(int*)ctx) Interlocked.Increment(ref s_callerOnly);
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(2, 1000, 1)]
    [InlineData(2, 1000, 7)]
    [InlineData(3, 17, 3)]
    [InlineData(4, 100_000, 64)]
    public void EveryItemRunsExactlyOnce(int threads, int count, int grain)
    {
        using var pool = new WorkerPool(threads);
        var hits = new int[count];
        for (int rep = 0; rep < 20; rep++)
        {
            Array.Clear(hits);
            fixed (int* h = hits)
            {
                var c = new Counts { Hits = h };
                pool.Run(&Mark, &c, count, grain);
            }
            Assert.All(hits, v => Assert.Equal(1, v));
        }
    }

    [Fact]
    public void ManyShortCallsInARowAndAfterParking()
    {
        // Back-to-back calls exercise the job slots and generation hand-off; the pauses let workers park.
        using var pool = new WorkerPool(2, TimeSpan.FromMicroseconds(20));
        var hits = new int[64];
        fixed (int* h = hits)
        {
            var c = new Counts { Hits = h };
            for (int i = 0; i < 20_000; i++)
            {
                pool.Run(&Mark, &c, 64, 1);
                if (i % 5000 == 0) Thread.Sleep(5);
            }
        }
        Assert.All(hits, v => Assert.Equal(20_000, v));
    }

    [Fact]
    public void ExceptionsReachTheCallerAndThePoolStaysUsable()
    {
        using var pool = new WorkerPool(2);
        for (int i = 0; i < 50; i++)
        {
            var e = Record.Exception(() => pool.Run(&Throw, null, 100, 1));
            Assert.NotNull(e);
            Assert.True(e is InvalidDataException || e is AggregateException { InnerException: InvalidDataException }, e.ToString());
        }
        var hits = new int[10];
        fixed (int* h = hits)
        {
            var c = new Counts { Hits = h };
            pool.Run(&Mark, &c, 10, 1);
        }
        Assert.All(hits, v => Assert.Equal(1, v));
    }

    [Fact]
    public void MaxThreadsOfOneRunsOnTheCaller()
    {
        using var pool = new WorkerPool(4);
        s_callerOnly = 0;
        int me = Environment.CurrentManagedThreadId;
        pool.Run(&RecordThread, &me, 1000, 1, maxThreads: 1);
        Assert.Equal(0, s_callerOnly);
    }

    [Fact]
    public void RejectsBadArgumentsAndUseAfterDispose()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new WorkerPool(0));
        var pool = new WorkerPool(2);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Run(&Mark, null, 10, 0));
        pool.Dispose();
        pool.Dispose();
        Assert.Throws<ObjectDisposedException>(() => pool.Run(&Mark, null, 10, 1));
    }

    static WorkerPool? s_nested;
    static void Nested(void* ctx, int start, int end)
    {
        for (int i = start; i < end; i++) s_nested!.Run(&Mark, ctx, 16, 1); // runs inline: the workers are busy
    }

    [Fact]
    public void NestedAndConcurrentCallsRunInline()
    {
        using var pool = new WorkerPool(2);
        s_nested = pool;
        var hits = new int[16];
        fixed (int* h = hits)
        {
            var c = new Counts { Hits = h };
            pool.Run(&Nested, &c, 8, 1);
        }
        Assert.All(hits, v => Assert.Equal(8, v));

        // Two threads sharing one pool: every item of every call still runs exactly once.
        var a = new int[1000];
        var b = new int[1000];
        void Hammer(int[] arr)
        {
            fixed (int* h = arr)
            {
                var c = new Counts { Hits = h };
                for (int i = 0; i < 200; i++) pool.Run(&Mark, &c, arr.Length, 7);
            }
        }
        var t1 = new Thread(() => Hammer(a));
        var t2 = new Thread(() => Hammer(b));
        t1.Start(); t2.Start(); t1.Join(); t2.Join();
        Assert.All(a, v => Assert.Equal(200, v));
        Assert.All(b, v => Assert.Equal(200, v));
    }
}
