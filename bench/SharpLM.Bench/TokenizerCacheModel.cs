using System.Text;
using SharpLM.Tokenization;
using static SharpLM.Bench.BenchSupport;

namespace SharpLM.Bench;

/// <summary>
/// A working-set model of the encoder's memory traffic, free of the VM's noise: it replays the corpus's pieces through
/// simulated caches and counts the cache lines a core must fetch from beyond its own L2 per MB of text, for the
/// records-only layout and for the short-word front table at several sizes, at 1 thread and at 2 threads (chunks handed
/// to the two cores in turn, as the shared counter does).
/// </summary>
/// <remarks>
/// <para>What is modelled: per core a 1 MiB, 16-way LRU L2 of 64-byte lines (this VM's, from sysfs); behind both an LRU
/// "share of the host's L3" of a given size (0 = every L2 miss goes to DRAM, as a pointer chase here measures). Each piece
/// touches, as the encoder does: in the records layout its set's tag line and its record line (a piece's record is fixed
/// at first sight: the next way of its set); pieces of 29–64 units their long-word cache tag and entry lines; with the
/// front table, a keyed piece its table line (a 3-way line simulated with the encoder's round-robin victim), and on a
/// front-table miss the records lines as well. Every chunk also streams its text (2 bytes per unit, lines of its own),
/// a per-core normalized copy (reused) and its ids (4 bytes each, fresh lines of the worker's part).</para>
/// <para>What is not: the merge table (a warm cache has almost no BPE), prefetching (which hides latency but fetches the
/// same lines), and the exact cut rule (pieces are cut before every ▁ that follows a non-▁, which the real rule follows
/// except before rare cross-▁ merges). Ids per piece come from encoding the piece alone.</para>
/// </remarks>
internal static class TokenizerCacheModel
{
    const int L2Sets = 1024, L2Ways = 16;       // 1 MiB per core
    const long Tags = 1L << 40, RecordsAt = 2L << 40, ShortAt = 3L << 40, LongAt = 4L << 40, TextAt = 5L << 40, NormAt = 6L << 40, OutAt = 7L << 40;

    /// <summary>An LRU set-associative cache of line numbers.</summary>
    sealed class Lru(int sets, int ways)
    {
        readonly long[] _lines = Fill(sets * ways);
        readonly long[] _stamps = new long[sets * ways];
        long _clock;
        static long[] Fill(int n) { var a = new long[n]; Array.Fill(a, -1); return a; }

        /// <summary>Touches <paramref name="line"/>; returns true on a hit.</summary>
        public bool Touch(long line)
        {
            int first = (int)((ulong)(line ^ (line >> 17)) % (ulong)sets) * ways, oldest = first;
            _clock++;
            for (int w = first; w < first + ways; w++)
            {
                if (_lines[w] == line) { _stamps[w] = _clock; return true; }
                if (_stamps[w] < _stamps[oldest]) oldest = w;
            }
            _lines[oldest] = line;
            _stamps[oldest] = _clock;
            return false;
        }
    }

    readonly record struct Piece(int Length, uint Hash, ulong Key, int Ids, ulong Key16);

    /// <summary>A model-only 16-unit key (a hash of the piece, non-zero) for pieces of ≤ 16 units that would each have an 8-unit key half.</summary>
    static ulong Key16(string piece)
    {
        if (piece.Length > 16) return 0;
        ulong lo = ShortWordCache.Key(piece.AsSpan(0, Math.Min(8, piece.Length))), hi = piece.Length > 8 ? ShortWordCache.Key(piece.AsSpan(8)) : 1;
        if (lo == 0 || hi == 0) return 0;
        return (lo * 0x9E3779B97F4A7C15UL ^ hi * 0xC2B2AE3D27D4EB4FUL) | 1;
    }

    public static void Run(Gemma3Tokenizer tok, List<string> chunks, double mbytes)
    {
        // Pieces of each chunk, and per distinct piece its hash, key and id count.
        var info = new Dictionary<string, Piece>();
        var perChunk = new List<(Piece[] Pieces, int Units, int Ids)>();
        foreach (var chunk in chunks)
        {
            string text = chunk.Replace(' ', '\u2581');
            var pieces = new List<Piece>();
            int start = 0, ids = 0;
            for (int i = 1; i <= text.Length; i++)
            {
                if (i < text.Length && (text[i] != '\u2581' || text[i - 1] == '\u2581')) continue;
                string piece = text[start..i];
                if (!info.TryGetValue(piece, out var p))
                    info[piece] = p = new Piece(piece.Length, SharedWordCache.Hash(piece), ShortWordCache.Key(piece), tok.Encode(piece.Replace('\u2581', ' ')).Length, Key16(piece));
                pieces.Add(p);
                ids += p.Ids;
                start = i;
            }
            perChunk.Add((pieces.ToArray(), chunk.Length, ids));
        }
        int keyed = info.Values.Count(p => p.Key != 0 && p.Ids <= ShortWordCache.MaxIds);
        long keyedUses = perChunk.Sum(c => c.Pieces.Count(p => p.Key != 0 && p.Ids <= ShortWordCache.MaxIds)), uses = perChunk.Sum(c => c.Pieces.Length);
        Console.WriteLine(Inv($"cache model: {uses:N0} pieces ({info.Count:N0} distinct); {100.0 * keyedUses / uses:F1} % of uses ({keyed:N0} distinct) fit a short-word record"));
        Console.WriteLine("| layout | threads | L2 misses per KB of text (per core) | of them table lines | beyond a 0 / 4 / 16 MiB L3 share, per KB |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var (lineBits, wide) in new[] { (0, false), (13, false), (14, false), (13, true), (14, true), (15, true) })
            foreach (int threads in new[] { 1, 2 })
                Simulate(perChunk, mbytes, lineBits, threads, wide);
        foreach (int lineBits in new[] { 0, 14 })
            foreach (int threads in new[] { 1, 2 })
                Simulate(perChunk, mbytes, lineBits, threads, wide: false, tags16: true);
    }

    static void Simulate(List<(Piece[] Pieces, int Units, int Ids)> perChunk, double mbytes, int lineBits, int threads, bool wide, bool tags16 = false)
    {
        var l2 = Enumerable.Range(0, threads).Select(_ => new Lru(L2Sets, L2Ways)).ToArray();
        var l3 = new[] { 4, 16 }.Select(mib => new Lru(mib * 16384 / 16, 16)).ToArray();
        long[] beyondL3 = new long[l3.Length];
        long l2Misses = 0, tableMisses = 0;
        var byRegion = new long[8];
        var recordWay = new Dictionary<uint, int>();       // piece hash → its record's way (fixed at first sight)
        var setFill = new int[SharedWordCache.Records / 8];
        int ways = wide ? 2 : 3;
        ulong[]? front = lineBits > 0 ? new ulong[(1 << lineBits) * ways] : null;
        var victim = new int[threads];
        var outAt = new long[threads];
        bool counting = false;

        void Touch(int core, long line, bool table)
        {
            if (l2[core].Touch(line)) return;
            if (counting) l2Misses++;
            if (counting && table) tableMisses++;
            if (counting) byRegion[(int)(line >> 40)]++;
            for (int k = 0; k < l3.Length; k++) if (!l3[k].Touch(line) && counting) beyondL3[k]++;
        }
        void Records(int core, Piece p)
        {
            int set = (int)(p.Hash & (SharedWordCache.Records / 8 - 1));
            if (p.Length <= SharedWordCache.MaxWordLength)
            {
                if (!recordWay.TryGetValue(p.Hash, out int way)) recordWay[p.Hash] = way = setFill[set]++ % 8;
                Touch(core, Tags + set / (tags16 ? 4 : 2), true);
                Touch(core, RecordsAt + set * 8 + way, true);
            }
            else if (p.Length <= LongWordCache.MaxWordLength)
            {
                int longSet = (int)(p.Hash & (LongWordCache.Slots / 4 - 1));
                Touch(core, LongAt + longSet, true);
                Touch(core, LongAt + (1L << 20) + (p.Hash & 0xFFFFF), true);
            }
        }

        // Two passes over the corpus, counting the second: the warm state the benchmarks measure.
        for (int n = 0; n < 2 * perChunk.Count; n++)
        {
            int c = n % perChunk.Count;
            if (c == 0 && n > 0) counting = true;
            int core = c % threads;
            var (pieces, units, ids) = perChunk[c];
            for (long b = 0; b < units * 2L; b += 64) { Touch(core, TextAt + ((long)c << 16) + b / 64, false); Touch(core, NormAt + ((long)core << 20) + b / 64, false); }
            for (long b = 0; b < ids * 4L; b += 64) Touch(core, OutAt + ((long)core << 30) + (outAt[core] + b) / 64, false);
            outAt[core] += ids * 4L;
            foreach (var p in pieces)
            {
                ulong key = wide ? p.Key16 : p.Key;
                if (front is null || key == 0) { Records(core, p); continue; }
                int line = ShortWordCache.LineOf(key, lineBits);
                Touch(core, ShortAt + line, true);
                int at = line * ways, way = -1;
                for (int w = 0; w < ways; w++) if (front[at + w] == key) way = w;
                if (way >= 0) continue;
                Records(core, p);
                if (p.Ids > ShortWordCache.MaxIds) continue;
                for (int w = ways - 1; w >= 0; w--) if (front[at + w] == 0) way = w;
                if (way < 0) way = (int)((uint)victim[core]++ % ways);
                front[at + way] = key;
            }
        }
        double kb = mbytes * 1000 / threads;   // per core
        string layout = (lineBits == 0 ? "records only" : Inv($"short-word table {(1 << lineBits) * 64 / 1024} KiB, {(wide ? "≤ 16 units, 2" : "≤ 8 units, 3")} per line")) + (tags16 ? ", 16-bit record tags" : "");
        Console.WriteLine(Inv($"| {layout} | {threads} | {l2Misses / threads / kb:F1} | {tableMisses / threads / kb:F1} (tags {byRegion[1] / threads / kb:F1}, records {byRegion[2] / threads / kb:F1}, short {byRegion[3] / threads / kb:F1}, long {byRegion[4] / threads / kb:F1}; text {byRegion[5] / threads / kb:F1}, normalized {byRegion[6] / threads / kb:F1}, ids {byRegion[7] / threads / kb:F1}) | {l2Misses / threads / kb:F1} / {beyondL3[0] / threads / kb:F1} / {beyondL3[1] / threads / kb:F1} |"));
    }
}
