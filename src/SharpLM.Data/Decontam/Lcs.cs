namespace SharpLM.Data.Decontam;

/// <summary>Longest common subsequence length of two token sequences, O(|a|·|b|) time and O(|b|) memory.</summary>
public static class Lcs
{
    public static int Length(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b)
    {
        if (a.IsEmpty || b.IsEmpty) return 0;
        // row[j] = LCS(a[..i], b[..j]); one row plus the diagonal value carried along.
        var row = new int[b.Length + 1];
        for (int i = 0; i < a.Length; i++)
        {
            int diagonal = 0;
            for (int j = 0; j < b.Length; j++)
            {
                int above = row[j + 1];
                row[j + 1] = a[i] == b[j] ? diagonal + 1 : Math.Max(above, row[j]);
                diagonal = above;
            }
        }
        return row[b.Length];
    }
}
