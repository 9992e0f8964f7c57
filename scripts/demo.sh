#!/usr/bin/env bash
# End-to-end demo on the bundled GSM8K corpus (data/gsm8k, MIT), no download: train a small Gemma-style
# tokenizer, tokenize the corpus into shards, train the tiny Gemma 3 preset (5 local + 1 global layers) with
# an eval loss on the test split, then generate greedily from the checkpoint. Every step is a plain
# `sharplm` verb, so this script doubles as a walk-through. Output goes to runs/demo (or $1).
# Knobs: DEMO_STEPS (default 400), DEMO_VOCAB (default 4096).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/demo}
steps=${DEMO_STEPS:-400}
vocab=${DEMO_VOCAB:-4096}
mkdir -p "$out"
dotnet build src/SharpLM.Cli -c Release -nologo -v q >&2
sharplm() { dotnet src/SharpLM.Cli/bin/Release/net10.0/sharplm.dll "$@"; }

echo "== 1/4 tokenizer: byte-fallback BPE, $vocab ids, on data/gsm8k/train.jsonl" >&2
sharplm tokenizer train --input data/gsm8k/train.jsonl --vocab-size "$vocab" --out "$out/tokenizer.json" --seed 0

echo "== 2/4 token shards (question + answer of each problem is one document)" >&2
sharplm data tokenize --tokenizer "$out/tokenizer.json" --input data/gsm8k/train.jsonl --field question --field answer --out "$out/train"
sharplm data tokenize --tokenizer "$out/tokenizer.json" --input data/gsm8k/test.jsonl --field question --field answer --out "$out/eval"

echo "== 3/4 train the tiny preset for $steps steps (loss and eval loss fall; metrics.jsonl and a loss curve SVG in $out/model)" >&2
sharplm train --preset tiny --tokenizer "$out/tokenizer.json" --data "$out/train" --eval-data "$out/eval" \
  --eval-every 100 --out "$out/model" --steps "$steps" --batch 8 --seq 128 --lr 3e-3 --warmup 40 --schedule cosine --seed 0

echo "== 4/4 generate from the trained checkpoint" >&2
sharplm run "$out/model" --prompt "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May." -n 96 --temperature 0
