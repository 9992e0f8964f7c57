using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpLM.Kernels;

/// <summary>
/// The vector width a matrix kernel runs at. Every kernel has one method per level; <see cref="Scalar"/> is
/// the reference the others are tested against.
/// </summary>
/// <remarks>
/// The integer (Q4_0/Q8_0) paths use x86 intrinsics where the width needs them: <see cref="V512"/> is
/// AVX-512BW <c>vpmaddubsw</c>/<c>vpmaddwd</c>, <see cref="V256"/> is AVX-VNNI <c>vpdpbusd</c> when the CPU has
/// it and AVX2 otherwise; <see cref="V128"/> is portable <c>Vector128</c> code (SSE, NEON). The float paths
/// (F32/F16/BF16) use portable <c>Vector*</c> code with fused multiply-add at every width.
/// </remarks>
public enum KernelIsa
{
    Scalar = 0,
    V128 = 1,
    V256 = 2,
    V512 = 3,
}

/// <summary>Which <see cref="KernelIsa"/> levels this process can run, and the one kernels use by default.</summary>
public static class KernelIsaInfo
{
    /// <summary>Environment variable that forces a level process-wide: <c>scalar</c>, <c>v128</c>, <c>avx2</c>/<c>v256</c>, <c>avx512</c>/<c>v512</c>.</summary>
    public const string EnvironmentVariable = "SHARPLM_KERNEL_ISA";

    /// <summary>The widest level the hardware (and the runtime's DOTNET_Enable* switches) allows.</summary>
    public static KernelIsa Best { get; } = DetectBest();

    /// <summary>The level kernels use when the caller does not name one: <see cref="Best"/> unless the environment variable lowers it.</summary>
    public static KernelIsa Default { get; } = FromEnvironment(Environment.GetEnvironmentVariable(EnvironmentVariable), Best);

    /// <summary>True when <paramref name="isa"/> can run here (every level at or below <see cref="Best"/>).</summary>
    public static bool IsSupported(KernelIsa isa) => isa <= Best && isa >= KernelIsa.Scalar;

    /// <summary>Every level that can run here, narrowest first.</summary>
    public static IReadOnlyList<KernelIsa> Supported { get; } =
        Enum.GetValues<KernelIsa>().Where(IsSupported).ToArray();

    /// <summary>True when the 256-bit integer path uses AVX-VNNI (<c>vpdpbusd</c>) rather than AVX2 multiply-adds.</summary>
    public static bool HasAvxVnni => AvxVnni.IsSupported;

    static KernelIsa DetectBest()
    {
        // Each level needs the x86 integer multiply-adds the Q4_0/Q8_0 paths use (on other CPUs the integer
        // paths of V256/V512 are not written, so those levels are not offered). V512 asks for AVX-512 itself, not
        // Vector512.IsHardwareAccelerated: the runtime reports false on Intel parts before Ice Lake (where wide
        // vectors lower the clock) yet still compiles Vector512 code to AVX-512, and for memory-bound kernels
        // that read 64 bytes per instruction the wider loads win (bench: kernels suite).
        if (Avx512F.IsSupported && Avx512BW.IsSupported && Avx512DQ.IsSupported) return KernelIsa.V512; // DQ: vrangeps
        if (Vector256.IsHardwareAccelerated && Avx2.IsSupported) return KernelIsa.V256;
        if (Vector128.IsHardwareAccelerated) return KernelIsa.V128;
        return KernelIsa.Scalar;
    }

    /// <summary>
    /// Parses the environment variable's value. A level the machine cannot run is an error (a silent fallback
    /// would hide that a forced test run did not test what it says).
    /// </summary>
    internal static KernelIsa FromEnvironment(string? value, KernelIsa best)
    {
        if (string.IsNullOrWhiteSpace(value)) return best;
        KernelIsa wanted = value.Trim().ToLowerInvariant() switch
        {
            "scalar" => KernelIsa.Scalar,
            "v128" or "sse" or "neon" => KernelIsa.V128,
            "v256" or "avx2" => KernelIsa.V256,
            "v512" or "avx512" => KernelIsa.V512,
            _ => throw new InvalidOperationException(
                $"{EnvironmentVariable}={value}: expected scalar, v128, avx2 (v256) or avx512 (v512)"),
        };
        if (wanted > best)
            throw new InvalidOperationException($"{EnvironmentVariable}={value}: this machine (or runtime configuration) supports at most {best}");
        return wanted;
    }
}
