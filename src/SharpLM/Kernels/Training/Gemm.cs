using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpLM.Kernels.Training;

/// <summary>
/// Dense matrix multiply for training: C[M,N] (+)= A·B in float (SIMD) or any IEEE type (scalar, used by the
/// float64 finite-difference tests), row-major, multi-threaded, deterministic.
/// </summary>
/// <remarks>
/// The three products of a Linear layer y = x·Wᵀ (x [N,In], W [Out,In]) are all this one routine:
/// <list type="bullet">
/// <item>forward y = x·Wᵀ: A = x, B = Wᵀ (<c>bTransposed</c>);</item>
/// <item>input gradient dx = dy·W: A = dy, B = W;</item>
/// <item>weight gradient dW += dyᵀ·x: A = dyᵀ (<c>aTransposed</c>), B = x, accumulate.</item>
/// </list>
/// BLIS-style: B is packed into NR-wide column panels (<see cref="GemmPackedB{T}"/>, piece by piece on first use
/// inside the tiles, or once per step for the tied head); each tile of C (a chunk of rows of one column block, see
/// <see cref="Schedule.Sweep"/>) packs its rows of A into MR-tall micro-panels in per-thread scratch and runs an
/// MR×NR register-blocked micro-kernel over KC-long slices of K. Every element of C gets its K slices in order, each
/// slice's products summed in one micro-kernel call (a tile on one worker; or, for a deep product swept one slice at a
/// time, <see cref="SlicePhases"/>, one pass after another), so C is bit-identical for any thread count and any tiling.
/// </remarks>
[SkipLocalsInit] // the micro-kernels' stackalloc'd edge blocks (1.5 KiB) need no zeroing on every call
public static unsafe class Gemm
{
    /// <summary>
    /// Rows of A per task tile (a multiple of every micro-kernel's MR). 384 rows (B reused 4× more per trip from
    /// L3) and a software prefetch of B were faster per core in single-thread CPU time under load, but slower for
    /// small with both workers on a near-quiet machine (BENCHMARKS.md "Training", session 4), so 96 stays.
    /// </summary>
    internal const int MC = 96;
    /// <summary>Columns of C per task tile: the packed B block of KC×NC (768 KiB) stays in L2 across the tile's rows.</summary>
    internal const int NC = 512;
    /// <summary>
    /// Longest K slice a micro-kernel call covers: its MR×KC A micro-panel (18 KiB) stays in L1, and a sweep's B slice
    /// (768 columns × 384, 1.1 MiB) plus its A chunk (240 rows, 360 KiB) mostly in L2 (1 MiB per core on the Cascade Lake
    /// VM these sizes were measured on; the rest comes from L3; smaller blocks that fit measured no faster, see
    /// <see cref="SweepCols"/>). Fewer slices than 256 (sessions 3–6
    /// round 1) means C read and written less often and fewer micro-kernel restarts: all GEMMs of a small step +1–2 %
    /// per core, weight gradients (K = 2048) +4–5 %; 512 overflows L2 and lost 2 % (BENCHMARKS.md "Training", session 6).
    /// Changes the order of sums, so results depend on it: set only before any product (the bench's SHARPLM_GEMM_KC
    /// tuning switch), never between a packing of B and its use.
    /// </summary>
    internal static int KC { get; set; } = 384;
    /// <summary>Tiles wanted per worker so that the workers share the work evenly.</summary>
    const int TasksPerWorker = 2;

    /// <summary>
    /// K slice length: K cut into equal slices of at most <see cref="KC"/>. A function of K alone (never of the
    /// tile or the thread count), so every element of C sums the same products in the same order on any machine
    /// with the same micro-kernel.
    /// </summary>
    internal static int SliceK(int k) => (k + (k + KC - 1) / KC - 1) / ((k + KC - 1) / KC);

    static int Tiles(int n, int tile) => (n + tile - 1) / tile;

    static int RoundUp(int n, int multiple) => (n + multiple - 1) / multiple * multiple;

    /// <summary>Which micro-kernel runs for <typeparamref name="T"/> on this machine.</summary>
    internal enum Path { Scalar, Float256, Float512 }

    internal static Path PathFor<T>() =>
        typeof(T) == typeof(float) && ForcedPath is null
            ? (Avx512F.IsSupported ? Path.Float512 : Vector256.IsHardwareAccelerated && Fma.IsSupported ? Path.Float256 : Path.Scalar)
            : typeof(T) == typeof(float) ? ForcedPath!.Value : Path.Scalar;

    /// <summary>Tests force a float path (e.g. 256-bit on an AVX-512 machine) to check each against the scalar one; per calling thread.</summary>
    [ThreadStatic] internal static Path? ForcedPath;

    internal static int MicroRows(Path p) => p switch { Path.Float512 => 12, Path.Float256 => 6, _ => 4 };
    internal static int MicroCols(Path p) => p switch { Path.Float512 => 32, Path.Float256 => 16, _ => 4 };

    /// <summary>
    /// C[M,N] = A·B (or C += A·B when <paramref name="accumulate"/>). A is [M,K] with row stride
    /// <paramref name="lda"/>, or stored transposed as [K,M]; B is [K,N] with row stride <paramref name="ldb"/>,
    /// or stored transposed as [N,K]. An <paramref name="epilogue"/> sees every finished block of C (see <see cref="GemmEpilogue{T}"/>).
    /// </summary>
    public static void Multiply<T>(Workers workers, int M, int N, int K,
        T* a, int lda, bool aTransposed, T* b, int ldb, bool bTransposed, T* c, int ldc, bool accumulate, GemmEpilogue<T>? epilogue = null)
        where T : unmanaged, INumber<T>
    {
        if (M <= 0 || N <= 0) return;
        if (K <= 0)
        {
            if (!accumulate) for (int i = 0; i < M; i++) new Span<T>(c + (long)i * ldc, N).Clear();
            epilogue?.Apply(c, ldc, 0, M, 0, N);
            return;
        }
        var packed = workers.Shared<GemmPackedB<T>>();
        packed.PackOnFirstUse(K, N, b, ldb, bTransposed);
        Multiply(workers, M, a, lda, aTransposed, packed, c, ldc, accumulate, epilogue);
    }

    /// <summary>C[M,N] (+)= A·B with B already packed (B constant across several calls, e.g. the tied head).</summary>
    public static void Multiply<T>(Workers workers, int M, T* a, int lda, bool aTransposed,
        GemmPackedB<T> b, T* c, int ldc, bool accumulate, GemmEpilogue<T>? epilogue = null)
        where T : unmanaged, INumber<T>
    {
        int N = b.N, K = b.K;
        if (M <= 0 || N <= 0) return;
        var path = PathFor<T>();
        int mr = MicroRows(path);
        if (b.Path != path) throw new InvalidOperationException("packed B was made for another micro-kernel");
        if (Scheduling == Schedule.Sweep)
        {
            var sweep = workers.Shared<SweepJob<T>>();
            sweep.Describe(M, a, lda, aTransposed, b, c, ldc, accumulate, path, mr, epilogue);
            // Column blocks as wide as SweepCols allows, evened out (576 columns as one block of 18 panels with
            // the default 768, 3072 as 4×768): each block's packed B slice (kc × block) is what stays in L2.
            int blocks = Tiles(N, SweepCols);
            sweep.BlockCols = RoundUp((N + blocks - 1) / blocks, b.Nr);
            sweep.Blocks = Tiles(N, sweep.BlockCols);
            sweep.Participants = workers.Count;
            sweep.MaxRows = Math.Max(12, SweepRows / 12 * 12); // a multiple of every MR, so chunks never outgrow the scratch
            sweep.UseSharedA(workers, sweep.Blocks);
            int slices = Tiles(K, b.KSlice);
            if (!SlicePhases || slices < 2 || M >= K)
            {
                sweep.Reset(workers.Count, 0, K);
                workers.For(sweep, workers.Count);
                return;
            }
            // A deep product (K > M: the weight gradients, K = 2048 tokens): a row chunk walks all of B's K slices (4–5 MB
            // for small), more than L2 holds, so every chunk streamed B from DRAM again. Instead, one sweep per K slice, in
            // order: each worker streams the slice once and reuses it from L2 for all its rows, and only C (M rows, smaller
            // than B here) travels again. Every element still sums its slices in order, so the bits are the same.
            for (int s = 0; s < slices; s++)
            {
                sweep.Reset(workers.Count, s * b.KSlice, Math.Min(K, (s + 1) * b.KSlice));
                workers.For(sweep, workers.Count);
            }
            return;
        }
        var job = workers.Shared<TileJob<T>>();
        job.Describe(M, a, lda, aTransposed, b, c, ldc, accumulate, path, mr, epilogue);
        // Tile shape from the matrix shape alone: big tiles, shrunk until there are enough tasks to share
        // (a 64×256 weight gradient would otherwise be one task). Tiles never change the summation order
        // of an element (K is always walked in the same slices, in order), so they cannot change results.
        // Each tile packs its rows of A once per K slice and reuses them across its columns, and reuses each
        // packed B block across its rows: tiles shrink (columns first, down to 4 micro-panels; then rows, down to
        // 4 micro-panels) only until every worker has two.
        int minTasks = workers.Count == 1 ? 1 : TasksPerWorker * workers.Count;
        int mcTile = MC, ncTile = NC;
        while (Tiles(M, mcTile) * Tiles(N, ncTile) < minTasks && (ncTile > 4 * b.Nr || mcTile > 4 * mr))
        {
            if (ncTile > 4 * b.Nr && N > 4 * b.Nr) ncTile /= 2;
            else if (mcTile > 4 * mr) mcTile = Math.Max(mr, mcTile / 2 / mr * mr);
            else break;
        }
        // Even the tiles out: equal widths (576 columns as 2×288, not 512 + 64) and a task count that is a
        // multiple of the workers (rows re-cut into equal tiles when the count is not), so no worker waits on a lone last tile.
        // Both only shrink tiles, so they stay within the scratch sized for MC.
        int tilesN = Tiles(N, ncTile);
        ncTile = RoundUp((N + tilesN - 1) / tilesN, b.Nr);
        int tilesM = Tiles(M, mcTile);
        while (workers.Count > 1 && tilesM * tilesN % workers.Count != 0 && tilesM < Tiles(M, mr)) tilesM++;
        mcTile = RoundUp((M + tilesM - 1) / tilesM, mr);
        job.Mc = mcTile; job.Nc = ncTile;
        job.TilesN = Tiles(N, ncTile);
        job.TilesM = Tiles(M, mcTile);
        job.Scratch.Ensure(workers.Count, MC * KC);
        job.UseSharedA(workers, job.TilesN);
        workers.For(job, job.TilesM * job.TilesN);
    }

    /// <summary>One product C (+)= A·B as the schedules' jobs see it, with per-worker scratch for the packed rows of A.</summary>
    abstract class ProductJob<T> : ParallelJob, IDisposable where T : unmanaged, INumber<T>
    {
        public int M, N, K, Lda, Ldc, Mr;
        public T* A, C;
        public bool ATransposed, Accumulate;
        public GemmPackedB<T> B = null!;
        public Path Path;
        public GemmEpilogue<T>? Epilogue;
        public readonly WorkerScratch<T> Scratch = new();
        /// <summary>The part of K this pass computes: [KFrom, KTo), whole slices (all of K but in <see cref="Gemm.SlicePhases"/>).</summary>
        public int KFrom, KTo;
        /// <summary>A packed once for all column blocks (<see cref="SharedPackedA"/>), or null: each tile packs its rows into <see cref="Scratch"/>.</summary>
        public GemmPackedA<T>? SharedA;

        /// <summary>Packs A once per product (instead of once per column block) when it has several blocks and a small enough A.</summary>
        public void UseSharedA(Workers workers, int columnBlocks)
        {
            SharedA = null;
            if (!SharedPackedA || columnBlocks < 2 || (long)RoundUp(M, Mr) * K > SharedAMaxElements) return;
            SharedA = workers.Shared<GemmPackedA<T>>();
            SharedA.Describe(M, K, A, Lda, ATransposed, B.KSlice, Mr);
        }

        public void Describe(int m, T* a, int lda, bool aTransposed, GemmPackedB<T> b, T* c, int ldc, bool accumulate, Path path, int mr, GemmEpilogue<T>? epilogue)
        {
            M = m; N = b.N; K = b.K; A = a; Lda = lda; ATransposed = aTransposed;
            B = b; C = c; Ldc = ldc; Accumulate = accumulate; Path = path; Mr = mr; Epilogue = epilogue;
            KFrom = 0; KTo = K;
        }

        /// <summary>Rows [i0, i0+mc) × columns [j0, j0+nc) of C on <paramref name="worker"/> (see <see cref="Gemm.Tile{T}"/>).</summary>
        protected void Tile(int i0, int mc, int j0, int nc, int worker) =>
            Gemm.Tile(Path, M, K, KFrom, KTo, A, Lda, ATransposed, SharedA, B, C, Ldc, Accumulate, Mr, i0, mc, j0, nc, Scratch[worker], Epilogue);

        public void Dispose() => Scratch.Dispose();
    }

    sealed class TileJob<T> : ProductJob<T> where T : unmanaged, INumber<T>
    {
        public int TilesN, TilesM, Mc, Nc;

        public override void Run(int index, int worker)
        {
            // Column tiles outer: consecutive tasks (on every worker) share one packed B block, which stays in L2.
            int i0 = index % TilesM * Mc, j0 = index / TilesM * Nc;
            Tile(i0, Math.Min(Mc, M - i0), j0, Math.Min(Nc, N - j0), worker);
        }
    }

    /// <summary>
    /// Rows [i0, i0+mc) × columns [j0, j0+nc) of C, K walked in <see cref="SliceK"/> slices in order (so an element's
    /// sum never depends on the tile): per slice, the tile's rows of A are packed into <paramref name="ap"/> once and
    /// every packed B panel of the slice is reused across all of the tile's rows.
    /// </summary>
    static void Tile<T>(Path path, int M, int K, int kFrom, int kTo, T* A, int lda, bool aTransposed, GemmPackedA<T>? sharedA, GemmPackedB<T> B, T* C, int ldc, bool accumulate,
        int mr, int i0, int mc, int j0, int nc, T* ap, GemmEpilogue<T>? epilogue) where T : unmanaged, INumber<T>
    {
        int nr = B.Nr, kSlice = B.KSlice; // the slices B was packed in (SliceK(K) when it was packed)
        for (int pc = kFrom; pc < kTo; pc += kSlice)
        {
            int kc = Math.Min(kSlice, K - pc);
            // The tile's micro-panels: packed once per product and shared by its column blocks, or packed here.
            T* a0;
            long panelStride;
            if (sharedA != null)
            {
                sharedA.EnsurePacked(i0 / mr, (i0 + mc + mr - 1) / mr, pc / kSlice); // i0 is a multiple of MR in both schedules
                a0 = sharedA.Panel(i0, pc);
                panelStride = (long)mr * K;
            }
            else
            {
                PackA(ap, (long)mr * kc, A, lda, aTransposed, i0, mc, pc, kc, mr);
                a0 = ap;
                panelStride = (long)mr * kc;
            }
            B.EnsurePacked(j0 / nr, (j0 + nc + nr - 1) / nr, pc / kSlice);
            bool acc = accumulate || pc > 0;
            var finish = pc + kc == K ? epilogue : null; // the epilogue sees each strip once, after its last slice
            // The tile's first B panel at this slice; panel after panel are K·NR apart (stepped by pointer: a division by
            // the non-constant NR per micro-kernel call showed in the profile).
            T* bFirst = B.Panel(j0) + (long)pc * nr;
            long bPanelStride = (long)K * nr;
            if (path == Path.Float256 && ColumnsOuter256 && finish is null)
            {
                // Columns outer: one kc×16 B panel (24 KiB at kc 384) stays in a Zen 3 core's 32 KiB L1 while the tile's
                // A micro-panels (24 bytes per k, against B's 64) stream from L2 (240 rows × 384: 360 KiB of 512 KiB).
                // Rows outer streams the whole B block per 6 rows, from L3 once the block outgrows L2 (768 columns × 384
                // is 1.1 MiB). Kept at KC 384: 256 (a 16 KiB panel) measured no faster here (0.96–1.0×, train-gemm --ab-kc).
                T* bPanel = bFirst;
                for (int jr = 0; jr < nc; jr += nr, bPanel += bPanelStride)
                {
                    int cols = Math.Min(nr, nc - jr);
                    T* a = a0;
                    T* cBlock = C + (long)i0 * ldc + j0 + jr;
                    for (int ir = 0; ir < mc; ir += mr, a += panelStride, cBlock += (long)mr * ldc)
                        Micro(path, kc, a, bPanel, bPanel, cBlock, ldc, Math.Min(mr, mc - ir), cols, acc);
                }
                continue;
            }
            // Rows outer: one MR×kc micro-panel of A stays in L1 while the tile's B panels stream from L2.
            for (int ir = 0; ir < mc; ir += mr)
            {
                int rows = Math.Min(mr, mc - ir);
                T* a = a0 + ir / mr * panelStride;
                T* cRow = C + (long)(i0 + ir) * ldc + j0;
                T* bPanel = bFirst;
                for (int jr = 0; jr < nc; jr += nr, bPanel += bPanelStride)
                {
                    // The panel the next call reads (this row's next, or the tile's first for the next rows).
                    T* next = jr + nr < nc ? bPanel + bPanelStride : bFirst;
                    Micro(path, kc, a, bPanel, next, cRow + jr, ldc, rows, Math.Min(nr, nc - jr), acc);
                }
                // Per strip of MR rows × the tile's columns, not per micro-block: the epilogue then walks rows of up to
                // SweepCols values (hardware-prefetchable runs) instead of 128-byte pieces (measured: 42 vs 48 ms, GeGLU).
                finish?.Apply(cRow, ldc, i0 + ir, rows, j0, nc);
            }
        }
    }

    /// <summary>How the tiles of C are handed to the workers (the bench's A/B switch; results are identical).</summary>
    internal enum Schedule
    {
        /// <summary>Fixed MC×NC tiles, column blocks outer, handed out in order (sessions 3–5).</summary>
        Tiles,
        /// <summary>
        /// Each worker sweeps the rows of its own column blocks in large chunks (the packed B slice stays in its
        /// L2 and is reused by up to <see cref="SweepRows"/> rows), then helps with the others' blocks; chunks
        /// shrink as the work runs out so that the workers finish together.
        /// </summary>
        Sweep,
    }

    internal static Schedule Scheduling { get; set; } = Schedule.Sweep;

    /// <summary>How the operands are packed (the bench's SHARPLM_GEMM_PACKING A/B switch; results are identical).</summary>
    internal enum PackingScheme
    {
        /// <summary>Sessions 3–7: A packed per tile (once per column block), 12-row micro-panels as two 8-row transposes, B's rows by Memmove.</summary>
        PerTile,
        /// <summary>
        /// A packed once per product and shared by its column blocks (<see cref="GemmPackedA{T}"/>), 12-row micro-panels
        /// as an 8-row and a 4-row transpose, B's rows copied in registers with a prefetch a few rows ahead.
        /// </summary>
        Shared,
    }

    internal static PackingScheme Packing { get; set; } = PackingScheme.Shared;
    static bool SharedPackedA => Packing == PackingScheme.Shared;
    internal static bool VectorCopyB => Packing == PackingScheme.Shared;
    /// <summary>Largest A (MR-rounded rows × K) packed once per product: 16 Mi floats (64 MiB); larger ones pack per tile.</summary>
    internal const long SharedAMaxElements = 16L << 20;
    /// <summary>Source rows of a non-transposed B prefetched ahead while packing (as <see cref="TransposedPrefetchRows"/> for A).</summary>
    internal const int PackBPrefetchRows = 8;
    /// <summary>Most rows of one sweep chunk (a multiple of every MR): its A slice (360 KiB) and C rows (up to 720 KiB) share L2 with the B slice.</summary>
    internal static int SweepRows { get; set; } = 240;
    /// <summary>
    /// Widest column block of a sweep: its packed B slice (up to 1.1 MiB with kc 384) is what each worker keeps close.
    /// That is a little more than this VM's 1 MiB L2, yet 768 measured best on small's shapes (qkv's 768 columns in one
    /// block: its forward 88 → 101 GFLOP/s; 320 lost 7 % overall, 1024 the same as 768; BENCHMARKS.md "Training",
    /// session 6; 384 with 240 or 120 rows no better in session 9's recheck, SHARPLM_GEMM_SWEEP in the bench).
    /// </summary>
    internal static int SweepCols { get; set; } = 768;

    /// <summary>
    /// Sweeps a deep product (K &gt; M, K in several slices) one K slice at a time, so each worker streams each slice of
    /// B once (the bench's SHARPLM_GEMM_SLICE_PHASES A/B switch; results never change).
    /// </summary>
    internal static bool SlicePhases { get; set; } = true;

    /// <summary>
    /// The 256-bit path walks a tile's B panels outer and its A micro-panels inner (the B panel stays in L1; BLIS's
    /// order), except for a slice with an epilogue, which needs whole strips of rows (the bench's SHARPLM_GEMM_COLUMNS_OUTER
    /// A/B switch; false: rows outer, as the 512-bit path; results never change).
    /// </summary>
    internal static bool ColumnsOuter256 { get; set; } = true;

    sealed class SweepJob<T> : ProductJob<T> where T : unmanaged, INumber<T>
    {
        public int Blocks, BlockCols, Participants, MaxRows, MinPanels;
        const int Pad = 16; // one counter per 64-byte line: the workers claim rows of different blocks without false sharing
        int[] _next = [];
        long _remaining;

        public void Reset(int workers, int kFrom, int kTo)
        {
            KFrom = kFrom; KTo = kTo;
            // A product swept slice by slice ends a pass once per K slice, and the slice of B stays in L2 however the rows are cut:
            // end it on chunks of one micro-panel (0.04 ms) rather than four, so the workers finish each pass together.
            MinPanels = kTo - kFrom < K ? 1 : 4;
            if (_next.Length < Blocks * Pad) _next = new int[Blocks * Pad];
            else Array.Clear(_next, 0, Blocks * Pad);
            _remaining = (long)M * Tiles(N, B.Nr);
            Scratch.Ensure(workers, MaxRows * KC);
        }

        /// <summary>Participant p's own blocks are p, p + P, …; then it helps with every block until none has rows left.</summary>
        public override void Run(int participant, int worker)
        {
            for (int blk = participant; blk < Blocks; blk += Participants) Drain(blk, worker);
            // Then every block from the next one round (a drained block returns at once). Starting at i = 0 matters
            // when there are fewer blocks than participants (N ≤ SweepCols: one block): a participant with no block
            // of its own must still help, or it idles while the other sweeps the whole product alone.
            for (int i = 0; i < Blocks; i++) Drain((participant + i) % Blocks, worker);
        }

        void Drain(int blk, int worker)
        {
            int j0 = blk * BlockCols, nc = Math.Min(BlockCols, N - j0), panels = Tiles(nc, B.Nr);
            ref int next = ref _next[blk * Pad];
            while (true)
            {
                int i0 = Volatile.Read(ref next);
                if (i0 >= M) return;
                // Guided: a 1/(2·workers) share of all the work still unclaimed, between MinPanels micro-panels and MaxRows.
                long share = Volatile.Read(ref _remaining) / (2L * Participants * panels);
                int rows = Math.Min(RoundUp((int)Math.Clamp(share, Math.Min((long)MinPanels * Mr, MaxRows), MaxRows), Mr), M - i0);
                if (Interlocked.CompareExchange(ref next, i0 + rows, i0) != i0) continue;
                Interlocked.Add(ref _remaining, -(long)rows * panels);
                Tile(i0, rows, j0, nc, worker);
            }
        }
    }

    /// <summary>Source rows of a transposed A prefetched ahead while packing (8 rows of up to 240 floats: ~120 lines in flight at most).</summary>
    /// <remarks>A tuning switch (SHARPLM_GEMM_TPREFETCH, train-gemm --ab-tprefetch); 0 turns the prefetch off. Never changes results.</remarks>
    internal static int TransposedPrefetchRows { get; set; } = 8;

    /// <summary>
    /// Packs rows [i0, i0+mc) × K slice [pc, pc+kc) of A as MR-row micro-panels: element (r, k) of panel p at
    /// p·<paramref name="panelStride"/> + k·MR + r (stride MR·kc in a tile's scratch, MR·K in <see cref="GemmPackedA{T}"/>); rows past mc are zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // inlined into Tile, its loops made the JIT spill Tile's micro-kernel loop to the stack
    internal static void PackA<T>(T* dst, long panelStride, T* a, int lda, bool transposed, int i0, int mc, int pc, int kc, int mr) where T : unmanaged, INumber<T>
    {
        int start = 0;
        if (typeof(T) == typeof(float) && (mr == 12 || mr == 6) && transposed && mc >= mr && Avx.IsSupported)
        {
            // Transposed A (the weight gradient's dyᵀ): row k of the source holds the tile's mc values of that k side by
            // side, but consecutive k are a whole row (lda floats, often 12 KiB) apart, a stride no hardware prefetcher
            // follows. So walk k outer, read each source row once across all full micro-panels, and prefetch the row
            // TransposedPrefetchRows ahead: many rows in flight instead of one DRAM latency per row. Each k of a panel is
            // one run of MR source floats: 32 + 16 bytes (512-bit path), 16 + 8 bytes (256-bit path; element by element,
            // this packing was 9 % of a small step on Zen 3).
            int full = mc / mr * mr, lines = (full * sizeof(float) + 63) / 64 + 1; // +1: the row need not start on a line
            float* fa = (float*)a, fd = (float*)dst;
            int prefetchRows = TransposedPrefetchRows;
            for (int k = 0; k < kc; k++)
            {
                float* src = fa + (long)(pc + k) * lda + i0;
                if (prefetchRows > 0 && k + prefetchRows < kc)
                {
                    byte* ahead = (byte*)(src + (long)prefetchRows * lda);
                    for (int l = 0; l < lines; l++) Sse.Prefetch0(ahead + l * 64);
                }
                float* d = fd + k * mr;
                if (mr == 12)
                    for (int ir = 0; ir < full; ir += 12, d += panelStride)
                    {
                        Vector256.Load(src + ir).Store(d);
                        Vector128.Load(src + ir + 8).Store(d + 8);
                    }
                else
                    for (int ir = 0; ir < full; ir += 6, d += panelStride)
                    {
                        Vector128.Load(src + ir).Store(d);
                        *(ulong*)(d + 4) = *(ulong*)(src + ir + 4);
                    }
            }
            start = full;
        }
        for (int ir = start; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            T* d = dst + ir / mr * panelStride;
            if (typeof(T) == typeof(float) && mr == 12 && rows == 12 && !transposed && Avx.IsSupported)
            {
                // Full float micro-panels of 12 rows: 8×8 register transposes.
                float* fd = (float*)d;
                float* src = (float*)a + (long)(i0 + ir) * lda + pc;
                if (Packing == PackingScheme.PerTile)
                {
                    // Rows 0–7, then rows 4–11 (rows 4–7 are written twice with the same values): all in registers.
                    SmallMatMul.Transpose(8, kc, src, lda, fd, 12);
                    SmallMatMul.Transpose(8, kc, src + 4L * lda, lda, fd + 4, 12);
                    continue;
                }
                // Rows 0–7 as 8×8 blocks and rows 8–11 as 4×8 blocks: a third fewer shuffles and stores than 0–7 + 4–11.
                int k = 0;
                for (; k + 8 <= kc; k += 8)
                {
                    SmallMatMul.Transpose8x8(src + k, lda, fd + k * 12, 12);
                    Transpose4x8(src + 8L * lda + k, lda, fd + k * 12 + 8);
                }
                for (; k < kc; k++)
                    for (int r = 0; r < 12; r++) fd[k * 12 + r] = src[(long)r * lda + k];
                continue;
            }
            if (typeof(T) == typeof(float) && mr == 6 && rows == 6 && !transposed && Avx.IsSupported)
            {
                // Full 6-row micro-panels of the 256-bit path (forward and input-gradient products): 6×8 register transposes.
                float* fd = (float*)d;
                float* src = (float*)a + (long)(i0 + ir) * lda + pc;
                int k = 0;
                for (; k + 8 <= kc; k += 8) Transpose6x8(src + k, lda, fd + k * 6);
                for (; k < kc; k++)
                    for (int r = 0; r < 6; r++) fd[k * 6 + r] = src[(long)r * lda + k];
                continue;
            }
            if (transposed)
            {
                // A(i,k) = a[k·lda + i]: the MR values of one k are adjacent.
                for (int k = 0; k < kc; k++)
                {
                    T* s = a + (long)(pc + k) * lda + i0 + ir;
                    int r = 0;
                    for (; r < rows; r++) d[k * mr + r] = s[r];
                    for (; r < mr; r++) d[k * mr + r] = T.Zero;
                }
            }
            else
            {
                for (int r = 0; r < rows; r++)
                {
                    T* s = a + (long)(i0 + ir + r) * lda + pc;
                    for (int k = 0; k < kc; k++) d[k * mr + r] = s[k];
                }
                for (int r = rows; r < mr; r++)
                    for (int k = 0; k < kc; k++) d[k * mr + r] = T.Zero;
            }
        }
    }

    /// <summary>Four source rows × 8 k (row stride <paramref name="lda"/>) into rows 8–11 of eight 12-wide micro-panel rows at <paramref name="dst"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Transpose4x8(float* src, int lda, float* dst)
    {
        var r0 = Avx.LoadVector256(src); var r1 = Avx.LoadVector256(src + lda);
        var r2 = Avx.LoadVector256(src + 2 * lda); var r3 = Avx.LoadVector256(src + 3 * lda);
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1); // k 0,1 | 4,5 of rows 0–1; k 2,3 | 6,7
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE); // k 0 | 4, k 1 | 5
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE); // k 2 | 6, k 3 | 7
        u0.GetLower().Store(dst); u1.GetLower().Store(dst + 12); u2.GetLower().Store(dst + 24); u3.GetLower().Store(dst + 36);
        u0.GetUpper().Store(dst + 48); u1.GetUpper().Store(dst + 60); u2.GetUpper().Store(dst + 72); u3.GetUpper().Store(dst + 84);
    }

    /// <summary>
    /// Six source rows × 8 k (row stride <paramref name="lda"/>) into eight 6-wide micro-panel rows: 48 contiguous
    /// floats at <paramref name="dst"/>, written nowhere else.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Transpose6x8(float* src, int lda, float* dst)
    {
        var r0 = Avx.LoadVector256(src); var r1 = Avx.LoadVector256(src + lda);
        var r2 = Avx.LoadVector256(src + 2 * lda); var r3 = Avx.LoadVector256(src + 3 * lda);
        var r4 = Avx.LoadVector256(src + 4 * lda); var r5 = Avx.LoadVector256(src + 5 * lda);
        // The 8×8 network with rows 6 and 7 zero: t6 = t7 = 0, so u4..u7 come from rows 4–5 alone.
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var z = Vector256<float>.Zero;
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, z, 0x44); var u5 = Avx.Shuffle(t4, z, 0xEE);
        var u6 = Avx.Shuffle(t5, z, 0x44); var u7 = Avx.Shuffle(t5, z, 0xEE);
        // Output k is rows 0–5 of 8 lanes: stored 8 wide at 6·k in increasing k, each store's two spare lanes are
        // overwritten by the next; the last k goes as 4 + 2 lanes so that nothing past the 48 floats is touched.
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + 6, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 12, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 18, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 24, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 30, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 36, Avx.Permute2x128(u2, u6, 0x31));
        var last = Avx.Permute2x128(u3, u7, 0x31);
        last.GetLower().Store(dst + 42);
        Sse2.StoreLow((double*)(dst + 46), last.GetUpper().AsDouble());
    }

    static void Micro<T>(Path path, int kc, T* a, T* b, T* bNext, T* c, int ldc, int rows, int cols, bool accumulate) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float))
        {
            if (path == Path.Float512) { Micro512(kc, (float*)a, (float*)b, (float*)bNext, (float*)c, ldc, rows, cols, accumulate); return; }
            if (path == Path.Float256) { Micro256(kc, (float*)a, (float*)b, (float*)c, ldc, rows, cols, accumulate); return; }
        }
        MicroScalar(kc, a, b, c, ldc, rows, cols, accumulate);
    }

    /// <summary>The reference: C[r, j] (+)= Σ_k a[k·4 + r] · b[k·4 + j] over a 4×4 block.</summary>
    static void MicroScalar<T>(int kc, T* a, T* b, T* c, int ldc, int rows, int cols, bool accumulate) where T : unmanaged, INumber<T>
    {
        const int mr = 4, nr = 4;
        T* acc = stackalloc T[mr * nr];
        for (int i = 0; i < mr * nr; i++) acc[i] = T.Zero;
        for (int k = 0; k < kc; k++)
            for (int r = 0; r < mr; r++)
            {
                T ar = a[k * mr + r];
                for (int j = 0; j < nr; j++) acc[r * nr + j] += ar * b[k * nr + j];
            }
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < cols; j++)
                c[(long)r * ldc + j] = accumulate ? c[(long)r * ldc + j] + acc[r * nr + j] : acc[r * nr + j];
    }

    /// <summary>
    /// How many k iterations (128 bytes of B each) ahead the 512-bit micro-kernel prefetches B; 0 turns the prefetch
    /// off (the bench's A/B switch). 16 (2 KiB) measured best per core: all GEMMs of a step +12–13 % over none,
    /// 8 and 32 in between (BENCHMARKS.md "Training", session 5). Never changes results.
    /// </summary>
    internal static int PrefetchIterations { get; set; } = 16;

    /// <summary>
    /// 12×32 block with 24 zmm accumulators (BLIS's shape for AVX-512): per k, two 16-wide loads of B and 12
    /// broadcasts of A feed 24 FMAs, so the two FMA ports, not the loads, set the pace, and B (streamed from L2
    /// while the A micro-panel sits in L1) needs 128 bytes per 12 cycles.
    /// <paramref name="bNext"/> is the B panel the next call reads (prefetched over the last iterations).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Micro512(int kc, float* a, float* b, float* bNext, float* c, int ldc, int rows, int cols, bool accumulate)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default, c90 = default, c91 = default, c100 = default, c101 = default, c110 = default, c111 = default;
        // C's 24 cache lines are needed only after the loop: ask for them now so a miss overlaps the FMAs.
        for (int r = 0; r < rows; r++) { Sse.Prefetch0(c + (long)r * ldc); Sse.Prefetch0(c + (long)r * ldc + 16); }
        // The loop waits on B (streamed from L2, or L3 for a tile's first rows) when only the hardware prefetchers
        // bring it to L1: fetch it PrefetchIterations early, and over the last iterations the start of the next panel.
        int ahead = Math.Min(PrefetchIterations, kc);
        float* pb = b + ahead * 32;
        int k = 0;
        if (ahead == 0) pb = b; // prefetch off: the loop touches only lines it reads anyway
        // Two phases, one loop body: first this panel's lines `ahead` iterations early, then the next panel's start.
        for (int phase = 0; phase < 2; phase++)
        {
            int stop = phase == 0 ? kc - ahead : kc;
            for (; k < stop; k++)
            {
                Sse.Prefetch0(pb); Sse.Prefetch0(pb + 16); pb += 32;
                var b0 = Vector512.Load(b);
                var b1 = Vector512.Load(b + 16);
                Vector512<float> x;
                x = Vector512.Create(a[0]); c00 = Avx512F.FusedMultiplyAdd(x, b0, c00); c01 = Avx512F.FusedMultiplyAdd(x, b1, c01);
                x = Vector512.Create(a[1]); c10 = Avx512F.FusedMultiplyAdd(x, b0, c10); c11 = Avx512F.FusedMultiplyAdd(x, b1, c11);
                x = Vector512.Create(a[2]); c20 = Avx512F.FusedMultiplyAdd(x, b0, c20); c21 = Avx512F.FusedMultiplyAdd(x, b1, c21);
                x = Vector512.Create(a[3]); c30 = Avx512F.FusedMultiplyAdd(x, b0, c30); c31 = Avx512F.FusedMultiplyAdd(x, b1, c31);
                x = Vector512.Create(a[4]); c40 = Avx512F.FusedMultiplyAdd(x, b0, c40); c41 = Avx512F.FusedMultiplyAdd(x, b1, c41);
                x = Vector512.Create(a[5]); c50 = Avx512F.FusedMultiplyAdd(x, b0, c50); c51 = Avx512F.FusedMultiplyAdd(x, b1, c51);
                x = Vector512.Create(a[6]); c60 = Avx512F.FusedMultiplyAdd(x, b0, c60); c61 = Avx512F.FusedMultiplyAdd(x, b1, c61);
                x = Vector512.Create(a[7]); c70 = Avx512F.FusedMultiplyAdd(x, b0, c70); c71 = Avx512F.FusedMultiplyAdd(x, b1, c71);
                x = Vector512.Create(a[8]); c80 = Avx512F.FusedMultiplyAdd(x, b0, c80); c81 = Avx512F.FusedMultiplyAdd(x, b1, c81);
                x = Vector512.Create(a[9]); c90 = Avx512F.FusedMultiplyAdd(x, b0, c90); c91 = Avx512F.FusedMultiplyAdd(x, b1, c91);
                x = Vector512.Create(a[10]); c100 = Avx512F.FusedMultiplyAdd(x, b0, c100); c101 = Avx512F.FusedMultiplyAdd(x, b1, c101);
                x = Vector512.Create(a[11]); c110 = Avx512F.FusedMultiplyAdd(x, b0, c110); c111 = Avx512F.FusedMultiplyAdd(x, b1, c111);
                a += 12; b += 32;
            }
            pb = bNext;
        }
        if (rows == 12 && cols == 32)
        {
            Store512(c + 0 * ldc, c00, c01, accumulate); Store512(c + 1 * ldc, c10, c11, accumulate);
            Store512(c + 2 * ldc, c20, c21, accumulate); Store512(c + 3 * ldc, c30, c31, accumulate);
            Store512(c + 4 * ldc, c40, c41, accumulate); Store512(c + 5 * ldc, c50, c51, accumulate);
            Store512(c + 6 * ldc, c60, c61, accumulate); Store512(c + 7 * ldc, c70, c71, accumulate);
            Store512(c + 8 * ldc, c80, c81, accumulate); Store512(c + 9 * ldc, c90, c91, accumulate);
            Store512(c + 10 * ldc, c100, c101, accumulate); Store512(c + 11 * ldc, c110, c111, accumulate);
            return;
        }
        float* t = stackalloc float[12 * 32];
        c00.Store(t + 0); c01.Store(t + 16);
        c10.Store(t + 32); c11.Store(t + 48);
        c20.Store(t + 64); c21.Store(t + 80);
        c30.Store(t + 96); c31.Store(t + 112);
        c40.Store(t + 128); c41.Store(t + 144);
        c50.Store(t + 160); c51.Store(t + 176);
        c60.Store(t + 192); c61.Store(t + 208);
        c70.Store(t + 224); c71.Store(t + 240);
        c80.Store(t + 256); c81.Store(t + 272);
        c90.Store(t + 288); c91.Store(t + 304);
        c100.Store(t + 320); c101.Store(t + 336);
        c110.Store(t + 352); c111.Store(t + 368);
        CopyEdge(t, 32, c, ldc, rows, cols, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store512(float* c, Vector512<float> lo, Vector512<float> hi, bool accumulate)
    {
        if (accumulate) { lo += Vector512.Load(c); hi += Vector512.Load(c + 16); }
        lo.Store(c);
        hi.Store(c + 16);
    }

    /// <summary>6×16 block with 12 ymm accumulators (AVX2 + FMA machines): per k, two 8-wide loads of B and 6 broadcasts of A feed 12 FMAs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Micro256(int kc, float* a, float* b, float* c, int ldc, int rows, int cols, bool accumulate)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        // C's rows (64 bytes each, one or two lines) are needed only after the loop: ask for them now so a miss overlaps the FMAs.
        for (int r = 0; r < rows; r++) { Sse.Prefetch0(c + (long)r * ldc); Sse.Prefetch0(c + (long)r * ldc + 15); }
        // Two k per iteration: half the loop's counter and branch work, and the JIT's loop of 240 bytes measured
        // faster in L1 than the single step (kc 256 on Zen 3: ~90 vs ~80 GFLOP/s, noisy under load). Each
        // accumulator still adds its products in k order, so the bits are those of one k per iteration.
        int k = 0;
        for (; k + 2 <= kc; k += 2)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            Vector256<float> x;
            x = Vector256.Create(a[0]); c00 = Fma.MultiplyAdd(x, b0, c00); c01 = Fma.MultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[1]); c10 = Fma.MultiplyAdd(x, b0, c10); c11 = Fma.MultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[2]); c20 = Fma.MultiplyAdd(x, b0, c20); c21 = Fma.MultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[3]); c30 = Fma.MultiplyAdd(x, b0, c30); c31 = Fma.MultiplyAdd(x, b1, c31);
            x = Vector256.Create(a[4]); c40 = Fma.MultiplyAdd(x, b0, c40); c41 = Fma.MultiplyAdd(x, b1, c41);
            x = Vector256.Create(a[5]); c50 = Fma.MultiplyAdd(x, b0, c50); c51 = Fma.MultiplyAdd(x, b1, c51);
            b0 = Vector256.Load(b + 16);
            b1 = Vector256.Load(b + 24);
            x = Vector256.Create(a[6]); c00 = Fma.MultiplyAdd(x, b0, c00); c01 = Fma.MultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[7]); c10 = Fma.MultiplyAdd(x, b0, c10); c11 = Fma.MultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[8]); c20 = Fma.MultiplyAdd(x, b0, c20); c21 = Fma.MultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[9]); c30 = Fma.MultiplyAdd(x, b0, c30); c31 = Fma.MultiplyAdd(x, b1, c31);
            x = Vector256.Create(a[10]); c40 = Fma.MultiplyAdd(x, b0, c40); c41 = Fma.MultiplyAdd(x, b1, c41);
            x = Vector256.Create(a[11]); c50 = Fma.MultiplyAdd(x, b0, c50); c51 = Fma.MultiplyAdd(x, b1, c51);
            a += 12; b += 32;
        }
        if (k < kc)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            Vector256<float> x;
            x = Vector256.Create(a[0]); c00 = Fma.MultiplyAdd(x, b0, c00); c01 = Fma.MultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[1]); c10 = Fma.MultiplyAdd(x, b0, c10); c11 = Fma.MultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[2]); c20 = Fma.MultiplyAdd(x, b0, c20); c21 = Fma.MultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[3]); c30 = Fma.MultiplyAdd(x, b0, c30); c31 = Fma.MultiplyAdd(x, b1, c31);
            x = Vector256.Create(a[4]); c40 = Fma.MultiplyAdd(x, b0, c40); c41 = Fma.MultiplyAdd(x, b1, c41);
            x = Vector256.Create(a[5]); c50 = Fma.MultiplyAdd(x, b0, c50); c51 = Fma.MultiplyAdd(x, b1, c51);
        }
        if (rows == 6 && cols == 16)
        {
            // A full block straight to C (c + t and t + c are the same bits, so the edge copy's sums are unchanged).
            Store256(c + 0 * ldc, c00, c01, accumulate); Store256(c + 1 * ldc, c10, c11, accumulate);
            Store256(c + 2 * ldc, c20, c21, accumulate); Store256(c + 3 * ldc, c30, c31, accumulate);
            Store256(c + 4 * ldc, c40, c41, accumulate); Store256(c + 5 * ldc, c50, c51, accumulate);
            return;
        }
        float* t = stackalloc float[6 * 16];
        c00.Store(t); c01.Store(t + 8); c10.Store(t + 16); c11.Store(t + 24); c20.Store(t + 32); c21.Store(t + 40);
        c30.Store(t + 48); c31.Store(t + 56); c40.Store(t + 64); c41.Store(t + 72); c50.Store(t + 80); c51.Store(t + 88);
        CopyEdge(t, 16, c, ldc, rows, cols, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store256(float* c, Vector256<float> lo, Vector256<float> hi, bool accumulate)
    {
        if (accumulate) { lo += Vector256.Load(c); hi += Vector256.Load(c + 8); }
        lo.Store(c);
        hi.Store(c + 8);
    }

    static void CopyEdge(float* t, int nr, float* c, int ldc, int rows, int cols, bool accumulate)
    {
        for (int r = 0; r < rows; r++)
        {
            float* cr = c + (long)r * ldc;
            float* tr = t + r * nr;
            if (accumulate) for (int j = 0; j < cols; j++) cr[j] += tr[j];
            else for (int j = 0; j < cols; j++) cr[j] = tr[j];
        }
    }
}

/// <summary>One 64-byte-aligned native buffer per worker (the packed rows of A), kept across calls and grown on demand.</summary>
sealed unsafe class WorkerScratch<T> : IDisposable where T : unmanaged
{
    T*[] _buffers = [];
    int _elements;

    public T* this[int worker] => _buffers[worker];

    public void Ensure(int workers, int elements)
    {
        if (_buffers.Length >= workers && _elements >= elements) return;
        Dispose();
        _buffers = new T*[workers];
        for (int i = 0; i < workers; i++) _buffers[i] = (T*)NativeMemory.AlignedAlloc((nuint)elements * (nuint)sizeof(T), 64);
        _elements = elements;
    }

    public void Dispose()
    {
        foreach (var p in _buffers) NativeMemory.AlignedFree(p);
        _buffers = [];
        _elements = 0;
    }
}

/// <summary>
/// B of a <see cref="Gemm"/> product packed into NR-wide column panels: panel p holds columns
/// [p·NR, p·NR+NR) as K rows of NR adjacent values (zero past N). Owns its memory; grows, never shrinks.
/// </summary>
/// <remarks>
/// Packed in pieces of one panel × one K slice (<see cref="Gemm.SliceK"/>), each on first use by the worker whose
/// tile needs it (<see cref="EnsurePacked"/>): the copy overlaps the other worker's tiles instead of being a separate
/// pass, and the packed piece is still in the packing core's L2 when its micro-kernels read it. A piece is packed
/// exactly once (claimed with a compare-exchange); what it holds never depends on who packed it.
/// </remarks>
public sealed unsafe class GemmPackedB<T> : GemmPackedPieces<T> where T : unmanaged, INumber<T>
{
    T* _source;
    int _ldb, _kSlice;
    bool _transposed;

    public int K { get; private set; }
    public int N { get; private set; }
    internal int Nr { get; private set; }
    /// <summary>K slice length this packing was cut in (<see cref="Gemm.SliceK"/> of K at packing time).</summary>
    internal int KSlice => _kSlice;
    internal Gemm.Path Path { get; private set; }

    /// <summary>The packed panel starting at <paramref name="column"/>, a multiple of <see cref="Nr"/> (panel column/NR starts (column/NR)·K·NR = column·K in).</summary>
    internal T* Panel(int column)
    {
        System.Diagnostics.Debug.Assert(column % Nr == 0);
        return Data + (long)column * K;
    }

    /// <summary>Packs B [K,N] (row stride <paramref name="ldb"/>), or B stored transposed as [N,K], now, in parallel.</summary>
    public void Pack(Workers workers, int k, int n, T* b, int ldb, bool transposed)
    {
        PackOnFirstUse(k, n, b, ldb, transposed);
        var job = workers.Shared<PackJob>();
        job.Owner = this;
        workers.For(job, (n + Nr - 1) / Nr);
    }

    /// <summary>
    /// Takes B [K,N] (row stride <paramref name="ldb"/>), or B stored transposed as [N,K], to be packed piece by piece
    /// as <see cref="Gemm"/>'s tiles first need it. B must not change until the last product that uses this packing.
    /// </summary>
    public void PackOnFirstUse(int k, int n, T* b, int ldb, bool transposed)
    {
        Path = Gemm.PathFor<T>();
        Nr = Gemm.MicroCols(Path);
        K = k;
        N = n;
        _source = b; _ldb = ldb; _transposed = transposed;
        _kSlice = Gemm.SliceK(k);
        int panels = (n + Nr - 1) / Nr;
        Reset((long)panels * k * Nr, panels, (k + _kSlice - 1) / _kSlice);
    }

    /// <summary>
    /// Makes panels [<paramref name="p0"/>, <paramref name="p1"/>) of K slice <paramref name="slice"/> ready: packs every
    /// piece nobody has claimed yet, then waits for those another worker is packing (a few microseconds each).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // once per tile and slice; inlined, it crowds Tile's registers
    internal void EnsurePacked(int p0, int p1, int slice)
    {
        bool waiting = false;
        for (int p = p0; p < p1; p++)
        {
            if (TryClaim(p, slice))
            {
                try { PackPiece(p, slice); }
                finally { Publish(p, slice); }
            }
            else if (!IsPacked(p, slice)) waiting = true;
        }
        if (waiting) WaitPacked(p0, p1, slice);
    }

    /// <summary>Packs panel <paramref name="p"/>, rows [slice·kSlice, …) of K.</summary>
    void PackPiece(int p, int slice)
    {
        int nr = Nr, j0 = p * nr, cols = Math.Min(nr, N - j0);
        int k0 = slice * _kSlice, k1 = Math.Min(K, k0 + _kSlice);
        T* d = Data + (long)p * K * nr;
        T* B = _source;
        int ldb = _ldb;
        if (_transposed)
        {
            // B(k, j) = b[j·ldb + k]: the panel is the transpose of NR source rows.
            int kk = k0;
            if (typeof(T) == typeof(float) && Avx.IsSupported && cols == nr && nr % 8 == 0)
                for (; kk + 8 <= k1; kk += 8)
                    for (int j = 0; j < nr; j += 8)
                        SmallMatMul.Transpose8x8((float*)(B + (long)(j0 + j) * ldb + kk), ldb, (float*)(d + (long)kk * nr + j), nr);
            for (; kk < k1; kk++)
            {
                int j = 0;
                for (; j < cols; j++) d[(long)kk * nr + j] = B[(long)(j0 + j) * ldb + kk];
                for (; j < nr; j++) d[(long)kk * nr + j] = T.Zero;
            }
        }
        else if (cols == nr && typeof(T) == typeof(float) && nr % 8 == 0 && Avx.IsSupported && Gemm.VectorCopyB)
        {
            // A full float panel: each k contributes one contiguous run of NR values, copied in registers (a Memmove
            // call per 128 bytes cost more than the copy). Consecutive k are a whole source row apart (W's or x's
            // row, 2–12 KiB), a stride no hardware prefetcher follows across pages: fetch rows a few k ahead.
            float* src = (float*)B, dst = (float*)d;
            int lines = (nr * sizeof(float) + 63) / 64 + 1; // +1: the run need not start on a line
            for (int kk = k0; kk < k1; kk++)
            {
                float* s = src + (long)kk * ldb + j0;
                if (kk + Gemm.PackBPrefetchRows < k1)
                {
                    byte* ahead = (byte*)(s + (long)Gemm.PackBPrefetchRows * ldb);
                    for (int l = 0; l < lines; l++) Sse.Prefetch0(ahead + l * 64);
                }
                float* o = dst + (long)kk * nr;
                for (int j = 0; j < nr; j += 8) Vector256.Load(s + j).Store(o + j);
            }
        }
        else if (cols == nr)
        {
            // A full panel: each k contributes one contiguous run of NR values.
            int bytes = nr * sizeof(T);
            for (int kk = k0; kk < k1; kk++)
                Buffer.MemoryCopy(B + (long)kk * ldb + j0, d + (long)kk * nr, bytes, bytes);
        }
        else
        {
            for (int kk = k0; kk < k1; kk++)
            {
                T* s = B + (long)kk * ldb + j0;
                int j = 0;
                for (; j < cols; j++) d[(long)kk * nr + j] = s[j];
                for (; j < nr; j++) d[(long)kk * nr + j] = T.Zero;
            }
        }
    }

    sealed class PackJob : ParallelJob
    {
        public GemmPackedB<T> Owner = null!;

        public override void Run(int p, int worker)
        {
            for (int slice = 0; slice < Owner.Slices; slice++) Owner.EnsurePacked(p, p + 1, slice);
        }
    }

}
