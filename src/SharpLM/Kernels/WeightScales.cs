using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpLM.Kernels;

/// <summary>
/// The fp16 scales d of a row of Q4_0/Q8_0 blocks, as f32, into a scratch array the block kernels read
/// lane-expanded. Converting them in a batch (eight at a time with a gather) takes the scalar half→float
/// work out of the inner loop, where it would cost more than the integer dot of a block.
/// </summary>
internal static unsafe class WeightScales
{
    /// <summary>dst[b] = fp16 at <paramref name="row"/> + b·<paramref name="blockBytes"/>, for b &lt; <paramref name="nb"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Convert(KernelIsa isa, byte* row, int blockBytes, int nb, float* dst)
    {
        int b = 0;
        if (isa >= KernelIsa.V256 && Avx2.IsSupported)
        {
            // Each 32-bit gather lane reads the 2 scale bytes and the first 2 bytes of the block's payload (inside the row).
            var index = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * blockBytes;
            for (; b + 8 <= nb; b += 8)
            {
                var bits = Avx2.GatherVector256((int*)(row + b * blockBytes), index, 1).AsUInt32();
                HalfBits.ToSingle(bits & Vector256.Create(0xFFFFu)).Store(dst + b);
            }
        }
        for (; b < nb; b++) dst[b] = HalfBits.ToSingle(*(ushort*)(row + b * blockBytes));
    }
}
