using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SharpLM.Tensors;
using SharpLM.Threading;

namespace SharpLM.Kernels;

/// <summary>
/// y = W·x (decode) and Y = X·Wᵀ (prefill) over a <see cref="WeightMatrix"/> of any <see cref="TensorType"/>,
/// on a <see cref="WorkerPool"/>. Shapes: W [R, C] (R = Rows outputs, C = Cols inputs), x [T, C], y [T, R].
/// </summary>
/// <remarks>
/// <para>Q4_0 and Q8_0 weights meet activations quantized to Q8 blocks (<see cref="QuantizedActivations"/>)
/// and integer multiply-adds; F32/F16/BF16 weights are widened in registers and use f32 FMA.</para>
/// <para>Work is split into items of (a chunk of rows) × (a block of tokens). Row chunks are small enough
/// to stay in L1 while a token block streams past them, four tokens at a time, so every weight load and
/// unpack serves four dot products; token blocks are small enough for their activations to stay in L2.
/// Items are claimed dynamically by the pool's threads.</para>
/// <para>Nothing is allocated per call once the calling thread's activation workspace has grown to the
/// largest [T, C] it has seen.</para>
/// <para>Every kernel method with a loop in Kernels/ is marked <c>AggressiveOptimization</c>: with tiered compilation
/// a loop method starts as unoptimized tier-0 code (vectors spilled to the stack) and is only replaced after ~30
/// calls and a background recompile, which a short prompt never outlasts. Measured on 270m Q4_0, pp32 with
/// DOTNET_TieredCompilation=0 ran 2.5× faster than with tiering (BENCHMARKS.md, session 4).</para>
/// </remarks>
[SkipLocalsInit]
public static unsafe class MatrixKernels
{
    /// <summary>y[R] = W·x[C].</summary>
    public static void MatVec(in WeightMatrix w, ReadOnlySpan<float> x, Span<float> y, WorkerPool? pool = null) =>
        MatMul(w, x, 1, y, pool, KernelIsaInfo.Default);

    /// <summary>y[t, R] = W·x[t, C] for each of <paramref name="tokens"/> rows of x.</summary>
    public static void MatMul(in WeightMatrix w, ReadOnlySpan<float> x, int tokens, Span<float> y, WorkerPool? pool = null) =>
        MatMul(w, x, tokens, y, pool, KernelIsaInfo.Default);

    /// <summary>
    /// Calls with at least this many tokens (prefill chunks) run Q4_0 and Q8_0 through the repacked 16-row tiles
    /// (<see cref="QuantTileQ4_0"/>, <see cref="QuantTileQ8_0"/>) at <see cref="KernelIsa.V512"/>. Fewer tokens — decode, and batched decode of up
    /// to 15 sequences (Gemma3Batch) — keep the row kernels, whose results have the same bits for every token count.
    /// </summary>
    internal const int PrefillTileMinTokens = 16;

    /// <summary>
    /// Largest one-token (decode) work item, in weight bytes. Why this large (it was 32 KiB until session 5 round 2): the
    /// decode loops prefetch only inside their item, so each item starts with its first lines unprefetched; one thread
    /// streaming Q8_0 from DRAM (CPU time, loaded machine) ran 7.8 GB/s with 32 KiB items and 6 KiB prefetch distance,
    /// 9.6–9.8 with 512 KiB items, a start burst and the distances of <see cref="QuantDecodeRows"/> (Q4_0 7.9 → 9.4, F16
    /// 8.1 → 8.7, BF16 9.8 → 10.5; BENCHMARKS.md, decode kernel progress, round 2). <see cref="DecodeChunkRows"/> keeps
    /// the items equal.
    /// </summary>
    internal const int DecodeItemBytes = 512 * 1024;

    /// <summary>
    /// Rows per one-token work item: the matrix cut into a multiple of <paramref name="threads"/> items of equal size
    /// (at most <see cref="DecodeItemBytes"/> each, and at least 4 per thread so a descheduled thread's share is taken
    /// by the others), rounded up to an even count for the row-pair kernels. Equal items and a count divisible by the
    /// threads let every thread stream until the end of the call (no last item on one thread while the other idles).
    /// </summary>
    internal static int DecodeChunkRows(int rows, long rowBytes, int threads)
    {
        threads = Math.Max(1, threads);
        long perThread = Math.Max(4, ((long)rows * rowBytes + (long)threads * DecodeItemBytes - 1) / ((long)threads * DecodeItemBytes));
        long items = perThread * threads;
        long chunk = Math.Max(2, (rows + items - 1) / items);
        return (int)Math.Min(int.MaxValue - 1, (chunk + 1) & ~1L);
    }

    [ThreadStatic] static QuantizedActivations? t_activations;
    [ThreadStatic] static byte[]? t_panel;
    [ThreadStatic] static float[]? t_preScaled;

    const float F16PreScale = 5.192297e33f; // 2^112

    /// <summary>
    /// x·2¹¹² into this thread's workspace, for <see cref="FloatDot.F16PreScaledRow"/> (F16 weights without the
    /// per-weight rebias multiply); null when some |x| ≥ 2¹⁶ or is NaN (the scaled value could overflow), and
    /// the caller keeps the ordinary F16 kernel. Exact: a power-of-two scaling that neither overflows nor
    /// rounds below 2¹⁶.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static float[]? PreScaleForF16(ReadOnlySpan<float> x)
    {
        var buf = t_preScaled;
        if (buf is null || buf.Length < x.Length) t_preScaled = buf = GC.AllocateUninitializedArray<float>(Math.Max(x.Length, buf?.Length * 2 ?? 0));
        var limit = Vector256.Create(65536f);
        var scale = Vector256.Create(F16PreScale);
        var ok = Vector256<float>.AllBitsSet;
        int i = 0;
        for (; i <= x.Length - 8; i += 8)
        {
            var v = Vector256.Create(x.Slice(i, 8));
            ok &= Vector256.LessThan(Vector256.Abs(v), limit); // false for NaN
            (v * scale).CopyTo(buf.AsSpan(i, 8));
        }
        bool fits = ok.AsUInt32() == Vector256<uint>.AllBitsSet; // as integers: AllBitsSet is a NaN as floats
        for (; i < x.Length; i++)
        {
            fits &= Math.Abs(x[i]) < 65536f;
            buf[i] = x[i] * F16PreScale;
        }
        return fits ? buf : null;
    }

    /// <summary>As the public overload, at a chosen <paramref name="isa"/> (tests compare every level with <see cref="KernelIsa.Scalar"/>).</summary>
    internal static void MatMul(in WeightMatrix w, ReadOnlySpan<float> x, int tokens, Span<float> y, WorkerPool? pool, KernelIsa isa)
    {
        if (tokens < 0) throw new ArgumentOutOfRangeException(nameof(tokens), tokens, "negative token count");
        if ((long)tokens * w.Cols > x.Length) throw new ArgumentException($"x holds {x.Length} values, need {tokens}×{w.Cols}", nameof(x));
        if ((long)tokens * w.Rows > y.Length) throw new ArgumentException($"y holds {y.Length} values, need {tokens}×{w.Rows}", nameof(y));
        if (!KernelIsaInfo.IsSupported(isa)) throw new PlatformNotSupportedException($"kernel level {isa} cannot run on this machine");
        if (tokens == 0 || w.Rows == 0) return;
        if (w.Cols == 0) { y[..(tokens * w.Rows)].Clear(); return; }
        if (w.Data == null) throw new ArgumentException("weight matrix has no data", nameof(w));

        Job job = default;
        job.W = w.Data;
        job.RowBytes = w.RowBytes;
        job.Rows = w.Rows;
        job.Cols = w.Cols;
        job.Type = w.Type;
        job.Isa = isa;
        job.Tokens = tokens;

        bool quantized = w.Type is TensorType.Q4_0 or TensorType.Q8_0;
        long actBytesPerToken = quantized ? w.Cols + w.Cols / 32 * 56L : w.Cols * 4L;
        // Rows per chunk: ~16 KiB of weights (L1-resident while a token block streams past); tokens per block:
        // ~256 KiB of activations (L2-resident), a multiple of the 4-token tile.
        job.ChunkRows = (int)Math.Clamp(16384 / Math.Max(1, w.RowBytes), 1, 256);
        if (tokens == 1) job.ChunkRows = DecodeChunkRows(w.Rows, w.RowBytes, (pool ?? KernelThreads.Pool).ThreadCount);
        job.BlockTokens = tokens <= 4 ? tokens : (int)Math.Clamp(262144 / actBytesPerToken / 4 * 4, 4, 128);
        if (quantized && isa == KernelIsa.V512 && tokens >= PrefillTileMinTokens && QuantTileQ4_0.IsSupported && QuantTileQ8_0.IsSupported)
        {
            // One item = one 16-row panel, packed once, times up to 64 tokens (their activations, ≤ 64·C bytes for
            // Q4_0 and twice that for Q8_0's 16-bit copy, stay in L2).
            job.Tile = true;
            job.ChunkRows = QuantTileQ4_0.Rows;
            job.BlockTokens = Math.Min(tokens, 64);
        }
        else if (w.Type is TensorType.BF16 or TensorType.F16 && isa == KernelIsa.V512 && tokens >= PrefillTileMinTokens)
        {
            // One item = 32 rows widened once, block of columns by block (a ≤ 128 KiB column-major f32 panel), times up to
            // 64 tokens: the widening is spread over 64 tokens at every C and a block's panel and tokens stay in L2.
            job.FloatTile = true;
            job.ChunkRows = FloatTile.Rows;
            job.BlockTokens = Math.Min(tokens, 64);
        }
        job.RowChunks = (w.Rows + job.ChunkRows - 1) / job.ChunkRows;
        int tokenBlocks = (tokens + job.BlockTokens - 1) / job.BlockTokens;

        fixed (float* px = x)
        fixed (float* py = y)
        {
            job.X = px;
            job.Y = py;
            if (quantized)
            {
                var acts = t_activations ??= new QuantizedActivations();
                acts.Quantize(x, tokens, w.Cols, isa);
                if (job.Tile && w.Type == TensorType.Q8_0) { acts.Widen(); job.Wide = acts.Wide; }
                job.Acts = acts.Token(0);
                job.ActCols = w.Cols;
            }
            long items = (long)job.RowChunks * tokenBlocks;
            bool small = w.ByteLength * tokens < 64 * 1024; // not worth waking workers
            if (items > int.MaxValue) throw new ArgumentException("matrix product too large for one call", nameof(tokens));
            // Pre-scaled F16 only for one-token decode, where it was measured to pay. With it on for every call,
            // 1B F16 prefill-512 fell from 17.5 to ~10.5 t/s in a quiet run (cause not profiled); decode-only
            // restores prefill and keeps the decode gain (BENCHMARKS.md, session 3).
            float[]? scaled = w.Type == TensorType.F16 && isa >= KernelIsa.V256 && tokens == 1 ? PreScaleForF16(x[..w.Cols]) : null;
            fixed (float* ps = scaled)
            {
                if (ps != null) { job.X = ps; job.F16PreScaled = true; }
                (pool ?? KernelThreads.Pool).Run(&Body, &job, (int)items, 1, small ? 1 : int.MaxValue);
            }
        }
    }

    struct Job
    {
        public byte* W;
        public long RowBytes;
        public int Rows, Cols, Tokens;
        public TensorType Type;
        public KernelIsa Isa;
        public int ChunkRows, BlockTokens, RowChunks;
        public float* X, Y;
        /// <summary>Token 0's quantized activations; token t is <see cref="ActCols"/>·t bytes further.</summary>
        public Q8Token Acts;
        public int ActCols;
        /// <summary>X holds the activations ·2¹¹² for <see cref="FloatDot.DotF16PreScaled"/>.</summary>
        public bool F16PreScaled;
        /// <summary>Q4_0/Q8_0 through <see cref="QuantTileQ4_0"/>/<see cref="QuantTileQ8_0"/> (items of 16 rows).</summary>
        public bool Tile;
        /// <summary>Q8_0 tile: token 0's 16-bit activations (<see cref="QuantizedActivations.Wide"/>).</summary>
        public short* Wide;
        /// <summary>BF16/F16 through <see cref="FloatTile"/> (items of <see cref="FloatTile.Rows"/> rows).</summary>
        public bool FloatTile;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Body(void* ctx, int start, int end)
    {
        Job* job = (Job*)ctx;
        for (int item = start; item < end; item++)
        {
            int chunk = item % job->RowChunks, block = item / job->RowChunks;
            int r0 = chunk * job->ChunkRows, r1 = Math.Min(job->Rows, r0 + job->ChunkRows);
            int t0 = block * job->BlockTokens, t1 = Math.Min(job->Tokens, t0 + job->BlockTokens);
            if (job->Tile) Tile(job, r0, r1, t0, t1);
            else if (job->FloatTile) FloatPanel(job, r0, r1, t0, t1);
            else if (job->Type is TensorType.Q4_0 or TensorType.Q8_0) Quantized(job, r0, r1, t0, t1);
            else Float(job, r0, r1, t0, t1);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Quantized(Job* job, int r0, int r1, int t0, int t1)
    {
        if (t1 - t0 == 1 && job->Isa >= KernelIsa.V256)
        {
            // Decode: the row-pair kernels (everything per row in registers; see QuantDecodeRows).
            var tok = Offset(job->Acts, (long)t0 * job->ActCols, 0);
            byte* w0 = job->W + r0 * job->RowBytes;
            float* y0 = job->Y + (long)t0 * job->Rows + r0;
            byte* itemEnd = job->W + r1 * job->RowBytes; // prefetch stops here: the next rows may be another thread's item
            if (job->Type == TensorType.Q4_0) QuantDecodeRows.Q4_0(job->Isa, w0, job->RowBytes, r1 - r0, job->Cols / 32, tok, y0, itemEnd);
            else QuantDecodeRows.Q8_0(job->Isa, w0, job->RowBytes, r1 - r0, job->Cols / 32, tok, y0, itemEnd);
            return;
        }
        Q8Token* tiles = stackalloc Q8Token[4];
        float* out4 = stackalloc float[4];
        int nb = job->Cols / 32, rows = job->Rows;
        bool q4 = job->Type == TensorType.Q4_0;
        var baseToken = job->Acts;
        // The chunk's fp16 scales, converted once for all its token tiles (rows are contiguous, so the chunk's
        // blocks are one stream). A chunk with more blocks than the scratch holds (rows over ~130k columns)
        // converts per row and tile inside the dot instead.
        long chunkBlocks = (long)(r1 - r0) * nb;
        float* dw = null;
        if (chunkBlocks <= MaxChunkScales)
        {
            float* scratch = stackalloc float[MaxChunkScales + 16];
            dw = scratch;
            WeightScales.Convert(job->Isa, job->W + r0 * job->RowBytes, q4 ? QuantDotQ4_0.BlockBytes : QuantDotQ8_0.BlockBytes, (int)chunkBlocks, dw);
        }
        for (int t = t0; t < t1; t += 4)
        {
            int n = Math.Min(4, t1 - t);
            for (int k = 0; k < n; k++) tiles[k] = Offset(baseToken, (long)(t + k) * job->ActCols, nb);
            for (int r = r0; r < r1; r++)
            {
                byte* row = job->W + r * job->RowBytes;
                if (dw != null)
                {
                    float* rdw = dw + (long)(r - r0) * nb;
                    if (q4) QuantDotQ4_0.Dot(job->Isa, row, nb, rdw, tiles, n, out4);
                    else QuantDotQ8_0.Dot(job->Isa, row, nb, rdw, tiles, n, out4);
                }
                else if (q4) QuantDotQ4_0.Dot(job->Isa, row, nb, tiles, n, out4);
                else QuantDotQ8_0.Dot(job->Isa, row, nb, tiles, n, out4);
                for (int k = 0; k < n; k++) job->Y[(long)(t + k) * rows + r] = out4[k];
            }
        }
    }

    static byte* Panel(long bytes)
    {
        var buf = t_panel;
        if (buf is null || buf.Length < bytes + 64) t_panel = buf = GC.AllocateUninitializedArray<byte>(checked((int)bytes + 64), pinned: true);
        return (byte*)(((nuint)Unsafe.AsPointer(ref buf[0]) + 63) & ~(nuint)63);
    }

    static void FloatPanel(Job* job, int r0, int r1, int t0, int t1)
    {
        float* panel = (float*)Panel(FloatTile.PanelFloats(job->Cols) * 4);
        FloatTile.Multiply(job->Type, job->W + r0 * job->RowBytes, job->RowBytes, r1 - r0, job->Cols, job->X + (long)t0 * job->Cols, t1 - t0, job->Y + (long)t0 * job->Rows + r0, job->Rows, panel);
    }

    static void Tile(Job* job, int r0, int r1, int t0, int t1)
    {
        int nb = job->Cols / 32;
        bool q4 = job->Type == TensorType.Q4_0;
        byte* panel = Panel((long)nb * (q4 ? QuantTileQ4_0.PanelBlockBytes : QuantTileQ8_0.PanelBlockBytes));
        float* y = job->Y + (long)t0 * job->Rows + r0;
        if (q4)
        {
            QuantTileQ4_0.Pack(job->W + r0 * job->RowBytes, job->RowBytes, r1 - r0, nb, panel);
            QuantTileQ4_0.Run(panel, nb, r1 - r0, Offset(job->Acts, (long)t0 * job->ActCols, 0), job->ActCols, t1 - t0, y, job->Rows);
        }
        else
        {
            QuantTileQ8_0.Pack(job->W + r0 * job->RowBytes, job->RowBytes, r1 - r0, nb, panel);
            QuantTileQ8_0.Run(panel, nb, r1 - r0, job->Wide + (long)t0 * job->ActCols, job->Acts.Scale + (long)t0 * nb, job->ActCols, t1 - t0, y, job->Rows);
        }
    }

    /// <summary>Largest chunk (rows × blocks) whose scales <see cref="Quantized"/> converts up front (16 KiB of stack).</summary>
    const int MaxChunkScales = 4096;

    /// <summary>Token pointers <paramref name="cols"/> quantized values (and cols/32 blocks) after token 0's.</summary>
    static Q8Token Offset(Q8Token t0, long cols, int nbPerToken)
    {
        long blocks = cols / 32;
        return new Q8Token(t0.Natural + cols, t0.Nibble + cols, t0.Scale + blocks, t0.X4 + blocks * 4, t0.X8 + blocks * 8, t0.Off4 + blocks * 4, t0.Sum8 + blocks);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Float(Job* job, int r0, int r1, int t0, int t1)
    {
        float** xs = stackalloc float*[4];
        float* out4 = stackalloc float[4];
        int cols = job->Cols, rows = job->Rows;
        byte* prefetchEnd = t1 - t0 == 1 ? job->W + r1 * job->RowBytes : null; // decode streams from DRAM: prefetch within this chunk
        if (prefetchEnd != null) QuantDecodeRows.PrefetchStart(job->W + r0 * job->RowBytes, prefetchEnd, QuantDecodeRows.PrefetchAheadFloat);
        for (int t = t0; t < t1; t += 4)
        {
            int n = Math.Min(4, t1 - t);
            for (int k = 0; k < n; k++) xs[k] = job->X + (long)(t + k) * cols;
            for (int r = r0; r < r1; r++)
            {
                if (job->F16PreScaled) FloatDot.DotF16PreScaled(job->Isa, job->W + r * job->RowBytes, cols, xs, n, out4, prefetchEnd);
                else FloatDot.Dot(job->Isa, job->Type, job->W + r * job->RowBytes, cols, xs, n, out4, prefetchEnd);
                for (int k = 0; k < n; k++) job->Y[(long)(t + k) * rows + r] = out4[k];
            }
        }
    }
}
