using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;

namespace SharpLM.Tokenization;

/// <summary>
/// Token texts by id, stored once as UTF-8 in one blob, with an open-addressing hash index from text to id.
/// One allocation per table instead of one string per token: the Gemma 3 vocabulary (262k pieces) costs
/// about 3.5 MB of text plus 4 bytes per id of offsets and 8 of index.
/// </summary>
internal sealed class PieceTable
{
    readonly byte[] _blob;
    readonly int[] _offsets;   // id → start in _blob; _offsets[Count] = blob length
    readonly int[] _slots;     // hash index: id + 1, 0 = empty
    readonly int _mask;

    /// <summary>Number of ids (0 … Count−1).</summary>
    public int Count { get; }

    PieceTable(byte[] blob, int[] offsets, int count)
    {
        _blob = blob;
        _offsets = offsets;
        Count = count;
        int capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, count * 2));
        _slots = new int[capacity];
        _mask = capacity - 1;
    }

    /// <summary>UTF-8 text of <paramref name="id"/>.</summary>
    public ReadOnlySpan<byte> Utf8(int id) => _blob.AsSpan(_offsets[id], _offsets[id + 1] - _offsets[id]);

    /// <summary>Text of <paramref name="id"/> as a string (allocates).</summary>
    public string Text(int id) => Encoding.UTF8.GetString(Utf8(id));

    /// <summary>The id whose text is <paramref name="utf8"/>, or −1.</summary>
    public int Find(ReadOnlySpan<byte> utf8)
    {
        uint h = Hash(utf8);
        for (int i = (int)h & _mask; ; i = (i + 1) & _mask)
        {
            int s = _slots[i];
            if (s == 0) return -1;
            if (Utf8(s - 1).SequenceEqual(utf8)) return s - 1;
        }
    }

    /// <summary>Starts fetching the index slot where <see cref="Find(ReadOnlySpan{byte})"/> of <paramref name="utf8"/> begins (a hint for batches of lookups; no effect on results).</summary>
    public unsafe void Prefetch(ReadOnlySpan<byte> utf8)
    {
        if (!System.Runtime.Intrinsics.X86.Sse.IsSupported) return;
        fixed (int* slots = _slots) System.Runtime.Intrinsics.X86.Sse.Prefetch0(slots + ((int)Hash(utf8) & _mask));
    }

    /// <summary>The id whose text is <paramref name="text"/>, or −1.</summary>
    public int Find(ReadOnlySpan<char> text)
    {
        int max = Encoding.UTF8.GetMaxByteCount(text.Length);
        byte[]? rented = null;
        Span<byte> buf = max <= 512 ? stackalloc byte[512] : (rented = System.Buffers.ArrayPool<byte>.Shared.Rent(max));
        try
        {
            int n = Encoding.UTF8.GetBytes(text, buf);
            return Find(buf[..n]);
        }
        finally
        {
            if (rented is not null) System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Adds <paramref name="id"/> to the hash index; returns the id that already has the same text, or −1.</summary>
    int Index(int id)
    {
        var text = Utf8(id);
        uint h = Hash(text);
        for (int i = (int)h & _mask; ; i = (i + 1) & _mask)
        {
            int s = _slots[i];
            if (s == 0) { _slots[i] = id + 1; return -1; }
            if (Utf8(s - 1).SequenceEqual(text)) return s - 1;
        }
    }

    /// <summary>A fast 64-bit multiply-xorshift hash of a byte string, folded to 32 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static uint Hash(ReadOnlySpan<byte> s)
    {
        ulong h = 0x9E3779B97F4A7C15UL ^ (ulong)s.Length;
        int i = 0;
        for (; i + 8 <= s.Length; i += 8)
        {
            h = (h ^ BinaryPrimitives.ReadUInt64LittleEndian(s.Slice(i, 8))) * 0xFF51AFD7ED558CCDUL;
            h ^= h >> 32;
        }
        ulong tail = 0;
        for (; i < s.Length; i++) tail = (tail << 8) | s[i];
        h = (h ^ tail) * 0xC4CEB9FE1A85EC53UL;
        h ^= h >> 29;
        return (uint)h ^ (uint)(h >> 32);
    }

    /// <summary>
    /// Collects (id, text) pairs in any order, then checks that the ids are exactly 0 … n−1 with unique texts.
    /// </summary>
    internal sealed class Builder
    {
        byte[] _blob = new byte[1 << 16];
        int _used;
        readonly List<(int Id, int Start, int Length)> _entries = [];

        public int EntryCount => _entries.Count;

        /// <summary>Where the builder stands now, for <see cref="Rollback"/>.</summary>
        public (int Entries, int Used) Mark() => (_entries.Count, _used);

        /// <summary>Forgets the entries added after <paramref name="mark"/>.</summary>
        public void Rollback((int Entries, int Used) mark)
        {
            _entries.RemoveRange(mark.Entries, _entries.Count - mark.Entries);
            _used = mark.Used;
        }

        public void Add(int id, ReadOnlySpan<byte> utf8)
        {
            if (_used + utf8.Length > _blob.Length)
                Array.Resize(ref _blob, Math.Max(_blob.Length * 2, _used + utf8.Length));
            utf8.CopyTo(_blob.AsSpan(_used));
            _entries.Add((id, _used, utf8.Length));
            _used += utf8.Length;
        }

        public void Add(int id, string text) => Add(id, Encoding.UTF8.GetBytes(text));

        /// <summary>
        /// Builds the table. Throws <see cref="SharpLMDataException"/> naming <paramref name="path"/> when an id is
        /// negative, repeated or missing, or two ids share a text.
        /// </summary>
        /// <param name="what">What the entries are, for messages (e.g. "vocabulary").</param>
        public PieceTable Build(string path, string what)
        {
            int n = _entries.Count;
            var start = new int[n];
            var length = new int[n];
            Array.Fill(start, -1);
            foreach (var (id, s, len) in _entries)
            {
                if (id < 0 || id >= n)
                    throw new SharpLMDataException(path, $"{what}: id {id} is outside 0…{n - 1} ({n} entries; ids must be 0…n−1 with none missing)");
                if (start[id] >= 0)
                    throw new SharpLMDataException(path, $"{what}: id {id} is given to two entries ('{Show(_blob.AsSpan(start[id], length[id]))}' and '{Show(_blob.AsSpan(s, len))}')");
                start[id] = s;
                length[id] = len;
            }
            var blob = new byte[_used];
            var offsets = new int[n + 1];
            int at = 0;
            for (int id = 0; id < n; id++)
            {
                offsets[id] = at;
                _blob.AsSpan(start[id], length[id]).CopyTo(blob.AsSpan(at));
                at += length[id];
            }
            offsets[n] = at;
            var table = new PieceTable(blob, offsets, n);
            for (int id = 0; id < n; id++)
            {
                int other = table.Index(id);
                if (other >= 0)
                    throw new SharpLMDataException(path, $"{what}: '{Show(table.Utf8(id))}' appears twice (ids {other} and {id})");
            }
            return table;
        }
    }

    /// <summary>A token's text for an error message: escaped control characters, at most 40 characters.</summary>
    internal static string Show(ReadOnlySpan<byte> utf8)
    {
        var s = Encoding.UTF8.GetString(utf8);
        var sb = new StringBuilder();
        foreach (char c in s)
        {
            if (sb.Length >= 40) { sb.Append('…'); break; }
            if (c < 0x20) sb.Append($"\\x{(int)c:X2}");
            else sb.Append(c);
        }
        return sb.ToString();
    }
}
