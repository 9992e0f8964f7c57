namespace SharpLM.Data.Dedup;

/// <summary>
/// Locality-sensitive hashing over band keys: documents that share a key in any band are joined
/// (union-find, so near-duplicate chains form one cluster), and every cluster keeps exactly one document —
/// the first in (rank, index) order, so the survivor does not depend on timing or worker count.
/// </summary>
public static class LshClusters
{
    /// <summary>
    /// For documents given as per-rank lists of band keys, the indices to remove, per rank (sorted).
    /// </summary>
    public static int[][] Duplicates(IReadOnlyList<ulong[][]> keysPerRank, int bands, out int clusters)
    {
        var offsets = new long[keysPerRank.Count + 1];
        for (int r = 0; r < keysPerRank.Count; r++) offsets[r + 1] = offsets[r] + keysPerRank[r].Length;
        long total = offsets[^1];
        if (total > int.MaxValue) throw new InvalidOperationException("more than 2^31 documents in one dedup stage");
        var parent = new int[total];
        for (int i = 0; i < parent.Length; i++) parent[i] = i;

        for (int b = 0; b < bands; b++)
        {
            var first = new Dictionary<ulong, int>();
            for (int r = 0; r < keysPerRank.Count; r++)
                for (int i = 0; i < keysPerRank[r].Length; i++)
                {
                    int id = (int)(offsets[r] + i);
                    ulong key = keysPerRank[r][i][b];
                    if (first.TryGetValue(key, out int other)) Union(parent, other, id);
                    else first[key] = id;
                }
        }

        // Union keeps the smaller id as root, so a document survives iff it is its own root.
        clusters = 0;
        var remove = new int[keysPerRank.Count][];
        for (int r = 0; r < keysPerRank.Count; r++)
        {
            var list = new List<int>();
            for (int i = 0; i < keysPerRank[r].Length; i++)
            {
                int id = (int)(offsets[r] + i);
                if (Find(parent, id) != id) list.Add(i);
            }
            remove[r] = list.ToArray();
        }
        var roots = new HashSet<int>();
        for (int id = 0; id < parent.Length; id++)
        {
            int root = Find(parent, id);
            if (root != id) roots.Add(root);
        }
        clusters = roots.Count;
        return remove;
    }

    static int Find(int[] parent, int x)
    {
        while (parent[x] != x)
        {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        return x;
    }

    static void Union(int[] parent, int a, int b)
    {
        int ra = Find(parent, a), rb = Find(parent, b);
        if (ra == rb) return;
        if (ra < rb) parent[rb] = ra; else parent[ra] = rb;
    }
}
