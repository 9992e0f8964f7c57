using System.Runtime.CompilerServices;
using SharpLM.Tokenization;

namespace SharpLM.Tests.Tokenization;

/// <summary>
/// Each encoding thread appends to its own <see cref="IdList"/>; two lists must never share a cache line, even when a
/// GC has compacted them side by side (without the padding, a TokenBatch's two per-worker lists were found 32 bytes
/// apart after the first batch that grew them, so every append on one core invalidated the other's line).
/// </summary>
public class IdListLayoutTests
{
    [Fact]
    public void ListsCompactedSideBySideKeepTheirHotFieldsInSeparateCacheLines()
    {
        var lists = new IdList[8];
        for (int i = 0; i < lists.Length; i++) lists[i] = new IdList();
        // Grow every list (its first item array becomes garbage), then compact: the list objects end up adjacent.
        foreach (var l in lists) for (int k = 0; k < 5000; k++) l.Add(k);
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        for (int i = 0; i + 1 < lists.Length; i++)
        {
            long apart = Math.Abs((long)Unsafe.ByteOffset(ref lists[i].Count, ref lists[i + 1].Count));
            Assert.True(apart >= 128, $"lists {i} and {i + 1}: Count fields {apart} bytes apart");
            long toItems = Math.Abs((long)Unsafe.ByteOffset(ref lists[i].Count, ref Unsafe.As<int[], int>(ref lists[i + 1].Items)));
            Assert.True(toItems >= 64, $"list {i}'s Count is {toItems} bytes from list {i + 1}'s Items");
        }
    }
}
