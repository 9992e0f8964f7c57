namespace SharpLM.Models.Gemma3;

/// <summary>
/// Which rows of a forward pass belong to which sequence: <see cref="Count"/> consecutive rows starting at
/// <see cref="Row"/> are that sequence's next tokens, at positions <see cref="Position"/> … Position+Count−1 of
/// its own <see cref="Cache"/>. A prefill chunk is one segment of C rows; a batched decode step is N segments
/// of one row each.
/// </summary>
internal readonly record struct SequenceRows(KvCache Cache, int Position, int Row, int Count);
