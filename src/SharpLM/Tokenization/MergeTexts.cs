namespace SharpLM.Tokenization;

/// <summary>
/// The merges of a tokenizer.json as read, before they are resolved to ids: every piece's UTF-8 back to back in
/// one buffer, and where each ends (left piece of merge k ends at <c>Ends[2k]</c>, right at <c>Ends[2k + 1]</c>).
/// No string per piece; the two pieces of a merge are adjacent, so their concatenation is one slice.
/// </summary>
internal sealed class MergeTexts
{
    byte[] _text = new byte[1 << 20];
    int[] _ends = new int[1 << 16];

    /// <summary>Bytes of piece text.</summary>
    public int Used { get; private set; }
    /// <summary>Pieces (two per merge).</summary>
    public int Pieces { get; private set; }
    public int Merges => Pieces / 2;
    public byte[] Text => _text;
    public int[] Ends => _ends;

    /// <summary>Merge <paramref name="k"/>'s left piece, right piece, and the two together.</summary>
    public (Range Left, Range Right) Merge(int k)
    {
        int start = k == 0 ? 0 : _ends[2 * k - 1], mid = _ends[2 * k], end = _ends[2 * k + 1];
        return (start..mid, mid..end);
    }

    public void Add(ReadOnlySpan<byte> piece)
    {
        piece.CopyTo(Reserve(piece.Length));
        EndPiece(piece.Length);
    }

    /// <summary>Room for at least <paramref name="bytes"/> more bytes of piece text, to be ended by <see cref="EndPiece"/>.</summary>
    public Span<byte> Reserve(int bytes)
    {
        if (Used + bytes > _text.Length) Array.Resize(ref _text, Math.Max(_text.Length * 2, Used + bytes));
        return _text.AsSpan(Used);
    }

    /// <summary>The next <paramref name="bytes"/> bytes written into the reserved room are one piece.</summary>
    public void EndPiece(int bytes)
    {
        if (Pieces == _ends.Length) Array.Resize(ref _ends, _ends.Length * 2);
        Used += bytes;
        _ends[Pieces++] = Used;
        if ((Pieces & (2 * MergeResolver.BlockMerges - 1)) == 0) OnProgress?.Invoke(Pieces / 2);
    }

    /// <summary>Called with the number of complete merges after every <see cref="MergeResolver.BlockMerges"/> merges (while a resolver works alongside the reading).</summary>
    public Action<int>? OnProgress;

    /// <summary>
    /// Cuts the last piece (<paramref name="length"/> bytes, the legacy form "left right") at its one space, which is
    /// dropped. False when it does not hold exactly one space with text on both sides.
    /// </summary>
    public bool SplitLast(int length)
    {
        var s = _text.AsSpan(Used - length, length);
        int sp = s.IndexOf((byte)' ');
        if (sp <= 0 || sp == s.Length - 1 || s[(sp + 1)..].IndexOf((byte)' ') >= 0) return false;
        s[(sp + 1)..].CopyTo(s[sp..]);
        Used--;
        _ends[Pieces - 1] = Used - (length - sp - 1);
        if (Pieces == _ends.Length) Array.Resize(ref _ends, _ends.Length * 2);
        _ends[Pieces++] = Used;
        return true;
    }

    /// <summary>Where the buffer stands now, for <see cref="Rollback"/>.</summary>
    public (int Used, int Pieces) Mark() => (Used, Pieces);

    /// <summary>Forgets everything added after <paramref name="mark"/>.</summary>
    public void Rollback((int Used, int Pieces) mark) => (Used, Pieces) = mark;
}
