using System.Globalization;
using System.Runtime.InteropServices;

namespace SharpLM.Tokenization;

/// <summary>
/// A zeroed block of native memory for a big lookup table the encoder reads at random (the shared word cache, the
/// merge table), aligned to 2 MiB and, on Linux, advised to the kernel as transparent-huge-page memory
/// (<c>madvise(MADV_HUGEPAGE)</c>) before it is first touched.
/// </summary>
/// <remarks>
/// <para>Why: random lookups over tens of MiB of 4 KiB pages miss the core's TLB on most accesses, and the page walk
/// itself goes to memory on a host whose L3 is not ours; with 2 MiB pages the whole table is a handful of TLB entries.
/// Transparent huge pages are often in <c>madvise</c> mode (only advised ranges get them), hence the advice.</para>
/// <para>Nothing depends on the advice for correctness: if it fails (another OS, a kernel without THP, an error) the
/// table works the same on small pages, and <see cref="Mode"/> says which case happened (shown by the benchmarks and
/// <see cref="Gemma3Tokenizer.LookupTableModes"/>). <c>SHARPLM_TOKENIZER_HUGE_PAGES=0</c> turns the advice off (an A/B
/// switch for benchmarks).</para>
/// </remarks>
internal sealed unsafe partial class LookupTableMemory
{
    /// <summary>Size and alignment of a huge page on x64 Linux.</summary>
    public const long HugePageBytes = 2 << 20;

    /// <summary>Whether huge pages are asked for unless a caller says otherwise (<c>SHARPLM_TOKENIZER_HUGE_PAGES</c> not "0").</summary>
    public static bool HugePagesByDefault { get; } = Environment.GetEnvironmentVariable("SHARPLM_TOKENIZER_HUGE_PAGES") != "0";

    /// <summary>What became of the huge-page advice for one block.</summary>
    public enum PageMode
    {
        /// <summary>The kernel accepted <c>MADV_HUGEPAGE</c> for the block (it backs it with 2 MiB pages while it has them free).</summary>
        HugePagesAdvised,
        /// <summary>Not asked for (<c>SHARPLM_TOKENIZER_HUGE_PAGES=0</c> or the caller's choice): 4 KiB pages unless THP is in <c>always</c> mode.</summary>
        NotRequested,
        /// <summary>Not Linux: the operating system's default pages.</summary>
        NotLinux,
        /// <summary><c>madvise</c> returned an error (see <see cref="AdviceErrno"/>): 4 KiB pages.</summary>
        AdviceFailed,
    }

    /// <summary>The block's first byte (2 MiB aligned, zeroed).</summary>
    public byte* Start { get; }
    /// <summary>The usable size asked for.</summary>
    public long Bytes { get; }
    public PageMode Mode { get; }
    /// <summary>The <c>errno</c> of a failed <c>madvise</c>, else 0.</summary>
    public int AdviceErrno { get; }

    static int _advised, _failed;
    static long _liveBytes;
    /// <summary>Native bytes held by live blocks in this process (the lookup tables are outside the managed heap, so memory figures must add this).</summary>
    public static long LiveBytes => Interlocked.Read(ref _liveBytes);
    /// <summary>Blocks made in this process so far whose advice was accepted, and whose advice failed (diagnostics).</summary>
    public static (int Advised, int Failed) Counts => (Volatile.Read(ref _advised), Volatile.Read(ref _failed));

    /// <param name="bytes">Usable size; the block is rounded up to whole huge pages.</param>
    /// <param name="hugePages">Whether to ask for huge pages.</param>
    /// <param name="advise">Test seam: replaces the libc <c>madvise</c> call (returns 0 or −1 with <c>errno</c> set, as libc does).</param>
    public LookupTableMemory(long bytes, bool hugePages, Func<nint, nuint, int>? advise = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        long rounded = (bytes + HugePageBytes - 1) / HugePageBytes * HugePageBytes;
        Start = (byte*)NativeMemory.AlignedAlloc((nuint)rounded, (nuint)HugePageBytes);
        Bytes = bytes;
        GC.AddMemoryPressure(rounded);
        Interlocked.Add(ref _liveBytes, rounded);
        _rounded = rounded;
        if (!hugePages) Mode = PageMode.NotRequested;
        else if (!OperatingSystem.IsLinux()) Mode = PageMode.NotLinux;
        else
        {
            // Before the first touch, so that the page faults of the clear below already get huge pages.
            int rc = advise is null ? Madvise((nint)Start, (nuint)rounded, MadvHugePage) : advise((nint)Start, (nuint)rounded);
            if (rc == 0)
            {
                Mode = PageMode.HugePagesAdvised;
                Interlocked.Increment(ref _advised);
            }
            else
            {
                Mode = PageMode.AdviceFailed;
                AdviceErrno = Marshal.GetLastPInvokeError();
                Interlocked.Increment(ref _failed);
            }
        }
        NativeMemory.Clear(Start, (nuint)rounded);
    }

    readonly long _rounded;

    ~LookupTableMemory()
    {
        NativeMemory.AlignedFree(Start);
        GC.RemoveMemoryPressure(_rounded);
        Interlocked.Add(ref _liveBytes, -_rounded);
    }

    const int MadvHugePage = 14;   // linux/mman.h, the same on every architecture

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static partial int Madvise(nint address, nuint length, int advice);

    /// <summary>
    /// How many bytes of this block the kernel backs with huge pages right now, and whether its mapping carries the
    /// huge-page advice (the <c>hg</c> flag), from <c>/proc/self/smaps</c>; (−1, false) where that file is absent.
    /// </summary>
    public (long AnonHugeBytes, bool Advised) Smaps()
    {
        const string path = "/proc/self/smaps";
        if (!File.Exists(path)) return (-1, false);
        long start = (long)Start, end = start + _rounded, huge = 0;
        bool inside = false, advised = false;
        foreach (var line in File.ReadLines(path))
        {
            int dash = line.IndexOf('-', StringComparison.Ordinal), space = line.IndexOf(' ', StringComparison.Ordinal);
            if (dash > 0 && space > dash && long.TryParse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out long lo)
                && long.TryParse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out long hi))
            {
                inside = lo < end && hi > start;   // a mapping line; the block may share a mapping with other memory
                continue;
            }
            if (!inside) continue;
            if (line.StartsWith("AnonHugePages:", StringComparison.Ordinal))
                huge += long.Parse(line.AsSpan(14).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
            else if (line.StartsWith("VmFlags:", StringComparison.Ordinal) && line.Split(' ').Contains("hg"))
                advised = true;
        }
        return (huge, advised);
    }
}
