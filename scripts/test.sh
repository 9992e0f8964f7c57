#!/usr/bin/env bash
# The test suite, as CI runs it: set-up, every fast test, then the kernel tests again with the SIMD paths
# switched off so the fallbacks run on this machine too. Slow tests: add --filter Category=Slow by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build SharpLM.slnx -c Release -nologo -v q
dotnet test SharpLM.slnx -c Release --no-build --filter "Category!=Slow" -- RunConfiguration.TreatNoTestsAsError=false
# Kernel dispatch: the same kernel tests with AVX-512 off, then with every hardware intrinsic off.
DOTNET_EnableAVX512=0 dotnet test tests/SharpLM.Tests -c Release --no-build --filter "FullyQualifiedName~Kernels&Category!=Slow"
DOTNET_EnableHWIntrinsic=0 dotnet test tests/SharpLM.Tests -c Release --no-build --filter "FullyQualifiedName~Kernels&Category!=Slow"
