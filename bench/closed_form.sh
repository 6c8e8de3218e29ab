#!/usr/bin/env bash
# Closed-form models on binarised Fashion-MNIST (x >= 0.5 -> 1): fit on the 60 000
# training images, score the 10 000 test images. Prints a Markdown table.
# Usage: bench/closed_form.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
G=${1:-build}/tools/genmodels/genmodels
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
run() {  # run NAME KIND CONFIG
  local name=$1 kind=$2 config=$3
  local fit_out wall
  local start=$(date +%s%N)
  fit_out=$("$G" fit "$kind" --config "$config" --data fashion-mnist:train --binarize 0.5 --out "$T/m.safetensors")
  wall=$(( ($(date +%s%N) - start) / 1000000 ))  # ms
  local fit_s=$(sed -n 's/.* in \([0-9.]*\) s (data loaded.*/\1/p' <<<"$fit_out")
  local json=$("$G" log-prob "$T/m.safetensors" --data fashion-mnist:test --binarize 0.5 --json | tail -n 1)
  /usr/bin/python3 - "$name" "$fit_s" "$wall" "$json" <<'PY'
import json, sys
name, fit_s, wall, j = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]) / 1000, json.loads(sys.argv[4])
print(f"| {name} | {j['nll_nats']:.3f} ± {j['nll_stderr']:.3f} | {j['bits_per_dim']:.4f} | {fit_s:.3f} | {wall:.2f} |")
PY
}
echo "| model | test NLL (nats/image) | bits/dim | fit (s) | fit command incl. loading (s) |"
echo "|---|---|---|---|---|"
run "bernoulli (alpha 1)" bernoulli '{}'
for k in 1 2 3 4 6 8 12; do run "markov k = $k" markov "{\"order\": $k}"; done
