using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SharpLM.Tokenization;

/// <summary>
/// Per-thread cache of encoded words: a 4-way set-associative table (a word's hash picks a set of four slots;
/// when the set is full, the slots are replaced in turn). Bounded memory, O(1) lookups with a cheap hash, and
/// no clear-everything storms when a corpus has more distinct words than slots.
/// </summary>
internal sealed class WordCache
{
    /// <summary>Slots (a power of two), in sets of <see cref="Ways"/>.</summary>
    public const int Slots = 1 << 17;
    const int Ways = 4;
    const int SetMask = Slots / Ways - 1;
    /// <summary>Words longer than this (UTF-16 units) are not cached.</summary>
    public const int MaxWordLength = 64;

    readonly uint[] _hashes = new uint[Slots];
    readonly string?[] _keys = new string?[Slots];
    readonly int[]?[] _values = new int[]?[Slots];
    readonly byte[] _nextVictim = new byte[Slots / Ways];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Hash(ReadOnlySpan<char> word)
    {
        var bytes = MemoryMarshal.AsBytes(word);
        ulong h = 0x9E3779B97F4A7C15UL ^ (ulong)bytes.Length;
        int i = 0;
        for (; i + 8 <= bytes.Length; i += 8)
        {
            h = (h ^ BinaryPrimitives.ReadUInt64LittleEndian(bytes.Slice(i, 8))) * 0xFF51AFD7ED558CCDUL;
            h ^= h >> 29;
        }
        ulong tail = 0;
        for (; i < bytes.Length; i++) tail = (tail << 8) | bytes[i];
        h = (h ^ tail) * 0xC4CEB9FE1A85EC53UL;
        return (uint)(h >> 32) ^ (uint)h;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet(ReadOnlySpan<char> word, uint hash, out int[] ids)
    {
        int first = (int)(hash & SetMask) * Ways;
        for (int slot = first; slot < first + Ways; slot++)
        {
            if (_hashes[slot] == hash && _keys[slot] is { } key && key.AsSpan().SequenceEqual(word))
            {
                ids = _values[slot]!;
                return true;
            }
        }
        ids = [];
        return false;
    }

    public void Set(ReadOnlySpan<char> word, uint hash, int[] ids)
    {
        int set = (int)(hash & SetMask);
        int first = set * Ways, slot = -1;
        for (int k = first; k < first + Ways; k++) if (_keys[k] is null) { slot = k; break; }
        if (slot < 0) slot = first + (_nextVictim[set]++ & (Ways - 1));
        _hashes[slot] = hash;
        _keys[slot] = new string(word);
        _values[slot] = ids;
    }
}
